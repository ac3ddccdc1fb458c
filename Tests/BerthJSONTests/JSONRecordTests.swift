import BerthJSON
import Testing

/// `JSONRecord` member lists with accessor closures (no key paths): reading, writing in list
/// order, errors naming the member, string enums through their raw values, and what schema walks
/// see (`key`, `record`).
@Suite struct JSONRecordTests {
    enum Mode: String, Sendable { case fast, slow }

    struct Inner: JSONRecord, Equatable {
        var id: Int
        static let blank = Inner(id: 0)
        static let members: [JSONMember<Inner>] = [.required("id", { $1(&$0.id) })]
    }

    struct Outer: JSONRecord, Equatable {
        var name: String
        var mode: Mode
        var backup: Mode?
        var note: String?
        var inner: Inner?
        var list: [Inner]
        static let blank = Outer(name: "", mode: .fast, backup: nil, note: nil, inner: nil, list: [])
        static let members: [JSONMember<Outer>] = [
            .required("name", { $1(&$0.name) }), .required("mode", raw: { $1(&$0.mode) }),
            .optional("backup", raw: { $1(&$0.backup) }), .optional("note", { $1(&$0.note) }),
            .optional("inner", { $1(&$0.inner) }), .required("list", { $1(&$0.list) }),
        ]
    }

    func read(_ text: String) throws -> Outer { try Outer.read(json: Array(text.utf8)) }

    func message(_ text: String) -> String {
        do { _ = try read(text); return "" } catch { return "\(error)" }
    }

    @Test func readsEveryMemberIntoItsField() throws {
        let v = try read(#"{"list":[{"id":2}],"mode":"slow","name":"n","backup":"fast","inner":{"id":1},"x":3}"#)
        #expect(v == Outer(name: "n", mode: .slow, backup: .fast, note: nil, inner: Inner(id: 1), list: [Inner(id: 2)]))
        let bare = try read(#"{"name":"n","mode":"fast","list":[],"note":null}"#)
        #expect(bare.backup == nil && bare.note == nil && bare.inner == nil)
    }

    @Test func writesInListOrderLeavingOutNil() throws {
        let v = Outer(name: "n", mode: .slow, backup: nil, note: "x", inner: nil, list: [Inner(id: 7)])
        #expect(v.jsonValue.serialized() == #"{"name":"n","mode":"slow","note":"x","list":[{"id":7}]}"#)
        let full = Outer(name: "n", mode: .fast, backup: .slow, note: nil, inner: Inner(id: 1), list: [])
        #expect(try read(String(decoding: full.jsonValue.serializedBytes(sortedKeys: true), as: UTF8.self)) == full)
    }

    @Test func errorsNameTheMember() {
        #expect(message(#"{"mode":"fast","list":[]}"#) == "name: missing required field")
        #expect(message(#"{"name":"n","mode":"odd","list":[]}"#) == "mode: unknown value odd")
        #expect(message(#"{"name":"n","mode":"fast","backup":"odd","list":[]}"#) == "backup: unknown value odd")
        #expect(message(#"{"name":"n","mode":"fast","list":[{"id":"1"}]}"#) == "list[0].id: expected an integer")
        #expect(message(#"{"name":"n","mode":1,"list":[]}"#) == "mode: expected a string")
    }

    @Test func schemaWalksSeeKeysAndRecords() {
        let members = Outer.members.map { ($0.key, $0.record.map { "\($0)" }) }
        #expect(members.map(\.0) == ["name", "mode", "backup", "note", "inner", "list"])
        #expect(members.map(\.1) == [nil, nil, nil, nil, "\(Inner.self)", "\(Inner.self)"])
    }
}

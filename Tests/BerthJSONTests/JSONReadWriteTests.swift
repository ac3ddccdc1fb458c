import BerthJSON
import Foundation
import Testing

/// What the OCI spec, init.json and the state files need of BerthJSON.
@Suite struct JSONReadWriteTests {
    struct Record: JSONReadable, Equatable {
        var name: String
        var count: UInt32
        var tags: [String]?
        var labels: [String: String]?

        init(name: String, count: UInt32, tags: [String]? = nil, labels: [String: String]? = nil) {
            self.name = name; self.count = count; self.tags = tags; self.labels = labels
        }

        init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
            let o = try JSONObjectReader(json, path: path)
            self.init(name: try o.required("name"), count: try o.required("count"), tags: try o.optional("tags"),
                      labels: try o.optional("labels"))
        }
    }

    func message(_ text: String) -> String {
        do { _ = try Record.read(json: Array(text.utf8)); return "" } catch { return "\(error)" }
    }

    @Test func readsTypedValuesAsJSONDecoderDoes() throws {
        #expect(try Record.read(json: Array(#"{"name":"a","count":1e3,"tags":null,"x":[{}]}"#.utf8)) == Record(name: "a", count: 1000))
        #expect(try Record.read(json: Array(#"{"name":"a","count":2.0,"labels":{"k":"v"}}"#.utf8)).labels == ["k": "v"])
    }

    @Test func shapeErrorsNameThePath() {
        #expect(message(#"{"name":"a","count":1,"tags":["x",5]}"#) == "tags[1]: expected a string")
        #expect(message(#"{"name":"a","count":-1}"#) == "count: expected a non-negative integer, found -1")
        #expect(message(#"{"name":"a"}"#) == "count: missing required field")
        #expect(message(#"{"name":null,"count":1}"#) == "name: null where a value is required")
        #expect(message(#"{"name":"a","count":1,"labels":{"k":true}}"#) == "labels.k: expected a string")
        #expect(message("[1]") == "(top level): expected an object")
    }

    @Test func syntaxErrorsGiveLineColumnAndOffset() {
        do {
            _ = try JSONValue.parse("{\n  \"a\": [1,,2]\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 2 && error.column == 11 && error.offset == 12, "\(error)")
        }
    }

    @Test func repeatedKeysAreRejectedOrKeepTheLastValueInPlace() throws {
        let text = #"{"a":1,"b":2,"a":3}"#
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        let last = try JSONValue.parse(text, duplicateKeys: .keepLast)
        #expect(last.objectValue?.keys == ["a", "b"] && last["a"] == 3)
    }

    /// Past 16 members the parser switches from scanning to an index; both find repeats.
    @Test(arguments: [3, 16, 17, 40]) func repeatedKeysInLargeObjects(members: Int) throws {
        let body = (0..<members).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let text = "{\(body),\"k1\":\"again\",\"k\(members - 1)\":\"last\"}"
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        let v = try JSONValue.parse(text, duplicateKeys: .keepLast)
        #expect(v.objectValue?.count == members)
        #expect(v["k1"] == "again" && v["k\(members - 1)"] == "last" && v["k0"] == 0)
    }

    @Test func writerSortsKeysWhenAskedAndEscapesControlCharacters() throws {
        let v: JSONValue = ["z": 1, "a": ["b": "x/\u{8}\u{c}\u{1}é\"", "a": [true, .null]]]
        #expect(v.serialized() == #"{"z":1,"a":{"b":"x/\b\f\u0001é\"","a":[true,null]}}"#)
        #expect(v.serialized(sortedKeys: true) == #"{"a":{"a":[true,null],"b":"x/\b\f\u0001é\""},"z":1}"#)
        #expect(v.serialized(pretty: true, sortedKeys: true).hasPrefix("{\n  \"a\": {\n    \"a\": [\n      true,"))
        #expect(try JSONValue.parse(v.serialized(pretty: true)) == v)
    }

    @Test func encodableValuesBuildObjectsWithoutNils() {
        var o = ObjectWriter()
        o.set("n", Int64(-5)); o.set("u", UInt64.max); o.set("skip", String?.none); o.set("m", ["b": 2, "a": 1])
        #expect(o.value.serialized() == #"{"n":-5,"u":18446744073709551615,"m":{"a":1,"b":2}}"#)
    }

    /// The agent's conveniences: member assignment, objects without nil members, ECS timestamps.
    @Test func agentConveniencesEditObjectsInPlaceAndWriteTimestamps() throws {
        var v: JSONValue = ["b": 1, "a": "x"]
        v["b"] = nil
        v["a"] = 2
        v["c"] = .obj([("d", nil), ("e", true)])
        #expect(v.serialized() == #"{"a":2,"c":{"e":true}}"#)
        #expect(v.objectValue?.map(\.key) == ["a", "c"])
        var scalar: JSONValue = 1
        scalar["a"] = 2
        #expect(scalar == 1)
        #expect(JSONValue.timestamp(1480729663.5171).serialized() == "1480729663.517")
        #expect(JSONValue.timestamp(1.7e9).serialized() == "1700000000")
        #expect(JSONValue.double(3).serialized() == "3")
    }

    /// `berth run --snapshot`, `--explain` and `image ls --output json` keep the text JSONEncoder wrote.
    @Test(arguments: [true, false]) func encoderStyleIsJSONEncodersPrettyText(escapingSlashes: Bool) throws {
        struct Port: Encodable { var bindIP = "127.0.0.1"; var hostPort = 8080 }
        struct Doc: Encodable {
            var name = "side/car \"x\"\n"; var ports = [Port(), Port()]; var empty: [Int] = []; var none: [String: Int] = [:]
            var at = 1700000009.0573719; var whole = 1700000010.0; var ok = true
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = escapingSlashes ? [.prettyPrinted, .sortedKeys] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let foundation = try encoder.encode(Doc())
        let value = try JSONValue.parse(bytes: Array(foundation))
        #expect(String(decoding: value.encoderStyleBytes(escapingSlashes: escapingSlashes), as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }
}

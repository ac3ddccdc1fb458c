import BerthJSON
import Testing

/// `JSONSpan.find`: the bytes of a member's value, as the parser would read it.
@Suite struct JSONSpanTests {
    func span(_ keys: [String], _ text: String) -> String? {
        let bytes = Array(text.utf8)
        return JSONSpan.find(keys, in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func findsNestedValuesWhole() {
        let doc = #" { "a" : {"s":"x\"}{[","b": [1, {"c":2}] , "d":{"e":"\\"}}, "z":null } "#
        #expect(span(["a", "b"], doc) == #"[1, {"c":2}]"#)
        #expect(span(["a", "d"], doc) == #"{"e":"\\"}"#)
        #expect(span(["a", "s"], doc) == #""x\"}{[""#)
        #expect(span(["z"], doc) == "null")
        #expect(span(["a", "d", "e"], doc) == #""\\""#)
        #expect(span([], doc) != nil)
    }

    @Test func missingKeysAndNonObjectsAreNil() {
        #expect(span(["b"], #"{"a":{"b":1}}"#) == nil)
        #expect(span(["a", "b"], #"{"a":[{"b":1}]}"#) == nil)
        #expect(span(["a", "b", "c"], #"{"a":{"b":1}}"#) == nil)
        #expect(span(["a"], "{}") == nil)
    }

    /// The last of repeated keys, as the parser keeps it; an escaped key could be any key: nil.
    @Test func repeatedKeysGiveTheLastAndEscapedKeysGiveUp() throws {
        #expect(span(["a"], #"{"a":1,"b":{"a":3},"a":{"x":2}}"#) == #"{"x":2}"#)
        #expect(span(["a"], #"{"a":1,"\u0061":2}"#) == nil)
        let v = try JSONValue.parse(#"{"a":1,"\u0061":2}"#, duplicateKeys: .keepLast)
        #expect(v["a"] == 2)
    }
}

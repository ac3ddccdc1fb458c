@testable import BerthJSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesAllValueKindsAndKeepsOrder() throws {
        let v = try JSONValue.parse(#"{"b": [1, -2.50, 3e2, true, false, null], "a": "x\u00e9\n\ud83d\ude00", "c": {}}"#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["b", "a", "c"])
        #expect(v["b"]?.arrayValue?[0] == .int(1))
        #expect(v["b"]?.arrayValue?[1].doubleValue == -2.5)
        #expect(v["b"]?.arrayValue?[1] == .number(JSONNumber(literal: "-2.50")))
        #expect(v["b"]?.arrayValue?[2].intValue == nil)
        #expect(v["a"]?.stringValue == "x\u{e9}\n\u{1F600}")
    }

    @Test func serializesStablyAndRoundTrips() throws {
        let text = #"{"z":1,"a":[1.50,"q\"\\\u0001"],"m":{"k":null,"t":true}}"#
        let v = try JSONValue.parse(text)
        #expect(v.serialized() == text)
        let pretty = v.serialized(pretty: true)
        #expect(pretty.hasPrefix("{\n  \"z\": 1,\n  \"a\": [\n    1.50,"))
        #expect(try JSONValue.parse(pretty) == v)
    }

    @Test(arguments: [
        ("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}' after object member"),
        ("[1, 2", 1, 6, "expected ',' or ']' after array element"),
        ("{\"a\": integer}", 1, 7, "word \"integer\""),
        ("{\n  \"a\": \"abc\n\"}", 2, 12, "raw line break inside a string"),
        ("{\"a\": 1,}", 1, 9, "trailing ','"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key \"a\""),
        ("\"key\": 1", 1, 6, "after the end of the JSON document"),
        ("", 1, 1, "empty document"),
        ("[01]", 1, 3, "leading zeros"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("{...}", 1, 2, "expected a member name in double quotes"),
        ("\"\\x\"", 1, 2, "invalid escape"),
    ])
    func syntaxErrorsHaveLineAndColumn(text: String, line: Int, column: Int, fragment: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.line == line && error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("line \(line), column \(column): "))
        }
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(deep) }
    }

    @Test func pathDescription() {
        let p = JSONPath.root / "containerDefinitions" / 1 / "healthCheck" / "retries"
        #expect(p.description == "containerDefinitions[1].healthCheck.retries")
        #expect(JSONPath.root.description == "(document)")
    }
}

@Suite struct JSONParserScaleTests {
    /// Large request bodies parse in linear time (duplicate keys are checked with a set).
    @Test func manyKeysAndLongArrays() throws {
        let keys = (0..<20000).map { "\"k\($0)\": \($0)" }.joined(separator: ",")
        let v = try JSONValue.parse("{\(keys)}")
        #expect(v.objectValue?.count == 20000)
        let list = "[" + Array(repeating: "\"x\"", count: 100_000).joined(separator: ",") + "]"
        #expect(try JSONValue.parse(list).arrayValue?.count == 100_000)
    }
}

@Suite struct JSONParserEdgeTests {
    func error(_ bytes: [UInt8]) -> JSONSyntaxError? {
        do { _ = try JSONValue.parse(bytes: bytes); return nil } catch { return error }
    }

    @Test func invalidUTF8InStringIsRejected() {
        let e = error(Array("[\"a".utf8) + [0xFF, 0xFE] + Array("\"]".utf8))
        #expect(e?.message == "string is not valid UTF-8" && e?.column == 2)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try JSONValue.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .object(JSONObject()))
    }

    @Test(arguments: [("-", "expected a digit in number"), ("1.", "expected a digit after '.'"), ("1e", "exponent"),
                      ("\"\\ud800\"", "unpaired UTF-16 surrogate"), ("\"\\u12\"", "expected 4 hex digits"), ("nul", "word \"nul\""),
                      ("[1] x", "after the end of the JSON document"), ("{\"a\":1}}", "after the end"), ("truex", "word \"truex\"")])
    func malformedValues(text: String, fragment: String) {
        let e = error(Array(text.utf8))
        #expect(e?.message.contains(fragment) == true, "\(String(describing: e))")
    }

    @Test func columnsCountCharactersNotBytes() {
        let e = error(Array("{\"é\": 1 2}".utf8))
        #expect(e?.line == 1 && e?.column == 9)
    }

    @Test func integersOutOfRangeAreNotInts() throws {
        let v = try JSONValue.parse("[99999999999999999999, 1e3, -0]")
        #expect(v.arrayValue?[0].intValue == nil && v.arrayValue?[1].intValue == nil && v.arrayValue?[2].intValue == 0)
    }
}

import Testing
@testable import BerthAgent

@Suite struct JSONTests {
    @Test func parsesAndKeepsOrderAndTypes() throws {
        let v = try JSONParser.parse(#"{"b": 1, "a": [true, null, 1.5, -2e3, "x\u00e9\ud83d\ude00"], "c": {}}"#)
        #expect(v.objectValue?.map(\.0) == ["b", "a", "c"])
        #expect(v["b"] == .int(1))
        #expect(v["a"]?.arrayValue == [.bool(true), .null, .double(1.5), .double(-2000), .string("xé😀")])
        #expect(try JSONParser.parse(v.serialized()) == v)
        #expect(try JSONParser.parse(v.serialized(pretty: true)) == v)
    }

    @Test func errorsGiveLineAndColumn() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\n  \"a\": tru\n}") }
        do { _ = try JSONParser.parse("{\n  \"a\": tru\n}") } catch {
            #expect(error.line == 2 && error.column == 8)
        }
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\u{01}\"", "{} x", "\"\\ud800\"", "nul", "1e", "-"] {
            #expect(throws: JSONParseError.self, "\(bad.debugDescription)") { try JSONParser.parse(bad) }
        }
    }

    @Test func depthIsLimited() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    @Test func escapesOnOutput() {
        let s = JSON.string("a\"b\\c\n\u{01}")
        #expect(s.serialized() == #""a\"b\\c\n\u0001""#)
        #expect(JSON.timestamp(1480729663.5171).serialized() == "1480729663.517")
        #expect(JSON.double(3).serialized() == "3")
    }
}

@Suite struct ARNTests {
    let arns = ARNFormat(region: "eu-central-1", account: "123456789012")

    @Test func formats() {
        #expect(arns.cluster("prod") == "arn:aws:ecs:eu-central-1:123456789012:cluster/prod")
        #expect(arns.taskDefinition("web", 3) == "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:3")
        #expect(arns.task(cluster: "prod", id: "0123456789abcdef0123456789abcdef") == "arn:aws:ecs:eu-central-1:123456789012:task/prod/0123456789abcdef0123456789abcdef")
        #expect(arns.container(cluster: "c", taskId: "t", uuid: "u") == "arn:aws:ecs:eu-central-1:123456789012:container/c/t/u")
        let id = Ident.taskId()
        #expect(id.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) })
        let uuid = Ident.uuid()
        #expect(uuid.count == 36 && uuid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }

    @Test func parsing() {
        #expect(arns.clusterName("prod") == "prod")
        #expect(arns.clusterName(arns.cluster("prod")) == "prod")
        #expect(arns.clusterName("arn:aws:ecs:eu-central-1:123456789012:service/prod/x") == nil)
        #expect(arns.taskDefinitionRef("web")! == ("web", nil))
        #expect(arns.taskDefinitionRef("web:7")! == ("web", 7))
        #expect(arns.taskDefinitionRef(arns.taskDefinition("web", 2))! == ("web", 2))
        #expect(arns.taskDefinitionRef("web:x") == nil)
        #expect(arns.taskDefinitionRef("web:0") == nil)
        #expect(arns.taskId("abc")! == (nil, "abc"))
        #expect(arns.taskId(arns.task(cluster: "c", id: "abc"))! == ("c", "abc"))
        #expect(arns.taskId("arn:aws:ecs:r:a:task/legacy-uuid")! == (nil, "legacy-uuid"))
        #expect(arns.taskId("arn:aws:ecs:r:a:cluster/x") == nil)
    }
}

import BerthJSON
@testable import BerthSecrets
import Foundation
import Testing

@Suite struct ParameterStoreTests {
    @Test func secureStringIsReturnedOnlyWithDecryption() throws {
        let t = TempStore()
        let put = try t.ssmCall("PutParameter", ["Name": "/app/db/password", "Value": "s3cret", "Type": "SecureString"])
        #expect(put["Version"] == 1)
        let hidden = try t.ssmCall("GetParameter", ["Name": "/app/db/password"])["Parameter"]
        #expect(hidden?["Type"] == "SecureString")
        let blob = try #require(hidden?["Value"]?.stringValue)
        #expect(blob != "s3cret" && !blob.contains("s3cret") && Data(base64Encoded: blob) != nil)
        #expect(Data(base64Encoded: blob).map { !String(decoding: $0, as: UTF8.self).contains("s3cret") } == true)
        let shown = try t.ssmCall("GetParameter", ["Name": "/app/db/password", "WithDecryption": true])["Parameter"]
        #expect(shown?["Value"] == "s3cret")
        #expect(shown?["ARN"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db/password")
    }

    @Test func overwriteMakesVersionsAndSelectorsReadThem() throws {
        let t = TempStore()
        _ = try t.ssmCall("PutParameter", ["Name": "plain", "Value": "a", "Type": "String"])
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "plain", "Value": "b", "Type": "String"]) } == "ParameterAlreadyExists")
        #expect(try t.ssmCall("PutParameter", ["Name": "plain", "Value": "b", "Overwrite": true])["Version"] == 2)
        #expect(try t.ssmCall("GetParameter", ["Name": "plain"])["Parameter"]?["Value"] == "b")
        #expect(try t.ssmCall("GetParameter", ["Name": "plain:1"])["Parameter"]?["Value"] == "a")
        #expect(errorType { _ = try t.ssmCall("GetParameter", ["Name": "plain:9"]) } == "ParameterVersionNotFound")
        #expect(errorType { _ = try t.ssmCall("GetParameter", ["Name": "missing"]) } == "ParameterNotFound")
        #expect(try t.ssmCall("GetParameter", ["Name": "arn:aws:ssm:eu-west-1:123456789012:parameter/plain"])["Parameter"]?["Value"] == "b")
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "x", "Value": "v"]) } == "ValidationException")  // no Type
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "x", "Value": "v", "Type": "Number"]) } == "ValidationException")
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "a/b", "Value": "v", "Type": "String"]) } == "ValidationException")
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "/aws/x", "Value": "v", "Type": "String"]) } == "ValidationException")
        #expect(errorType { _ = try t.ssmCall("PutParameter", ["Name": "t", "Value": "v", "Type": "String", "Overwrite": true, "Tags": [["Key": "k", "Value": "v"]]]) } == "ValidationException")
    }

    @Test func getParametersReportsInvalidOnes() throws {
        let t = TempStore()
        _ = try t.ssmCall("PutParameter", ["Name": "a", "Value": "1", "Type": "String"])
        _ = try t.ssmCall("PutParameter", ["Name": "l", "Value": "x,y", "Type": "StringList"])
        let r = try t.ssmCall("GetParameters", ["Names": ["a", "l", "zz"]])
        #expect(r["Parameters"]?.arrayValue?.compactMap { $0["Value"]?.stringValue } == ["1", "x,y"])
        #expect(r["InvalidParameters"] == ["zz"])
        let d = try t.ssmCall("DeleteParameters", ["Names": ["a", "zz"]])
        #expect(d["DeletedParameters"] == ["a"])
        #expect(d["InvalidParameters"] == ["zz"])
        #expect(errorType { _ = try t.ssmCall("DeleteParameter", ["Name": "a"]) } == "ParameterNotFound")
    }

    @Test func byPathRecursiveOrOneLevelWithPages() throws {
        let t = TempStore()
        for name in ["/app/a", "/app/b", "/app/sub/c", "/app/sub/deep/d", "/other/e"] {
            _ = try t.ssmCall("PutParameter", ["Name": .string(name), "Value": "v", "Type": "SecureString"])
        }
        let oneLevel = try t.ssmCall("GetParametersByPath", ["Path": "/app"])
        #expect(oneLevel["Parameters"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } == ["/app/a", "/app/b"])
        #expect(oneLevel["Parameters"]?.arrayValue?.allSatisfy { $0["Value"] != "v" } == true)
        var names: [String] = []
        var token: JSONValue? = nil
        repeat {
            let page = try t.ssmCall("GetParametersByPath", .obj([("Path", "/app/"), ("Recursive", true), ("WithDecryption", true),
                                                                  ("MaxResults", 3), ("NextToken", token)]))
            #expect(page["Parameters"]?.arrayValue?.allSatisfy { $0["Value"] == "v" } == true)
            names += page["Parameters"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? []
            token = page["NextToken"]
        } while token != nil
        #expect(names == ["/app/a", "/app/b", "/app/sub/c", "/app/sub/deep/d"])
        #expect(errorType { _ = try t.ssmCall("GetParametersByPath", ["Path": "/app", "NextToken": "bad"]) } == "InvalidNextToken")
        let described = try t.ssmCall("DescribeParameters", ["ParameterFilters": [["Key": "Path", "Option": "OneLevel", "Values": ["/app"]]]])
        #expect(described["Parameters"]?.arrayValue?.count == 2)
        #expect(described["Parameters"]?.arrayValue?.allSatisfy { $0["Value"] == nil } == true)
    }

    @Test func longNamesAreStoredUnderShortFileNames() throws {
        let t = TempStore()
        let long = "/" + String(repeating: "segment/", count: 200) + "leaf"
        _ = try t.ssmCall("PutParameter", ["Name": .string(long), "Value": "v", "Type": "String"])
        #expect(try t.ssmCall("GetParameter", ["Name": .string(long)])["Parameter"]?["Value"] == "v")
        let secretName = String(repeating: "n", count: 512)
        _ = try t.call("CreateSecret", ["Name": .string(secretName), "SecretString": "s"])
        #expect(try t.call("GetSecretValue", ["SecretId": .string(secretName)])["SecretString"] == "s")
        #expect(SecretStore.fileName(long).utf8.count < 255 && SecretStore.fileName("short") == "73686f7274.json")
    }
}

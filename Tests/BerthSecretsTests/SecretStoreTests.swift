import BerthJSON
@testable import BerthSecrets
import BerthSys
import Foundation
import Testing

/// A secret store in a fresh temporary directory, removed afterwards.
final class TempStore: @unchecked Sendable {
    let dir: String
    let store: SecretStore
    var now: Double = 1_700_000_000
    init() {
        dir = NSTemporaryDirectory() + "berth-secrets-\(UUID().uuidString)"
        store = SecretStore(root: dir + "/secrets", region: "eu-west-1", account: "123456789012")
    }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var sm: SecretsManagerService { SecretsManagerService(store: store, clock: { [unowned self] in now }) }
    var ssm: ParameterStoreService { ParameterStoreService(store: store, clock: { [unowned self] in now }) }

    func call(_ op: String, _ body: JSONValue) throws(SecretsError) -> JSONValue { try sm.call(op, body) }
    func ssmCall(_ op: String, _ body: JSONValue) throws(SecretsError) -> JSONValue { try ssm.call(op, body) }
}

func errorType(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as SecretsError { return e.type } catch { return "\(error)" }
    return nil
}

@Suite struct SecretStoreTests {
    @Test func secretsAreOwnerOnlyFilesThatSurviveANewStore() throws {
        let t = TempStore()
        let created = try t.call("CreateSecret", ["Name": "db/pass", "SecretString": "hunter2", "Tags": [["Key": "team", "Value": "a"]]])
        let arn = try #require(created["ARN"]?.stringValue)
        #expect(arn.hasPrefix("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/pass-"))
        #expect(arn.count == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/pass-".count + 6)
        var st = stat()
        #expect(stat(t.dir + "/secrets", &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(stat(t.dir + "/secrets/secretsmanager", &st) == 0 && st.st_mode & 0o777 == 0o700)
        let files = try Files.list(t.dir + "/secrets/secretsmanager")
        #expect(files.count == 1)
        #expect(stat(t.dir + "/secrets/secretsmanager/" + files[0], &st) == 0 && st.st_mode & 0o777 == 0o600)
        // A new store over the same directory (a restarted agent) sees the same secret.
        let again = SecretsManagerService(store: SecretStore(root: t.dir + "/secrets"))
        let value = try again.call("GetSecretValue", ["SecretId": .string(arn)])
        #expect(value["SecretString"] == "hunter2")
        #expect(value["Name"] == "db/pass")
        #expect(value["VersionStages"] == ["AWSCURRENT"])
    }

    @Test func versionsMoveAWSCURRENTAndAWSPREVIOUS() throws {
        let t = TempStore()
        let first = try t.call("CreateSecret", ["Name": "s", "SecretString": "one"])["VersionId"]?.stringValue
        t.now += 10
        let second = try t.call("PutSecretValue", ["SecretId": "s", "SecretString": "two"])
        #expect(second["VersionStages"] == ["AWSCURRENT"])
        t.now += 10
        _ = try t.call("PutSecretValue", ["SecretId": "s", "SecretString": "three"])
        #expect(try t.call("GetSecretValue", ["SecretId": "s"])["SecretString"] == "three")
        #expect(try t.call("GetSecretValue", ["SecretId": "s", "VersionStage": "AWSPREVIOUS"])["SecretString"] == "two")
        let stages = try t.call("DescribeSecret", ["SecretId": "s"])["VersionIdsToStages"]?.objectValue
        #expect(stages?.count == 2)  // the first version lost its labels and is gone
        #expect(first.flatMap { stages?[$0] } == nil)
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": "s", "VersionId": .string(first ?? "")]) } == "ResourceNotFoundException")
    }

    @Test func errorsAsSecretsManagerNamesThem() throws {
        let t = TempStore()
        _ = try t.call("CreateSecret", ["Name": "s", "SecretString": "x"])
        #expect(errorType { _ = try t.call("CreateSecret", ["Name": "s", "SecretString": "y"]) } == "ResourceExistsException")
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": "nope"]) } == "ResourceNotFoundException")
        #expect(errorType { _ = try t.call("CreateSecret", ["Name": "b", "SecretString": "x", "SecretBinary": "eA=="]) } == "InvalidParameterException")
        #expect(errorType { _ = try t.call("CreateSecret", ["Name": "bad name!"]) } == "InvalidParameterException")
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": 5]) } == "SerializationException")
        #expect(errorType { _ = try t.call("DeleteSecret", ["SecretId": "s", "ForceDeleteWithoutRecovery": true, "RecoveryWindowInDays": 7]) } == "InvalidParameterException")
        #expect(errorType { _ = try t.call("DeleteSecret", ["SecretId": "s", "RecoveryWindowInDays": 3]) } == "InvalidParameterException")
        // A secret without a value yet.
        _ = try t.call("CreateSecret", ["Name": "empty"])
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": "empty"]) } == "ResourceNotFoundException")
    }

    @Test func deletionWithRecoveryWindowRestoreAndForce() throws {
        let t = TempStore()
        _ = try t.call("CreateSecret", ["Name": "s", "SecretString": "x"])
        let deleted = try t.call("DeleteSecret", ["SecretId": "s", "RecoveryWindowInDays": 7])
        #expect(deleted["DeletionDate"]?.doubleValue == t.now + 7 * 86400)
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": "s"]) } == "InvalidRequestException")
        #expect(errorType { _ = try t.call("CreateSecret", ["Name": "s", "SecretString": "y"]) } == "InvalidRequestException")
        #expect(try t.call("ListSecrets", [:])["SecretList"]?.arrayValue?.count == 0)
        #expect(try t.call("ListSecrets", ["IncludePlannedDeletion": true])["SecretList"]?.arrayValue?.count == 1)
        _ = try t.call("RestoreSecret", ["SecretId": "s"])
        #expect(try t.call("GetSecretValue", ["SecretId": "s"])["SecretString"] == "x")
        // Past its window the secret is gone for good.
        _ = try t.call("DeleteSecret", ["SecretId": "s", "RecoveryWindowInDays": 7])
        t.now += 8 * 86400
        #expect(errorType { _ = try t.call("DescribeSecret", ["SecretId": "s"]) } == "ResourceNotFoundException")
        _ = try t.call("CreateSecret", ["Name": "f", "SecretString": "x"])
        _ = try t.call("DeleteSecret", ["SecretId": "f", "ForceDeleteWithoutRecovery": true])
        #expect(errorType { _ = try t.call("DescribeSecret", ["SecretId": "f"]) } == "ResourceNotFoundException")
        #expect(try Files.list(t.dir + "/secrets/secretsmanager").isEmpty)
    }

    @Test func listPagesWithTokensAndFilters() throws {
        let t = TempStore()
        for i in 0..<5 {
            t.now += 1
            _ = try t.call("CreateSecret", ["Name": .string("app/\(i)"), "SecretString": "v", "Description": i == 3 ? "the third" : .null])
        }
        var names: [String] = []
        var token: JSONValue? = nil
        repeat {
            let page = try t.call("ListSecrets", .obj([("MaxResults", 2), ("NextToken", token)]))
            names += page["SecretList"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? []
            #expect(page["SecretList"]?.arrayValue?.allSatisfy { $0["SecretString"] == nil } == true)
            token = page["NextToken"]
        } while token != nil
        #expect(names == ["app/0", "app/1", "app/2", "app/3", "app/4"])
        #expect(errorType { _ = try t.call("ListSecrets", ["NextToken": "garbage"]) } == "InvalidParameterException")
        let filtered = try t.call("ListSecrets", ["Filters": [["Key": "description", "Values": ["the"]]]])
        #expect(filtered["SecretList"]?.arrayValue?.map { $0["Name"] } == ["app/3"])
    }

    @Test func secretsByNameFullARNAndPartialARN() throws {
        let t = TempStore()
        let arn = try #require(try t.call("CreateSecret", ["Name": "web", "SecretString": "x"])["ARN"]?.stringValue)
        let partial = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:web"
        for id in ["web", arn, partial] {
            #expect(try t.call("GetSecretValue", ["SecretId": .string(id)])["ARN"]?.stringValue == arn)
        }
        #expect(errorType { _ = try t.call("GetSecretValue", ["SecretId": .string(partial + "-ZZZZZZ")]) } == "ResourceNotFoundException")
    }

    @Test func binarySecretsAndIdempotentTokens() throws {
        let t = TempStore()
        let token = String(repeating: "a", count: 32)
        _ = try t.call("CreateSecret", ["Name": "bin", "SecretBinary": "AAEC", "ClientRequestToken": .string(token)])
        #expect(try t.call("GetSecretValue", ["SecretId": "bin"])["SecretBinary"] == "AAEC")
        let again = try t.call("PutSecretValue", ["SecretId": "bin", "SecretBinary": "AAEC", "ClientRequestToken": .string(token)])
        #expect(again["VersionId"]?.stringValue == token)
        #expect(errorType { _ = try t.call("PutSecretValue", ["SecretId": "bin", "SecretBinary": "AAED", "ClientRequestToken": .string(token)]) } == "ResourceExistsException")
    }
}

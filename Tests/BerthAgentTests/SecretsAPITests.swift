import BerthAgent
import BerthHTTP
import BerthJSON
import BerthSecrets
import Foundation
import Testing

/// Secrets Manager and Parameter Store as agent services: their targets, signing names and
/// errors in the JSON protocol's shape (400 for client errors, 500 when the store fails).
@Suite struct SecretsAPITests {
    @Test func operationsAnswerAndErrorsKeepTheirAWSNames() throws {
        let dir = NSTemporaryDirectory() + "berth-secrets-api-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = SecretStore(root: dir)
        let sm = JSONProtocolAPI(SecretsManagerOperations(SecretsManagerService(store: store)), clock: { 0 })
        let ssm = JSONProtocolAPI(ParameterStoreOperations(ParameterStoreService(store: store)), clock: { 0 })
        #expect(sm.signingService == "secretsmanager" && sm.targetPrefixes == ["secretsmanager."])
        #expect(ssm.signingService == "ssm" && ssm.targetPrefixes == ["AmazonSSM."])

        func call(_ api: some AgentAPI, _ target: String, _ body: String) throws -> (Int, JSONValue) {
            let r = api.serve(HTTPRequest(method: "POST", target: "/", headers: [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")],
                                          body: Array(body.utf8)), trusted: true, requestId: "r")
            return (r.status, try JSONValue.parse(bytes: r.body))
        }
        let (ok, made) = try call(sm, "secretsmanager.CreateSecret", #"{"Name": "a", "SecretString": "v"}"#)
        #expect(ok == 200 && made["Name"] == "a")
        let (missing, notFound) = try call(sm, "secretsmanager.GetSecretValue", #"{"SecretId": "b"}"#)
        #expect(missing == 400 && notFound["__type"] == "ResourceNotFoundException")
        let (unknown, op) = try call(ssm, "AmazonSSM.LabelParameterVersion", "{}")
        #expect(unknown == 400 && op["__type"] == "UnknownOperationException")
        // The store cannot be written (a file where its directory should be): a 500.
        try Data().write(to: URL(fileURLWithPath: dir + "/ssm"))
        let (failed, error) = try call(ssm, "AmazonSSM.PutParameter", #"{"Name": "p", "Value": "v", "Type": "String"}"#)
        #expect(failed == 500 && error["__type"] == "InternalServerError")
    }
}

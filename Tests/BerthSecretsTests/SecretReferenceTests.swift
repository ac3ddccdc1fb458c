import BerthJSON
@testable import BerthSecrets
import Testing

@Suite struct SecretReferenceTests {
    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"

    @Test func parsesSecretsManagerARNsWithTheirSuffixes() throws {
        #expect(try SecretReference(parsing: Self.arn) == .secret(id: Self.arn, jsonKey: nil, stage: nil, versionId: nil))
        #expect(try SecretReference(parsing: Self.arn + ":password::") == .secret(id: Self.arn, jsonKey: "password", stage: nil, versionId: nil))
        #expect(try SecretReference(parsing: Self.arn + ":password:AWSPREVIOUS:") == .secret(id: Self.arn, jsonKey: "password", stage: "AWSPREVIOUS", versionId: nil))
        #expect(try SecretReference(parsing: Self.arn + ":::") == .secret(id: Self.arn, jsonKey: nil, stage: nil, versionId: nil))
        #expect(try SecretReference(parsing: Self.arn + ":::v1") == .secret(id: Self.arn, jsonKey: nil, stage: nil, versionId: "v1"))
        #expect(throws: SecretsError.self) { try SecretReference(parsing: Self.arn + "::AWSCURRENT:v1") }
        #expect(throws: SecretsError.self) { try SecretReference(parsing: "arn:aws:secretsmanager:us-east-1:1:notsecret:x") }
        #expect(throws: SecretsError.self) { try SecretReference(parsing: "arn:aws:s3:::bucket/key") }
    }

    @Test func parsesParameterNamesAndARNs() throws {
        #expect(try SecretReference(parsing: "/app/db") == .parameter("/app/db"))
        #expect(try SecretReference(parsing: "plain") == .parameter("plain"))
        let p = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
        #expect(try SecretReference(parsing: p) == .parameter(p))
        #expect(throws: SecretsError.self) { try SecretReference(parsing: "arn:aws:ssm:us-east-1:1:document/x") }
    }

    @Test func resolvesWholeSecretsJSONKeysStagesAndParameters() throws {
        let t = TempStore()
        let arn = try #require(try t.call("CreateSecret", ["Name": "db", "SecretString": #"{"username":"u","password":"p1","port":5432}"#])["ARN"]?.stringValue)
        _ = try t.call("PutSecretValue", ["SecretId": "db", "SecretString": #"{"username":"u","password":"p2"}"#])
        _ = try t.ssmCall("PutParameter", ["Name": "/app/token", "Value": "tok", "Type": "SecureString"])
        _ = try t.ssmCall("PutParameter", ["Name": "flat", "Value": "f", "Type": "String"])
        let r = SecretResolver(store: t.store)
        #expect(try r.value(arn) == #"{"username":"u","password":"p2"}"#)
        #expect(try r.value(arn + ":password::") == "p2")
        #expect(try r.value(arn + ":password:AWSPREVIOUS:") == "p1")
        #expect(try r.value(arn + ":port:AWSPREVIOUS:") == "5432")
        #expect(try r.value("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db") == #"{"username":"u","password":"p2"}"#)
        #expect(try r.value("/app/token") == "tok")
        #expect(try r.value("arn:aws:ssm:eu-west-1:123456789012:parameter/app/token") == "tok")
        #expect(try r.value("arn:aws:ssm:eu-west-1:123456789012:parameter/flat") == "f")
        // A task definition written for AWS: another region, account and random suffix.
        #expect(try r.value("arn:aws:secretsmanager:ap-south-1:999999999999:secret:db-Zz9Yx8:password::") == "p2")
        #expect(try r.registryLogin("arn:aws:secretsmanager:ap-south-1:999999999999:secret:db-Zz9Yx8")?.username == "u")
        #expect(try r.registryLogin("db")?.password == "p2")
        #expect(try r.registryLogin("not-a-secret") == nil)
    }

    @Test func failuresCarryECSResourceInitializationText() throws {
        let t = TempStore()
        _ = try t.call("CreateSecret", ["Name": "plain", "SecretString": "not json"])
        let r = SecretResolver(store: t.store)
        let missing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"
        for (valueFrom, expected) in [
            (missing, "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret \(missing) from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."),
            ("/no/such", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /no/such"),
        ] {
            #expect(throws: SecretResolutionError(expected)) { try r.value(valueFrom) }
        }
        #expect(throws: SecretResolutionError.self) { try r.value("arn:aws:secretsmanager:eu-west-1:123456789012:secret:plain:key::") }
        #expect(throws: SecretResolutionError.self) { try r.registryLogin("plain") }
    }
}

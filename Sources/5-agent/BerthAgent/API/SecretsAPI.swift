import BerthJSON
import BerthSecrets

/// AWS Secrets Manager (`secretsmanager.`, JSON 1.1, SigV4 service `secretsmanager`) on the
/// agent's endpoint, over the local `SecretStore` (Docs/agent.md "Secrets").
public struct SecretsManagerOperations: JSONOperations {
    public let service: SecretsManagerService
    public init(_ service: SecretsManagerService) { self.service = service }

    public var signingService: String { "secretsmanager" }
    public var targetPrefix: String { "secretsmanager." }
    public var operations: Set<String> { SecretsManagerService.operations }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        do { return try service.call(operation, input) } catch { throw APIError(secrets: error) }
    }
}

/// AWS Systems Manager Parameter Store (`AmazonSSM.`, JSON 1.1, SigV4 service `ssm`).
public struct ParameterStoreOperations: JSONOperations {
    public let service: ParameterStoreService
    public init(_ service: ParameterStoreService) { self.service = service }

    public var signingService: String { "ssm" }
    public var targetPrefix: String { "AmazonSSM." }
    public var operations: Set<String> { ParameterStoreService.operations }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        do { return try service.call(operation, input) } catch { throw APIError(secrets: error) }
    }
}

extension APIError {
    /// Service failures are 500s (InternalServiceError / InternalServerError); the rest 400.
    init(secrets e: SecretsError) {
        self.init(e.type, e.message, status: e.type.hasPrefix("Internal") ? 500 : 400)
    }
}

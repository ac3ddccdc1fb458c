import BerthJSON

/// What a task definition's `secrets[].valueFrom` (or `logConfiguration.secretOptions`, or
/// `repositoryCredentials.credentialsParameter`) names, as ECS reads it:
///
/// * a Secrets Manager ARN `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX]`, possibly
///   followed by `:json-key:version-stage:version-id` (each part may be empty);
/// * an SSM parameter ARN `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, or a parameter's name.
public enum SecretReference: Sendable, Equatable {
    case secret(id: String, jsonKey: String?, stage: String?, versionId: String?)
    case parameter(String)

    public init(parsing valueFrom: String) throws(SecretsError) {
        if valueFrom.hasPrefix("arn:") {
            let parts = valueFrom.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 6 else { throw SecretsError.invalidParameter("\(valueFrom) is not a valid ARN.") }
            switch parts[2] {
            case "secretsmanager":
                guard parts[5] == "secret", parts.count >= 7, !parts[6].isEmpty, parts.count <= 10 else {
                    throw SecretsError.invalidParameter("\(valueFrom) is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:version-stage:version-id]).")
                }
                let extra = parts.dropFirst(7).map { $0.isEmpty ? nil : $0 } + [nil, nil, nil]
                self = .secret(id: parts[0...6].joined(separator: ":"), jsonKey: extra[0], stage: extra[1], versionId: extra[2])
                if extra[1] != nil, extra[2] != nil {
                    throw SecretsError.invalidParameter("\(valueFrom): give a version stage or a version id, not both.")
                }
            case "ssm":
                guard parts[5].hasPrefix("parameter/"), parts[5].count > "parameter/".count else {
                    throw SecretsError.invalidParameter("\(valueFrom) is not an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME).")
                }
                self = .parameter(parts[0...5].joined(separator: ":"))
            default:
                throw SecretsError.invalidParameter("\(valueFrom) is neither a Secrets Manager nor an SSM Parameter Store ARN.")
            }
        } else {
            guard !valueFrom.isEmpty else { throw SecretsError.invalidParameter("valueFrom is empty.") }
            self = .parameter(valueFrom)
        }
    }
}

/// Resolving references against the local store when a task starts, with ECS's failure texts
/// (`ResourceInitializationError: unable to pull secrets or registry auth: ...`).
public struct SecretResolver: Sendable {
    public let store: SecretStore
    public init(store: SecretStore) { self.store = store }

    public static let ecsPrefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "

    /// The value a reference names. Throws `SecretResolutionError` with ECS's text.
    public func value(_ valueFrom: String) throws(SecretResolutionError) -> String {
        let reference: SecretReference
        do { reference = try SecretReference(parsing: valueFrom) } catch {
            throw SecretResolutionError(Self.ecsPrefix + "invalid secret reference: \(error.message)")
        }
        switch reference {
        case .secret(let id, let jsonKey, let stage, let versionId):
            let text = try secretText(valueFrom, id: id, stage: stage, versionId: versionId, asm: "unable to retrieve secret from asm")
            guard let jsonKey else { return text }
            guard let object = (try? JSONValue.parse(text))?.objectValue else {
                throw SecretResolutionError(Self.ecsPrefix + "unable to retrieve secret from asm: failed to fetch secret \(id) from secrets manager: the secret value is not a JSON object, so json-key \(jsonKey) cannot be read")
            }
            guard let member = object[jsonKey] else {
                throw SecretResolutionError(Self.ecsPrefix + "unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key \(jsonKey)")
            }
            return member.stringValue ?? String(decoding: member.serializedBytes(), as: UTF8.self)
        case .parameter(let name):
            let service = ParameterStoreService(store: store)
            do {
                let p = try store.locked { try service.lookup(name) }
                guard let p else { throw SecretsError("ParameterNotFound", "") }
                return p.current.value
            } catch {
                throw SecretResolutionError(Self.ecsPrefix + "unable to retrieve secrets from ssm: invalid ssm parameters: \(name)")
            }
        }
    }

    /// Registry credentials from a secret whose SecretString is `{"username": ..., "password": ...}`;
    /// nil when no such secret exists (the caller falls back to locally stored registry logins).
    public func registryLogin(_ parameter: String) throws(SecretResolutionError) -> (username: String, password: String)? {
        let id: String
        if parameter.hasPrefix("arn:") {
            guard case .secret(let sid, nil, nil, nil)? = try? SecretReference(parsing: parameter) else {
                throw SecretResolutionError(Self.ecsPrefix + "unable to get registry auth from asm: \(parameter) is not a Secrets Manager secret ARN")
            }
            id = sid
        } else {
            id = parameter
        }
        guard (try? SecretLookup.find(id, in: store, byName: true)) != nil else { return nil }
        let text = try secretText(parameter, id: id, stage: nil, versionId: nil, asm: "unable to get registry auth from asm")
        guard let object = (try? JSONValue.parse(text))?.objectValue,
              let user = object["username"]?.stringValue, let password = object["password"]?.stringValue else {
            throw SecretResolutionError(Self.ecsPrefix + "unable to get registry auth from asm: the secret \(parameter) must be a JSON object with string members username and password")
        }
        return (user, password)
    }

    func secretText(_ valueFrom: String, id: String, stage: String?, versionId: String?, asm: String) throws(SecretResolutionError) -> String {
        let found: StoredSecret?
        do { found = try SecretLookup.find(id, in: store, byName: true) } catch {
            throw SecretResolutionError(Self.ecsPrefix + "\(asm): the local secret store failed: \(error)")
        }
        let fail = "\(Self.ecsPrefix)\(asm): failed to fetch secret \(id) from secrets manager: "
        guard let secret = found, secret.deletion == nil else {
            throw SecretResolutionError(fail + "ResourceNotFoundException: Secrets Manager can't find the specified secret.")
        }
        guard let version = secret.version(id: versionId, stage: stage) else {
            throw SecretResolutionError(fail + "ResourceNotFoundException: Secrets Manager can't find the specified secret value for " +
                                        (versionId.map { "VersionId: \($0)" } ?? "staging label: \(stage ?? "AWSCURRENT")"))
        }
        if let s = version.string { return s }
        guard let b = version.binary.flatMap(Base64.decode), let s = String(validating: b, as: UTF8.self) else {
            throw SecretResolutionError(fail + "the secret value is binary and not UTF-8 text")
        }
        return s
    }
}

/// A reference that could not be resolved; `message` is the task's stoppedReason.
public struct SecretResolutionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

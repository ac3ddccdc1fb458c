import BerthECS
import BerthImages
import BerthSecrets

/// A task's secrets resolved when it starts: per container (definition order) the environment
/// variables its `secrets` name and the registry credential its `repositoryCredentials` name
/// when that is a secret of the local store. Kept in memory only; the values reach the
/// container through its init configuration (`init.json`, 0600, in the runtime directory).
public struct TaskSecrets: Sendable {
    public var environment: [[(name: String, value: String)]]
    public var registry: [RegistryCredential?]

    public init(environment: [[(name: String, value: String)]] = [], registry: [RegistryCredential?] = []) {
        self.environment = environment
        self.registry = registry
    }

    public static let none = TaskSecrets()

    /// Resolve every `secrets[].valueFrom`, `logConfiguration.secretOptions[].valueFrom` and
    /// `repositoryCredentials.credentialsParameter` of `td` against `resolver`. The first that
    /// cannot be resolved fails the task: a `TranslationError` of kind `.resourceInitialization`
    /// whose message is ECS's `ResourceInitializationError: unable to pull secrets or registry auth: ...`.
    /// secretOptions are resolved so a missing one fails the task as in ECS; their values are not
    /// used (Berth's log drivers take no options).
    public static func resolve(_ td: TaskDefinitionInput, with resolver: SecretResolver?) throws -> TaskSecrets {
        var out = TaskSecrets()
        for (i, c) in td.containers.enumerated() {
            let path = "containerDefinitions[\(i)]"
            var env: [(name: String, value: String)] = []
            var login: RegistryCredential?
            let references = (c.secrets ?? []).enumerated().map { ("\(path).secrets[\($0)]", $1, true) }
                + (c.logConfiguration?.secretOptions ?? []).enumerated().map { ("\(path).logConfiguration.secretOptions[\($0)]", $1, false) }
            for (where_, secret, isEnv) in references {
                guard let resolver else {
                    throw TranslationError(where_, SecretResolver.ecsPrefix + "no secret store is configured for this task", kind: .resourceInitialization)
                }
                do {
                    let value = try resolver.value(secret.valueFrom ?? "")
                    if isEnv, let name = secret.name { env.append((name, value)) }
                } catch {
                    throw TranslationError(where_, error.message, kind: .resourceInitialization)
                }
            }
            if let parameter = c.repositoryCredentials?.credentialsParameter, let resolver {
                do {
                    login = try resolver.registryLogin(parameter).map { RegistryCredential(username: $0.username, password: $0.password) }
                } catch {
                    throw TranslationError("\(path).repositoryCredentials.credentialsParameter", error.message, kind: .resourceInitialization)
                }
            }
            out.environment.append(env)
            out.registry.append(login)
        }
        return out
    }
}

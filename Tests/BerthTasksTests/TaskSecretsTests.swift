import BerthECS
import BerthImages
import BerthInit
import BerthJSON
import BerthSecrets
import BerthTestSupport
import Testing
@testable import BerthTasks

/// A task's `secrets` and `repositoryCredentials` resolved against a local store when it starts:
/// values into the container's environment (after `environment`), secret registry logins into
/// the pull, and ECS's ResourceInitializationError naming the definition path on failure.
@Suite struct TaskSecretsTests {
    static let roleAndSecrets = #""executionRoleArn": "arn:aws:iam::000000000000:role/exec","#

    func store(_ scratch: Scratch) throws -> (SecretResolver, String) {
        let store = SecretStore(root: scratch.path + "/secrets")
        let sm = SecretsManagerService(store: store)
        let arn = try #require(try sm.call("CreateSecret", ["Name": "db", "SecretString": #"{"username":"u","password":"pw-1"}"#])["ARN"]?.stringValue)
        _ = try sm.call("CreateSecret", ["Name": "plain", "SecretString": "whole"])
        _ = try ParameterStoreService(store: store).call("PutParameter", ["Name": "/p", "Value": "param", "Type": "SecureString"])
        return (SecretResolver(store: store), arn)
    }

    @Test func valuesBecomeEnvironmentVariablesAfterEnvironment() throws {
        let scratch = Scratch()
        let (resolver, arn) = try store(scratch)
        let json = td(#"""
            {"name": "a", "image": "x", "memory": 64, "environment": [{"name": "PW", "value": "plain-env"}, {"name": "K", "value": "k"}],
             "secrets": [{"name": "PW", "valueFrom": "\#(arn):password::"}, {"name": "P", "valueFrom": "/p"},
                         {"name": "W", "valueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:plain"}]},
            {"name": "b", "image": "x", "memory": 64}
            """#, task: Self.roleAndSecrets)
        let definition = try definition(json)
        let secrets = try TaskSecrets.resolve(definition, with: resolver)
        #expect(secrets.environment.map { $0.map(\.name) } == [["PW", "P", "W"], []])
        var b = SpecBuilder(task: definition, layout: TaskLayout(taskId: "abc123"))
        b.secretEnvironment = secrets.environment
        b.readFile = { _ in "" }
        let env = try b.build(index: 0, image: ImageConfig(Env: ["PATH=/bin"], Cmd: ["/bin/sh"])).plan.spec.process?.env ?? []
        #expect(env.contains("PW=pw-1") && env.contains("P=param") && env.contains("W=whole") && env.contains("K=k"))
        #expect(!env.contains("PW=plain-env"))
        let other = try b.build(index: 1, image: ImageConfig(Env: ["PATH=/bin"], Cmd: ["/bin/sh"])).plan.spec.process?.env ?? []
        #expect(!other.contains { $0.hasPrefix("PW=") })
    }

    @Test func aMissingSecretIsAResourceInitializationErrorAtItsPath() throws {
        let scratch = Scratch()
        let (resolver, _) = try store(scratch)
        let json = td(#"""
            {"name": "a", "image": "x", "memory": 64, "secrets": [{"name": "P", "valueFrom": "/p"}, {"name": "Q", "valueFrom": "/missing"}]}
            """#, task: Self.roleAndSecrets)
        #expect(throws: TranslationError("containerDefinitions[0].secrets[1]",
                                         "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /missing",
                                         kind: .resourceInitialization)) {
            try TaskSecrets.resolve(try definition(json), with: resolver)
        }
        let log = td(#"""
            {"name": "a", "image": "x", "memory": 64, "logConfiguration": {"logDriver": "json-file", "secretOptions": [{"name": "T", "valueFrom": "/gone"}]}}
            """#, task: Self.roleAndSecrets)
        #expect(throws: TranslationError.self) { try TaskSecrets.resolve(try definition(log), with: resolver) }
        // No store configured: a task with secrets cannot start.
        #expect(throws: TranslationError.self) { try TaskSecrets.resolve(try definition(json), with: nil) }
        // A task without secrets needs none.
        #expect(try TaskSecrets.resolve(try definition(td(#"{"name": "a", "image": "x", "memory": 64}"#)), with: nil).environment.map(\.count) == [0])
    }

    @Test func registryLoginsFromSecretsReachThePullOthersFallBack() throws {
        let scratch = Scratch()
        let (resolver, arn) = try store(scratch)
        let json = td(#"""
            {"name": "a", "image": "reg:5000/a:1", "memory": 64, "repositoryCredentials": {"credentialsParameter": "\#(arn)"}},
            {"name": "b", "image": "reg:5000/b:1", "memory": 64, "repositoryCredentials": {"credentialsParameter": "named-login"}}
            """#)
        let secrets = try TaskSecrets.resolve(try definition(json), with: resolver)
        #expect(secrets.registry == [RegistryCredential(username: "u", password: "pw-1"), nil])
        scratch.write("root/bin/hello", "hi")
        let images = ImageStore(root: scratch.path + "/images")
        let puller = DoublePuller(store: images, rootfs: scratch.path + "/root")
        let source = TaskImageSource(store: images, coordinator: PullCoordinator(puller: puller), policy: .always)
        _ = try source.provision(try definition(json), secrets: secrets)
        let options = Dictionary(uniqueKeysWithValues: puller.calls.map { ($0.reference, $0.options) })
        #expect(options["reg:5000/a:1"]?.credential == RegistryCredential(username: "u", password: "pw-1"))
        #expect(options["reg:5000/b:1"]?.credential == nil && options["reg:5000/b:1"]?.credentialsParameter == "named-login")
        // A secret that is not a {"username", "password"} object fails the task.
        let bad = td(#"{"name": "a", "image": "x", "memory": 64, "repositoryCredentials": {"credentialsParameter": "plain"}}"#)
        #expect(throws: TranslationError.self) { try TaskSecrets.resolve(try definition(bad), with: resolver) }
    }
}

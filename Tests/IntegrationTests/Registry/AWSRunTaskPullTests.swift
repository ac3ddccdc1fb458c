import BerthSys
import Foundation
import Testing

/// Issue 12's Done-when with every real piece: the aws CLI (`--endpoint-url`) drives a real
/// `berth agent` (real engine, pull policy `default`) that pulls from Debian's docker-registry on
/// loopback. `run-task` of a task definition naming `127.0.0.1:PORT/test/app:v1` (3 layers: busybox,
/// a whiteout and a new /etc/hello, an opaque directory) pulls it and runs it; `describe-tasks`
/// shows pullStartedAt <= pullStoppedAt <= startedAt and the manifest digest `skopeo inspect`
/// reports; the container's output proves the layers. A tag the registry lacks and a wrong
/// password each stop the task with TaskFailedToStart and CannotPullContainerError.
@Suite(.serialized) struct AWSRunTaskPullTests {
    /// The container prints what only the image's layers can give and exits 7.
    static func taskDefinition(family: String, image: String) -> String {
        """
        {"family": "\(family)", "memory": "128", "containerDefinitions": [
          {"name": "app", "image": "\(image)", "essential": true,
           "command": ["cat /etc/hello; test ! -e /etc/gone && echo gone-is-gone; echo data=$(ls /data); echo uid=$(id -u); exit 7"]}]}
        """
    }

    @Test func runTaskPullsARegistryImageAndRunsIt() throws {
        let w = try RegistryWorld()
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        h.extraAgentArgs = ["--image-pull-behavior", "default"]
        try h.startAgent()
        try aws.bindEndpoint()

        let image = "127.0.0.1:\(w.anonymousPort)/test/app:v1"
        let inspect = try TaskHarness.exec(["/usr/bin/skopeo", "inspect", "--tls-verify=false", "docker://" + image], timeout: 60)
        try #require(inspect.status == 0, "skopeo inspect: \(inspect.stderr)")
        let digest = try #require((try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["Digest"] as? String)
        #expect(digest == w.v1Digest)

        let registered = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(Self.taskDefinition(family: "pulled", image: image)))])
        #expect((registered["taskDefinition"] as? [String: Any])?["revision"] as? Int == 1, "\(registered)")
        let arn = try aws.runTask("pulled", harness: h)
        // The aws CLI's own waiter (DescribeTasks every 6 s until every task is STOPPED).
        _ = try aws.json(["wait", "tasks-stopped", "--tasks", arn])
        let task = try #require((try aws.json(["describe-tasks", "--tasks", arn])["tasks"] as? [[String: Any]])?.first)

        #expect(task["lastStatus"] as? String == "STOPPED", "\(task)")
        #expect(task["stopCode"] as? String == "EssentialContainerExited", "\(task)")
        let pullStarted = try #require(task["pullStartedAt"] as? Double, "no pullStartedAt: \(task)")
        let pullStopped = try #require(task["pullStoppedAt"] as? Double, "no pullStoppedAt: \(task)")
        let started = try #require(task["startedAt"] as? Double, "no startedAt: \(task)")
        #expect(pullStarted <= pullStopped && pullStopped <= started, "pull \(pullStarted)...\(pullStopped), started \(started)")
        let app = try #require(AgentRealHarness.container(task, "app"), "\(task)")
        #expect(app["image"] as? String == image)
        #expect(app["imageDigest"] as? String == digest, "\(app)")
        #expect(app["exitCode"] as? Int == 7, "\(app)")
        #expect(app["lastStatus"] as? String == "STOPPED")

        // The output: /etc/hello from layer 2, /etc/gone whited out, /data emptied by layer 3's
        // opaque marker and given b, and the image's User.
        let logs = try h.cli(["task", "logs", arn])
        #expect(logs.status == 0, "\(logs.stderr)")
        for line in ["two", "gone-is-gone", "data=b", "uid=1000"] {
            #expect(logs.stdout.split(separator: "\n").contains { $0.hasSuffix(line) }, "expected \(line.debugDescription) in the logs:\n\(logs.stdout)")
        }
        #expect(!logs.stdout.split(separator: "\n").contains { $0.hasSuffix("| one") }, "layer 1's /etc/hello shows: \(logs.stdout)")
        // Pulled into the agent's store under its name and digest.
        #expect(((try? Files.read(h.images + "/index.json")) ?? "").contains(digest))
        h.expectNothingLeft([arn])
    }

    @Test func unknownTagAndWrongPasswordStopTheTaskWithCannotPullContainerError() throws {
        let w = try RegistryWorld()
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        let protected = try w.registry(auth: try w.htpasswd(user: "alice", password: "s3cret"))
        // The agent finds registry credentials in Podman's file named by REGISTRY_AUTH_FILE.
        let authFile = w.root + "/podman-auth.json"
        func login(_ password: String) throws {
            let auth = Data("alice:\(password)".utf8).base64EncodedString()
            try Files.writeAtomically(authFile, Array(#"{"auths": {"127.0.0.1:\#(protected)": {"auth": "\#(auth)"}}}"#.utf8))
        }
        try login("wrong")
        h.extraAgentArgs = ["--image-pull-behavior", "default"]
        h.agentEnvironment = ["REGISTRY_AUTH_FILE": authFile]
        try h.startAgent()
        try aws.bindEndpoint()

        let missing = "127.0.0.1:\(w.anonymousPort)/test/app:nope"
        let denied = "127.0.0.1:\(protected)/test/app:v1"
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(Self.taskDefinition(family: "missing", image: missing)))])
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(Self.taskDefinition(family: "denied", image: denied)))])

        var arns: [String] = []
        for (family, image, words) in [("missing", missing, ["not found"]), ("denied", denied, ["pull access denied", "as alice", "UNAUTHORIZED"])] {
            let arn = try aws.runTask(family, harness: h)
            arns.append(arn)
            let task = try aws.waitStopped(arn)
            #expect(task["lastStatus"] as? String == "STOPPED", "\(task)")
            #expect(task["stopCode"] as? String == "TaskFailedToStart", "\(task)")
            let reason = task["stoppedReason"] as? String ?? ""
            #expect(reason.hasPrefix("CannotPullContainerError:"), "\(family): \(reason)")
            #expect(reason.contains(image), "\(family): the reason names the image: \(reason)")
            for word in words { #expect(reason.contains(word), "\(family): expected \(word.debugDescription) in \(reason.debugDescription)") }
            let app = try #require(AgentRealHarness.container(task, "app"), "\(task)")
            #expect(app["lastStatus"] as? String == "STOPPED" && app["exitCode"] == nil, "\(app)")
            #expect((app["reason"] as? String ?? "").hasPrefix("CannotPullContainerError:"), "\(app)")
            #expect(task["startedAt"] == nil, "never started: \(task)")
        }
        #expect(!((try? Files.read(h.images + "/index.json")) ?? "").contains("test/app"), "a failed pull lists nothing")

        // The same registry with the right password: the credential file is what was refused.
        try login("s3cret")
        let arn = try aws.runTask("denied", harness: h)
        arns.append(arn)
        let task = try aws.waitStopped(arn)
        #expect(task["stopCode"] as? String == "EssentialContainerExited", "\(task)")
        #expect(AgentRealHarness.container(task, "app")?["exitCode"] as? Int == 7, "\(task)")
        #expect(AgentRealHarness.container(task, "app")?["imageDigest"] as? String == w.v1Digest, "\(task)")
        h.expectNothingLeft(arns)
    }
}

extension AWSRunTaskPullTests {
    /// `repositoryCredentials.credentialsParameter` (a Secrets Manager ARN) names a credential
    /// stored with `berth image login --name`, in the file the agent is given with --auth-file:
    /// without it the pull is refused, with it the task runs.
    @Test func repositoryCredentialsNameALocalCredential() throws {
        let w = try RegistryWorld()
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        let protected = try w.registry(auth: try w.htpasswd(user: "alice", password: "s3cret"))
        let authFile = w.root + "/agent-auth.json"
        h.extraAgentArgs = ["--image-pull-behavior", "default", "--auth-file", authFile]
        try h.startAgent()
        try aws.bindEndpoint()
        let image = "127.0.0.1:\(protected)/test/app:v1"
        let secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app-registry"
        let definition = """
            {"family": "private", "memory": "128", "containerDefinitions": [
              {"name": "app", "image": "\(image)", "essential": true,
               "repositoryCredentials": {"credentialsParameter": "\(secret)"},
               "command": ["cat /etc/hello; exit 7"]}]}
            """
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(definition))])

        // No such credential yet: refused, and the reason names the parameter.
        let first = try aws.runTask("private", harness: h)
        let refused = try aws.waitStopped(first)
        let reason = refused["stoppedReason"] as? String ?? ""
        #expect(refused["stopCode"] as? String == "TaskFailedToStart", "\(refused)")
        #expect(reason.hasPrefix("CannotPullContainerError:") && reason.contains("app-registry"), "\(reason)")

        // Stored under that name (not under the registry's host), the same task definition runs.
        let login = try TaskHarness.exec(["/bin/sh", "-c", #"printf 's3cret\n' | "$0" "$@""#, TaskHarness.berth, "image", "login",
                                          "--name", "app-registry", "--auth-file", authFile, "--username", "alice", "--password-stdin",
                                          "127.0.0.1:\(protected)"], timeout: 30)
        #expect(login.status == 0, "\(login.stderr)")
        let second = try aws.runTask("private", harness: h)
        let task = try aws.waitStopped(second)
        #expect(task["stopCode"] as? String == "EssentialContainerExited", "\(task)")
        #expect(AgentRealHarness.container(task, "app")?["exitCode"] as? Int == 7, "\(task)")
        #expect(AgentRealHarness.container(task, "app")?["imageDigest"] as? String == w.v1Digest, "\(task)")
        h.expectNothingLeft([first, second])
    }
}

extension AWSRunTaskPullTests {
    /// `repositoryCredentials.credentialsParameter` names a secret of the agent's Secrets Manager
    /// (`{"username", "password"}`), created with the aws CLI: the wrong password is refused by
    /// the registry, a new version with the right one runs the task; a secret of another shape
    /// stops it with ResourceInitializationError.
    @Test func repositoryCredentialsNameASecretOfTheAgentsSecretsManager() throws {
        let w = try RegistryWorld()
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        let protected = try w.registry(auth: try w.htpasswd(user: "alice", password: "s3cret"))
        h.extraAgentArgs = ["--image-pull-behavior", "default", "--auth-file", w.root + "/no-auth.json"]
        try h.startAgent()
        try aws.bindEndpoint()
        let created = try aws.json(["create-secret", "--name", "reg-login", "--secret-string", #"{"username":"alice","password":"wrong"}"#],
                                   service: "secretsmanager")
        let arn = try #require(created["ARN"] as? String)
        _ = try aws.json(["create-secret", "--name", "not-a-login", "--secret-string", "just text"], service: "secretsmanager")
        for (family, parameter) in [("private-sm", arn), ("private-bad", "not-a-login")] {
            let definition = """
                {"family": "\(family)", "memory": "128", "containerDefinitions": [
                  {"name": "app", "image": "127.0.0.1:\(protected)/test/app:v1", "essential": true,
                   "repositoryCredentials": {"credentialsParameter": "\(parameter)"},
                   "command": ["cat /etc/hello; exit 7"]}]}
                """
            _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(definition))])
        }
        let first = try aws.runTask("private-sm", harness: h)
        let refused = try aws.waitStopped(first)
        #expect(refused["stopCode"] as? String == "TaskFailedToStart", "\(refused)")
        #expect((refused["stoppedReason"] as? String ?? "").hasPrefix("CannotPullContainerError:"), "\(refused)")

        _ = try aws.json(["put-secret-value", "--secret-id", "reg-login", "--secret-string", #"{"username":"alice","password":"s3cret"}"#],
                         service: "secretsmanager")
        let second = try aws.runTask("private-sm", harness: h)
        let task = try aws.waitStopped(second)
        #expect(task["stopCode"] as? String == "EssentialContainerExited", "\(task)")
        #expect(AgentRealHarness.container(task, "app")?["exitCode"] as? Int == 7, "\(task)")

        let third = try aws.runTask("private-bad", harness: h)
        let bad = try aws.waitStopped(third)
        #expect(bad["stopCode"] as? String == "TaskFailedToStart", "\(bad)")
        #expect((bad["stoppedReason"] as? String ?? "").hasPrefix("ResourceInitializationError: unable to pull secrets or registry auth: "), "\(bad)")
        h.expectNothingLeft([first, second, third])
    }
}

/// The real aws CLI (installed by Scripts/setup.sh --test) pointed at one agent with its
/// credentials; no AWS_* variable or config of the caller reaches it.
final class AWSCLI: @unchecked Sendable {
    let executable: String
    let harness: AgentRealHarness
    var endpoint = ""
    private var environment: [String] = []

    init(harness: AgentRealHarness) throws {
        self.harness = harness
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let found = path.split(separator: ":").map { (dir: Substring) -> String in String(dir) + "/aws" }.first { access($0, X_OK) == 0 }
        executable = try #require(found, "the aws CLI is not on PATH (\(path)): Scripts/setup.sh --test installs it")
    }

    /// After the agent started: its endpoint and the credentials it created.
    func bindEndpoint() throws {
        endpoint = try #require(harness.endpoint, "the agent printed no listening line")
        let raw = try Files.read(harness.stateDir + "/credentials.json")
        let creds = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
        let key = try #require(creds["accessKeyId"] as? String), secret = try #require(creds["secretAccessKey"] as? String)
        let unset = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("AWS_") }.sorted().flatMap { ["-u", $0] }
        environment = ["/usr/bin/env"] + unset + ["AWS_ACCESS_KEY_ID=\(key)", "AWS_SECRET_ACCESS_KEY=\(secret)", "AWS_DEFAULT_REGION=us-east-1",
                                                 "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
                                                 "AWS_MAX_ATTEMPTS=1"]
    }

    /// `aws SERVICE ARGS --endpoint-url E --output json` (ecs unless named), parsed (an issue and a throw when it fails).
    func json(_ args: [String], service: String = "ecs") throws -> [String: Any] {
        let r = try TaskHarness.exec(environment + [executable, service] + args + ["--endpoint-url", endpoint, "--output", "json"], timeout: 120)
        try #require(r.status == 0, "aws \(service) \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
        let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [:] }
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(r.stdout)")
    }

    /// A file under the harness root holding `text` (for `file://` arguments).
    func file(_ text: String) throws -> String {
        let path = harness.root + "/aws-\(UInt32.random(in: 0...UInt32.max)).json"
        try Files.writeAtomically(path, Array(text.utf8))
        return path
    }

    /// `aws ecs run-task`; the task's ARN (recorded for the harness's clean-up).
    func runTask(_ family: String, harness h: AgentRealHarness) throws -> String {
        let out = try json(["run-task", "--task-definition", family])
        #expect((out["failures"] as? [Any] ?? []).isEmpty, "\(out)")
        let arn = try #require((out["tasks"] as? [[String: Any]])?.first?["taskArn"] as? String, "\(out)")
        h.launched.append(AgentRealHarness.taskId(arn))
        return arn
    }

    /// Poll `aws ecs describe-tasks` until the task is STOPPED (an issue and a throw after `timeout`).
    func waitStopped(_ arn: String, timeout: Double = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let out = try json(["describe-tasks", "--tasks", arn])
            last = (out["tasks"] as? [[String: Any]])?.first ?? out
            if last["lastStatus"] as? String == "STOPPED" { return last }
            usleep(300_000)
        }
        Issue.record("task \(arn) not STOPPED within \(timeout)s: \(last)")
        throw CancellationError()
    }
}

import BerthHTTP
import BerthJSON
import Foundation
import Testing
@testable import BerthAgent

/// The metadata endpoint's answers over the FakeTaskEngine: which task asks is where the
/// request came from, never what it says.
@Suite struct TaskMetadataResponderTests {
    static let identity = TaskMetadataIdentity(secret: Array("0123456789abcdef0123456789abcdef".utf8))

    struct World {
        let h: Harness
        let responder: TaskMetadataResponder
        let roles: String
    }

    static func world(_ dir: borrowing TempDir) throws -> World {
        let h = try Harness(dir: dir)
        let roles = dir.path + "/roles.json"
        try Data(#"{"arn:aws:iam::000000000000:role/app": {"accessKeyId": "AKIA1", "secretAccessKey": "s1", "sessionToken": "t1", "expiration": "2030-01-02T03:04:05Z"}}"#.utf8)
            .write(to: URL(fileURLWithPath: roles))
        let responder = TaskMetadataResponder(source: h.backend, identity: identity, roles: RoleCredentialStore(path: roles, environment: [:]),
                                              address: { _ in "127.128.0.9" }, clock: { h.clock.read() }, log: { _ in })
        return World(h: h, responder: responder, roles: roles)
    }

    static func run(_ h: Harness, family: String, role: String?, mode: String = "awsvpc") throws -> String {
        var td: JSONValue = ["family": .string(family), "networkMode": .string(mode), "cpu": "512", "memory": "1024", "containerDefinitions": [[
            "name": "app", "image": "busybox", "memory": 64, "command": ["sleep", "100"], "dockerLabels": ["team": "x"],
        ]]]
        if let role { td["taskRoleArn"] = .string(role) }
        _ = try h.call("RegisterTaskDefinition", td)
        let out = try h.call("RunTask", ["taskDefinition": .string(family)])
        return try #require(out["tasks"]?.arrayValue?.first?["taskArn"]?.stringValue)
    }

    static func get(_ r: TaskMetadataResponder, _ path: String, listener: String, headers: [(name: String, value: String)] = []) -> (Int, JSONValue?) {
        let response = r.handle(HTTPRequest(method: "GET", target: path, headers: headers, body: []), connection: ConnectionInfo(trusted: false, listener: listener))
        return (response.status, try? JSONValue.parse(bytes: response.body))
    }

    static func containerId(_ arn: String) -> String {
        TaskMetadataIdentity.containerId(taskId: String(arn.split(separator: "/").last!), name: "app")
    }

    @Test func aTaskReadsItsOwnMetadataAndNoOtherTasks() throws {
        let dir = TempDir()
        let w = try Self.world(dir)
        let a = try Self.run(w.h, family: "a", role: "arn:aws:iam::000000000000:role/app")
        let b = try Self.run(w.h, family: "b", role: nil)
        w.h.clock.advance(5)
        let onA = TaskMetadataResponder.listenerTag(taskArn: a)
        let idA = Self.containerId(a), idB = Self.containerId(b)

        let (status, task) = Self.get(w.responder, "/v4/\(idA)/task", listener: onA)
        #expect(status == 200)
        #expect(task?["TaskARN"]?.stringValue == a)
        #expect(task?["Family"] == "a")
        #expect(task?["Limits"]?["CPU"]?.doubleValue == 0.5)
        #expect(task?["Limits"]?["Memory"] == 1024)
        #expect(task?["FaultInjectionEnabled"] == false)
        #expect(task?["ClockDrift"]?["ClockSynchronizationStatus"] == "SYNCHRONIZED")
        let container = task?["Containers"]?.arrayValue?.first
        #expect(container?["DockerId"]?.stringValue == idA)
        #expect(container?["Labels"]?["com.amazonaws.ecs.task-arn"]?.stringValue == a)
        #expect(container?["Labels"]?["team"] == "x")
        #expect(container?["Networks"]?.arrayValue?.first?["IPv4Addresses"] == ["127.128.0.9"])
        #expect(container?["Limits"]?["Memory"] == 64)

        #expect(Self.get(w.responder, "/v4/\(idA)", listener: onA).1?["Name"] == "app")
        #expect(Self.get(w.responder, "/v4/\(idA)/taskWithTags", listener: onA).1?["TaskTags"] == [:])
        #expect(Self.get(w.responder, "/v3/\(idA)/task", listener: onA).1?["ClockDrift"] == nil)
        let stats = Self.get(w.responder, "/v4/\(idA)/task/stats", listener: onA)
        #expect(stats.0 == 200 && stats.1?[idA]?["pids_stats"]?["current"] == 1)

        // B's container id on A's listener, B's listener with A's id: 404, no data.
        let other = Self.get(w.responder, "/v4/\(idB)/task", listener: onA)
        #expect(other.0 == 404)
        #expect(other.1?.stringValue?.hasPrefix("V4 container metadata handler") == true)
        #expect(Self.get(w.responder, "/v4/\(idA)/task", listener: TaskMetadataResponder.listenerTag(taskArn: b)).0 == 404)
        #expect(Self.get(w.responder, "/v4/\(idA)/task", listener: "127.0.0.1:51679").0 == 404)
        #expect(Self.get(w.responder, "/v4/\(idA)/nope", listener: onA).0 == 404)
    }

    @Test func credentialsOnlyForTheTasksOwnRoleAndId() throws {
        let dir = TempDir()
        let w = try Self.world(dir)
        let a = try Self.run(w.h, family: "a", role: "arn:aws:iam::000000000000:role/app")
        let b = try Self.run(w.h, family: "b", role: nil)
        let c = try Self.run(w.h, family: "c", role: "arn:aws:iam::000000000000:role/unmapped")
        let onA = TaskMetadataResponder.listenerTag(taskArn: a)
        let (status, creds) = Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: a))", listener: onA)
        #expect(status == 200)
        #expect(creds == .obj([("RoleArn", "arn:aws:iam::000000000000:role/app"), ("AccessKeyId", "AKIA1"), ("SecretAccessKey", "s1"),
                               ("Token", "t1"), ("Expiration", "2030-01-02T03:04:05Z")]))
        // Another task's id on A's listener; A's id on B's; a task without a role; an unmapped role.
        #expect(Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: c))", listener: onA).0 == 400)
        #expect(Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: a))", listener: TaskMetadataResponder.listenerTag(taskArn: b)).0 == 400)
        #expect(Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: b))", listener: TaskMetadataResponder.listenerTag(taskArn: b)).0 == 400)
        let unmapped = Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: c))", listener: TaskMetadataResponder.listenerTag(taskArn: c))
        #expect(unmapped.0 == 400)
        #expect(unmapped.1?["message"]?.stringValue?.contains("role/unmapped") == true)
        // RunTask's overrides.taskRoleArn is the task's role.
        let o = try w.h.call("RunTask", ["taskDefinition": "c", "overrides": ["taskRoleArn": "arn:aws:iam::000000000000:role/app"]])
        let overridden = try #require(o["tasks"]?.arrayValue?.first?["taskArn"]?.stringValue)
        let got = Self.get(w.responder, "/v2/credentials/\(Self.identity.credentialsId(taskArn: overridden))", listener: TaskMetadataResponder.listenerTag(taskArn: overridden))
        #expect(got.1?["RoleArn"] == "arn:aws:iam::000000000000:role/app")
    }

    @Test func hostNetworkTasksAreKnownByTheirTokenAndCredentialsNeedIt() throws {
        let dir = TempDir()
        let w = try Self.world(dir)
        let a = try Self.run(w.h, family: "a", role: "arn:aws:iam::000000000000:role/app", mode: "host")
        let listener = "127.0.0.1:51679"
        let token = Self.identity.hostToken(taskArn: a)
        #expect(Self.get(w.responder, "/\(token)/v4/\(Self.containerId(a))/task", listener: listener).0 == 404)  // not registered yet
        w.responder.registerHostTask(taskArn: a)
        #expect(Self.get(w.responder, "/\(token)/v4/\(Self.containerId(a))/task", listener: listener).1?["TaskARN"]?.stringValue == a)
        let creds = "/\(token)/v2/credentials/\(Self.identity.credentialsId(taskArn: a))"
        #expect(Self.get(w.responder, creds, listener: listener).0 == 401)
        #expect(Self.get(w.responder, creds, listener: listener, headers: [("Authorization", "wrong")]).0 == 401)
        #expect(Self.get(w.responder, creds, listener: listener, headers: [("Authorization", token)]).1?["AccessKeyId"] == "AKIA1")
        w.responder.forget(taskArn: a)
        #expect(Self.get(w.responder, creds, listener: listener, headers: [("Authorization", token)]).0 == 404)
    }

    @Test func environmentAsECSSetsIt() {
        let arn = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"
        let id = TaskMetadataIdentity.containerId(taskId: "0123456789abcdef0123456789abcdef", name: "web")
        #expect(id.count == 32 + 1 + 10 && id.hasPrefix("0123456789abcdef0123456789abcdef-"))
        let inNamespace = Self.identity.environment(taskArn: arn, taskId: "0123456789abcdef0123456789abcdef", containerNames: ["web"],
                                                    taskRoleArn: "arn:aws:iam::1:role/r", reach: .taskNamespace)["web"] ?? []
        #expect(inNamespace.map(\.name) == ["ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"])
        #expect(inNamespace[0].value == "http://169.254.170.2/v4/\(id)")
        #expect(inNamespace[2].value == "/v2/credentials/" + Self.identity.credentialsId(taskArn: arn))
        let noRole = Self.identity.environment(taskArn: arn, taskId: "x", containerNames: ["web"], taskRoleArn: nil, reach: .taskNamespace)["web"] ?? []
        #expect(noRole.map(\.name) == ["ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI"])
        let host = Self.identity.environment(taskArn: arn, taskId: "x", containerNames: ["web"], taskRoleArn: "arn:aws:iam::1:role/r",
                                             reach: .hostLoopback(port: 51679))["web"] ?? []
        let token = Self.identity.hostToken(taskArn: arn)
        #expect(host.map(\.name) == ["ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"])
        #expect(host[2].value.hasPrefix("http://127.0.0.1:51679/\(token)/v2/credentials/"))
        #expect(host[3].value == token)
        // Stable for a secret, different per task and per secret.
        #expect(Self.identity.credentialsId(taskArn: arn) == TaskMetadataIdentity(secret: Array("0123456789abcdef0123456789abcdef".utf8)).credentialsId(taskArn: arn))
        #expect(Self.identity.credentialsId(taskArn: arn) != Self.identity.credentialsId(taskArn: arn + "0"))
        #expect(Self.identity.credentialsId(taskArn: arn) != TaskMetadataIdentity(secret: Array("other".utf8)).credentialsId(taskArn: arn))
    }

    @Test func networkCountersFromProcNetDev() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:    3659      25    0    0    0     0          0         0     3659      25    0    0    0     0       0          0
              eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0
            """
        let n = NetworkCounters.parse(procNetDev: text)
        #expect(n.map(\.name) == ["lo", "eth0"])
        #expect(n[1].rxBytes == 1000 && n[1].rxPackets == 10 && n[1].rxErrors == 1 && n[1].rxDropped == 2)
        #expect(n[1].txBytes == 2000 && n[1].txPackets == 20 && n[1].txErrors == 3 && n[1].txDropped == 4)
    }
}

@Suite struct RoleCredentialStoreTests {
    @Test func staticKeysProfilesAndChanges() throws {
        let dir = TempDir()
        let file = dir.path + "/roles.json", shared = dir.path + "/credentials"
        try Data("[default]\naws_access_key_id=D\naws_secret_access_key=DS\n\n[dev]\naws_access_key_id = K2\naws_secret_access_key = S2\naws_session_token = T2\n".utf8)
            .write(to: URL(fileURLWithPath: shared))
        try Data(#"{"arn:aws:iam::1:role/a": {"accessKeyId": "K1", "secretAccessKey": "S1"}, "arn:aws:iam::1:role/b": {"profile": "dev"}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let store = RoleCredentialStore(path: file, environment: ["AWS_SHARED_CREDENTIALS_FILE": shared])
        try store.validate()
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/a") == RoleCredential(accessKeyId: "K1", secretAccessKey: "S1", sessionToken: nil, expiration: nil))
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/b") == RoleCredential(accessKeyId: "K2", secretAccessKey: "S2", sessionToken: "T2", expiration: nil))
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/c") == nil)
        // Rotated: read again.
        try Data(#"{"arn:aws:iam::1:role/a": {"accessKeyId": "K1-rotated", "secretAccessKey": "S1", "expiration": "2030-01-01T00:00:00Z"}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/a")?.accessKeyId == "K1-rotated")
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/a")?.expiration == 1_893_456_000)
        #expect(try store.credential(roleArn: "arn:aws:iam::1:role/b") == nil)
    }

    @Test func mistakesNameTheFileAndTheRole() throws {
        let dir = TempDir()
        let file = dir.path + "/roles.json"
        func problem(_ json: String) -> String? {
            try? Data(json.utf8).write(to: URL(fileURLWithPath: file))
            do { try RoleCredentialStore(path: file, environment: ["AWS_SHARED_CREDENTIALS_FILE": dir.path + "/none"]).validate(); return nil } catch {
                return error.description
            }
        }
        #expect(problem(#"{"not-an-arn": {}}"#)?.contains("is not a role ARN") == true)
        #expect(problem(#"{"arn:aws:iam::1:role/a": {"accessKeyId": "K"}}"#)?.contains("role/a") == true)
        #expect(problem(#"{"arn:aws:iam::1:role/a": {"accessKeyId": "K", "secretAccessKey": "S", "expiry": 1}}"#)?.contains("expiry: unknown member") == true)
        #expect(problem(#"{"arn:aws:iam::1:role/a": {"accessKeyId": "K", "secretAccessKey": "S", "expiration": "soon"}}"#)?.contains("expiration") == true)
        #expect(problem(#"{"arn:aws:iam::1:role/a": {"profile": "dev"}}"#)?.contains("cannot read") == true)
        #expect(problem(#"["#)?.hasPrefix(file) == true)
        #expect(problem(#"{}"#) == nil)
        do { try RoleCredentialStore(path: dir.path + "/missing.json").validate(); Issue.record("a missing file was accepted") } catch {
            #expect(error.description.contains("missing.json"))
        }
    }
}

import BerthJSON
import Foundation
import Testing
@testable import BerthAgent

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Double = 1_700_000_000
    func read() -> Double { lock.withLock { now } }
    func advance(_ s: Double) { lock.withLock { now += s } }
}

final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}

/// A temporary state directory, removed at the end of the test, after the backends using it
/// are closed (a backend's writer still running would put files back while it is removed).
struct TempDir: ~Copyable {
    let path: String
    private let users = Users()

    final class Users: @unchecked Sendable {
        private let lock = NSLock()
        private var backends: [ECSBackend] = []
        func add(_ b: ECSBackend) { lock.withLock { backends.append(b) } }
        func closeAll() { for b in lock.withLock({ backends }) { b.close() } }
    }

    init() {
        path = NSTemporaryDirectory() + "berth-agent-test-" + Ident.hex(8)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A backend whose state is in this directory: closed before the directory is removed.
    func use(_ backend: ECSBackend) -> ECSBackend {
        users.add(backend)
        return backend
    }

    deinit {
        users.closeAll()
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct Harness {
    let clock: ManualClock
    let engine: FakeTaskEngine
    let backend: ECSBackend
    let logs: LogCollector

    init(dir: borrowing TempDir, clock: ManualClock = ManualClock(), retention: Double = 3600) throws {
        self.clock = clock
        let c = clock
        engine = FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 2, clock: { c.read() })
        let logs = LogCollector()
        self.logs = logs
        var config = BackendConfig()
        config.stoppedTaskRetention = retention
        let store = try StateStore(root: dir.path, log: { logs.add($0) })
        backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { logs.add($0) }))
    }

    func call(_ op: String, _ input: JSONValue = [:]) throws -> JSONValue { try backend.call(op, input) }

    func error(_ op: String, _ input: JSONValue) -> APIError? {
        do { _ = try backend.call(op, input); return nil } catch { return error }
    }

    func register(_ family: String, command: [String] = ["sleep", "100"], essential: Bool = true) throws -> JSONValue {
        try call("RegisterTaskDefinition", ["family": .string(family), "containerDefinitions": [[
            "name": "app", "image": "busybox", "memory": 64, "essential": .bool(essential), "command": .array(command.map(JSONValue.string)),
        ]]])
    }
}

@Suite struct ClusterAndTaskDefinitionTests {
    @Test func defaultClusterAndCreateDescribeDelete() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        #expect(try h.call("ListClusters")["clusterArns"] == ["arn:aws:ecs:us-east-1:000000000000:cluster/default"])
        let created = try h.call("CreateCluster", ["clusterName": "prod", "tags": [["key": "team", "value": "a"]]])
        #expect(created["cluster"]?["status"] == "ACTIVE")
        // Creating an existing cluster returns it.
        #expect(try h.call("CreateCluster", ["clusterName": "prod"])["cluster"]?["clusterArn"] == created["cluster"]?["clusterArn"])
        let described = try h.call("DescribeClusters", ["clusters": ["prod", "nope"], "include": ["TAGS"]])
        #expect(described["clusters"]?.arrayValue?.first?["tags"] == [["key": "team", "value": "a"]])
        #expect(described["failures"] == [["arn": "arn:aws:ecs:us-east-1:000000000000:cluster/nope", "reason": "MISSING"]])
        #expect(h.error("CreateCluster", ["clusterName": "bad name"])?.type == "InvalidParameterException")
        #expect(h.error("DeleteCluster", ["cluster": "nope"])?.type == "ClusterNotFoundException")
        #expect(h.error("DeleteCluster", ["cluster": "default"])?.type == "InvalidParameterException")
        #expect(try h.call("DeleteCluster", ["cluster": "prod"])["cluster"]?["status"] == "INACTIVE")
        #expect(h.error("RunTask", ["cluster": "prod", "taskDefinition": "x"])?.type == "ClusterNotFoundException")
        #expect(h.error("ListClusters", ["clusters": 5]) == nil)
        #expect(h.error("DescribeClusters", ["clusters": "prod"])?.type == "SerializationException")
    }

    @Test func revisionsAreNeverReused() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        #expect(try h.register("web")["taskDefinition"]?["revision"] == 1)
        #expect(try h.register("web")["taskDefinition"]?["revision"] == 2)
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "web"])["taskDefinition"]?["revision"] == 2)
        #expect(h.error("DeregisterTaskDefinition", ["taskDefinition": "web"])?.message == "Revision is missing.")
        #expect(try h.call("DeregisterTaskDefinition", ["taskDefinition": "web:2"])["taskDefinition"]?["status"] == "INACTIVE")
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "web"])["taskDefinition"]?["revision"] == 1)
        let deleted = try h.call("DeleteTaskDefinitions", ["taskDefinitions": ["web:2", "web:1", "web:9"]])
        #expect(deleted["taskDefinitions"]?.arrayValue?.first?["status"] == "DELETE_IN_PROGRESS")
        #expect(deleted["failures"]?.arrayValue?.count == 2)
        h.backend.pruneStoppedTasks()
        #expect(h.error("DescribeTaskDefinition", ["taskDefinition": "web:2"])?.message == "Unable to describe task definition.")
        #expect(try h.register("web")["taskDefinition"]?["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3")
        // The counter survives a restart even though revision 2 is gone.
        let h2 = try Harness(dir: dir)
        #expect(try h2.register("web")["taskDefinition"]?["revision"] == 4)
    }

    @Test func validationErrorsAreClientExceptions() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        let e = h.error("RegisterTaskDefinition", ["family": "x", "containerDefinitions": [["name": "a", "image": "b"]]])
        #expect(e?.type == "ClientException")
        #expect(e?.message.contains("At least one of 'memory' or 'memoryReservation' must be specified") == true)
        #expect(h.error("DescribeTaskDefinition", ["taskDefinition": "missing"])?.type == "ClientException")
        #expect(h.error("DescribeTaskDefinition", [:])?.type == "InvalidParameterException")
    }

    @Test func listsPaginateWithOpaqueTokens() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        for f in ["b", "a", "c", "d", "e"] { _ = try h.register(f) }
        _ = try h.register("a")
        var seen: [String] = []
        var token: JSONValue? = nil
        repeat {
            var input: JSONValue = ["maxResults": 2]
            if let token { input["nextToken"] = token }
            let page = try h.call("ListTaskDefinitions", input)
            seen += (page["taskDefinitionArns"]?.arrayValue ?? []).compactMap(\.stringValue)
            token = page["nextToken"]
            #expect((page["taskDefinitionArns"]?.arrayValue?.count ?? 0) <= 2)
        } while token != nil
        #expect(seen.map { String($0.split(separator: "/").last!) } == ["a:1", "a:2", "b:1", "c:1", "d:1", "e:1"])
        let desc = try h.call("ListTaskDefinitions", ["familyPrefix": "a", "sort": "DESC"])
        #expect(desc["taskDefinitionArns"]?.arrayValue?.count == 2 && desc["taskDefinitionArns"]?.arrayValue?.first?.stringValue?.hasSuffix("a:2") == true)
        #expect(try h.call("ListTaskDefinitionFamilies", ["familyPrefix": "d"])["families"] == ["d"])
        #expect(h.error("ListTaskDefinitions", ["maxResults": 0])?.type == "InvalidParameterException")
        #expect(h.error("ListTaskDefinitions", ["maxResults": 101])?.type == "InvalidParameterException")
        #expect(h.error("ListTaskDefinitions", ["nextToken": "garbage"])?.type == "InvalidParameterException")
        let clusterToken = try h.call("ListTaskDefinitionFamilies", ["maxResults": 1])["nextToken"]
        #expect(h.error("ListTaskDefinitions", ["nextToken": clusterToken!])?.type == "InvalidParameterException")
        #expect(h.error("ListTaskDefinitions", ["maxResults": "2"])?.type == "SerializationException")
    }

    @Test func tagsOnClustersTaskDefinitionsAndTasks() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        let td = try h.register("web")["taskDefinition"]!["taskDefinitionArn"]!
        _ = try h.call("TagResource", ["resourceArn": td, "tags": [["key": "k", "value": "v"], ["key": "k2", "value": ""]]])
        _ = try h.call("UntagResource", ["resourceArn": td, "tagKeys": ["k2"]])
        #expect(try h.call("ListTagsForResource", ["resourceArn": td])["tags"] == [["key": "k", "value": "v"]])
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "web:1", "include": ["TAGS"]])["tags"] == [["key": "k", "value": "v"]])
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "web:1"])["tags"] == nil)
        let cluster: JSONValue = "arn:aws:ecs:us-east-1:000000000000:cluster/default"
        _ = try h.call("TagResource", ["resourceArn": cluster, "tags": [["key": "env", "value": "dev"]]])
        #expect(try h.call("ListTagsForResource", ["resourceArn": cluster])["tags"] == [["key": "env", "value": "dev"]])
        #expect(h.error("TagResource", ["resourceArn": cluster, "tags": [["key": "aws:x", "value": "y"]]])?.type == "InvalidParameterException")
        #expect(h.error("ListTagsForResource", ["resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/none"])?.type == "ClusterNotFoundException")
        let task = try h.call("RunTask", ["taskDefinition": "web", "propagateTags": "TASK_DEFINITION", "tags": [["key": "t", "value": "1"]]])
        #expect(task["tasks"]?.arrayValue?.first?["tags"] == [["key": "t", "value": "1"], ["key": "k", "value": "v"]])
        let tooMany = JSONValue.array((0..<51).map { ["key": .string("k\($0)"), "value": "v"] })
        #expect(h.error("TagResource", ["resourceArn": cluster, "tags": tooMany])?.type == "InvalidParameterException")
    }
}

@Suite struct TaskLifecycleTests {
    func status(_ h: Harness, _ arn: JSONValue) throws -> JSONValue {
        try h.call("DescribeTasks", ["tasks": [arn]])["tasks"]!.arrayValue![0]
    }

    @Test func runDescribeStop() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.register("web")
        let run = try h.call("RunTask", ["taskDefinition": "web", "count": 2, "startedBy": "me"])
        let tasks = run["tasks"]!.arrayValue!
        #expect(tasks.count == 2)
        let t = tasks[0]
        #expect(t["lastStatus"] == "PROVISIONING" && t["desiredStatus"] == "RUNNING" && t["group"] == "family:web" && t["version"] == 1)
        let arn = t["taskArn"]!
        let id = String(arn.stringValue!.split(separator: "/").last!)
        #expect(arn.stringValue!.hasPrefix("arn:aws:ecs:us-east-1:000000000000:task/default/") && id.count == 32)
        #expect(t["containers"]?.arrayValue?.first?["containerArn"]?.stringValue?.contains("container/default/\(id)/") == true)
        h.clock.advance(0.6)
        #expect(try status(h, arn)["lastStatus"] == "ACTIVATING")
        h.clock.advance(1)
        let running = try status(h, .string(id))
        #expect(running["lastStatus"] == "RUNNING" && running["startedAt"] != nil && running["containers"]?.arrayValue?.first?["lastStatus"] == "RUNNING")
        #expect(try h.call("ListTasks", ["startedBy": "me"])["taskArns"]?.arrayValue?.count == 2)
        #expect(h.error("ListTasks", ["startedBy": "me", "family": "web"])?.type == "InvalidParameterException")
        let stopped = try h.call("StopTask", ["task": arn, "reason": "enough"])["task"]!
        #expect(stopped["desiredStatus"] == "STOPPED" && stopped["lastStatus"] == "RUNNING" && stopped["stopCode"] == "UserInitiated")
        #expect(stopped["stoppedReason"] == "enough" && stopped["stoppingAt"] != nil)
        h.clock.advance(1.5)
        let final = try status(h, arn)
        #expect(final["lastStatus"] == "STOPPED" && final["stoppedAt"] != nil && final["executionStoppedAt"] != nil)
        #expect(final["containers"]?.arrayValue?.first?["exitCode"] == 143)
        #expect((final["version"]?.intValue ?? 0) > 3)
        #expect(try h.call("ListTasks", ["desiredStatus": "STOPPED"])["taskArns"] == [arn])
        #expect(try h.call("ListTasks")["taskArns"]?.arrayValue?.count == 1)
        let missing = try h.call("DescribeTasks", ["tasks": ["0123"]])
        #expect(missing["failures"]?.arrayValue?.first?["reason"] == "MISSING")
    }

    @Test func essentialExitStopsTaskWithRealExitCode() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.register("job", command: ["false"])
        let arn = try h.call("RunTask", ["taskDefinition": "job"])["tasks"]!.arrayValue![0]["taskArn"]!
        h.clock.advance(5)
        let t = try status(h, arn)
        #expect(t["lastStatus"] == "STOPPED" && t["desiredStatus"] == "STOPPED")
        #expect(t["stopCode"] == "EssentialContainerExited" && t["stoppedReason"] == "Essential container in task exited")
        #expect(t["containers"]?.arrayValue?.first?["exitCode"] == 1)
    }

    @Test func overridesReachTheEngine() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.register("web")
        let overrides: JSONValue = ["containerOverrides": [["name": "app", "command": ["true"], "environment": [["name": "A", "value": "1"]], "memory": 128]]]
        let arn = try h.call("RunTask", ["taskDefinition": "web", "overrides": overrides])["tasks"]!.arrayValue![0]["taskArn"]!
        h.clock.advance(5)
        let t = try status(h, arn)
        #expect(t["containers"]?.arrayValue?.first?["exitCode"] == 0)
        #expect(t["containers"]?.arrayValue?.first?["memory"] == "128")
        #expect(h.error("RunTask", ["taskDefinition": "web", "overrides": ["containerOverrides": [["name": "nope"]]]])?.type == "InvalidParameterException")
        #expect(h.error("RunTask", ["taskDefinition": "web", "count": 11])?.type == "InvalidParameterException")
        #expect(h.error("RunTask", ["taskDefinition": "web", "propagateTags": "SERVICE"])?.type == "InvalidParameterException")
        #expect(h.error("RunTask", ["taskDefinition": "web", "startedBy": "bad value!"])?.type == "InvalidParameterException")
        #expect(h.error("RunTask", ["taskDefinition": "web", "launchType": "FARGATE"])?.message == "Task definition does not support launch_type FARGATE.")
        _ = try h.call("DeregisterTaskDefinition", ["taskDefinition": "web:1"])
        #expect(h.error("RunTask", ["taskDefinition": "web:1"])?.message == "TaskDefinition is inactive")
    }

    @Test func clientTokenIsIdempotent() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.register("web")
        let a = try h.call("RunTask", ["taskDefinition": "web", "clientToken": "tok-1"])["tasks"]!.arrayValue![0]["taskArn"]
        let b = try h.call("RunTask", ["taskDefinition": "web", "clientToken": "tok-1"])["tasks"]!.arrayValue![0]["taskArn"]
        #expect(a == b)
    }

    @Test func failedPullIsTaskFailedToStart() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.call("RegisterTaskDefinition", ["family": "bad", "containerDefinitions": [["name": "a", "image": "fake-pull-error/x", "memory": 32]]])
        let arn = try h.call("RunTask", ["taskDefinition": "bad"])["tasks"]!.arrayValue![0]["taskArn"]!
        h.clock.advance(1)
        let t = try status(h, arn)
        #expect(t["lastStatus"] == "STOPPED" && t["stopCode"] == "TaskFailedToStart" && t["startedAt"] == nil)
        #expect(t["stoppedReason"]?.stringValue?.hasPrefix("CannotPullContainerError") == true)
    }

    @Test func stoppedTasksArePrunedAfterRetention() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir, retention: 100)
        _ = try h.register("web")
        let arn = try h.call("RunTask", ["taskDefinition": "web"])["tasks"]!.arrayValue![0]["taskArn"]!
        h.clock.advance(2)
        _ = try h.call("StopTask", ["task": arn])
        h.clock.advance(2)
        _ = try status(h, arn)
        h.clock.advance(50)
        h.backend.pruneStoppedTasks()
        #expect(try status(h, arn)["lastStatus"] == "STOPPED")
        h.clock.advance(100)
        h.backend.pruneStoppedTasks()
        #expect(try h.call("DescribeTasks", ["tasks": [arn]])["failures"]?.arrayValue?.count == 1)
    }
}

@Suite struct PersistenceTests {
    @Test func stateSurvivesRestartAndLostTasksStop() throws {
        let dir = TempDir()
        let clock = ManualClock()
        let arn: JSONValue
        do {
            let h = try Harness(dir: dir, clock: clock)
            _ = try h.call("CreateCluster", ["clusterName": "prod"])
            _ = try h.register("web")
            arn = try h.call("RunTask", ["cluster": "prod", "taskDefinition": "web"])["tasks"]!.arrayValue![0]["taskArn"]!
            clock.advance(2)
            #expect(try h.call("DescribeTasks", ["cluster": "prod", "tasks": [arn]])["tasks"]!.arrayValue![0]["lastStatus"] == "RUNNING")
        }
        // A new backend (agent restart) with an engine that knows nothing of the task.
        let h = try Harness(dir: dir, clock: clock)
        #expect(try h.call("DescribeClusters", ["clusters": ["prod"]])["clusters"]?.arrayValue?.count == 1)
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "web"])["taskDefinition"]?["revision"] == 1)
        let t = try h.call("DescribeTasks", ["cluster": "prod", "tasks": [arn]])["tasks"]!.arrayValue![0]
        #expect(t["lastStatus"] == "STOPPED" && t["desiredStatus"] == "STOPPED" && t["stopCode"] == "TerminationNotice")
        #expect(h.logs.all.contains { $0.contains("lost while the agent was down") })
    }

    @Test func corruptFilesAreMovedAsideNotFatal() throws {
        let dir = TempDir()
        do {
            let h = try Harness(dir: dir)
            _ = try h.register("web")
            _ = try h.register("api")
        }
        let tdDir = dir.path + "/taskdefs"
        let files = try FileManager.default.contentsOfDirectory(atPath: tdDir).sorted()
        #expect(files == ["api@1.json", "web@1.json"])
        // Truncate one file and put garbage in a stray temp file from an interrupted write.
        let victim = tdDir + "/web@1.json"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: victim))
        try Data("{".utf8).write(to: URL(fileURLWithPath: tdDir + "/api@1.json.tmp.999"))
        let h = try Harness(dir: dir)
        #expect(h.logs.all.contains { $0.contains("web@1.json is unreadable") && $0.contains("moved aside") })
        let after = try FileManager.default.contentsOfDirectory(atPath: tdDir).sorted()
        #expect(after.count == 2 && after[0] == "api@1.json" && after[1].hasPrefix("web@1.json.corrupt-"))
        #expect(try h.call("DescribeTaskDefinition", ["taskDefinition": "api"])["taskDefinition"]?["revision"] == 1)
        // The family counter file still knows web had revision 1, so the next one is 2.
        #expect(try h.register("web")["taskDefinition"]?["revision"] == 2)
    }
}

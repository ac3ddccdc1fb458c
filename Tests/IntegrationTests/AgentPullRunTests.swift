import BerthAgent
import BerthCgroups
import BerthCLI
import BerthImages
import BerthJSON
import BerthRuntime
import BerthSys
import BerthTasks
import BerthTestSupport
import Foundation
import Testing

/// RunTask of an image that must be pulled, through the agent's API in this process over the real
/// engine (real containers), with a registry double that "pulls" by importing a busybox root
/// filesystem and reports a manifest digest: PENDING while pulling, then RUNNING, and
/// DescribeTasks shows pullStartedAt/pullStoppedAt and the container's imageDigest.
@Suite(.serialized) struct AgentPullRunTests {
    @Test func aPulledImageRunsWithECSPullFields() throws {
        try #require(getuid() == 0, "runs real containers and must run as root")
        try #require(Files.exists(TaskHarness.berth), "build first: \(TaskHarness.berth) is missing")
        let s = Scratch()
        // A busybox root filesystem for the double to import.
        try Files.makeDirectories(s.path + "/rootfs/bin")
        #expect(sh("cp /bin/busybox \(s.path)/rootfs/bin/busybox") == 0)
        let store = ImageStore(root: s.path + "/images")
        let puller = DoublePuller(store: store, rootfs: s.path + "/rootfs")
        let source = TaskImageSource(store: store, coordinator: PullCoordinator(puller: puller), policy: .default,
                                     history: FilePullHistory(path: s.path + "/pulled-images"))
        let cgroups = try Cgroups.driver()
        let runRoot = s.path + "/run"
        let engine = HostTaskEngine(runRoot: runRoot, dataRoot: s.path + "/data", images: store, cgroups: cgroups,
                                    runtime: LinuxRuntime(root: runRoot, cgroups: cgroups, berthPath: TaskHarness.berth), initBinary: nil,
                                    imageSource: source)
        let adapter = HostEngineAdapter(engine: engine, owner: s.path + "/state", log: { _ in })
        let backend = ECSBackend(config: BackendConfig(), store: try StateStore(root: s.path + "/state", log: { _ in }), engine: adapter, log: { _ in })
        defer { backend.close() }
        func call(_ op: String, _ input: JSONValue) throws -> JSONValue { try backend.call(op, input) }
        func describe(_ arn: JSONValue) throws -> JSONValue {
            try #require(try call("DescribeTasks", ["tasks": [arn]])["tasks"]?.arrayValue?.first)
        }
        func waitFor(_ arn: JSONValue, _ status: String) throws -> JSONValue {
            let deadline = Date().addingTimeInterval(60)
            var t = try describe(arn)
            while t["lastStatus"]?.stringValue != status, Date() < deadline { usleep(20_000); t = try describe(arn) }
            #expect(t["lastStatus"]?.stringValue == status, "\(t)")
            return t
        }

        let reference = "registry.example:5000/team/app:v3"
        _ = try call("RegisterTaskDefinition", ["family": "pulled", "networkMode": "host", "containerDefinitions": [[
            "name": "app", "image": .string(reference), "memory": 64, "essential": true, "stopTimeout": 2,
            "command": ["/bin/busybox", "sh", "-c", "echo pulled-and-running; exec /bin/busybox sleep 60"],
        ]]])
        puller.hold()
        let task = try #require(try call("RunTask", ["taskDefinition": "pulled"])["tasks"]?.arrayValue?.first)
        let arn = try #require(task["taskArn"])
        var stopped = false
        defer {
            // Whatever happened: no container, mount or cgroup of this test is left.
            puller.release()
            if !stopped { _ = try? call("StopTask", ["task": arn]); _ = try? waitFor(arn, "STOPPED") }
            _ = Sys.attempt { rmdir(runRoot) }
        }
        let deadline = Date().addingTimeInterval(10)
        while puller.started == 0, Date() < deadline { usleep(5_000) }
        let pending = try waitFor(arn, "PENDING")
        #expect(pending["pullStartedAt"] != nil && pending["pullStoppedAt"] == nil, "\(pending)")
        puller.release()

        let running = try waitFor(arn, "RUNNING")
        let pullStarted = try #require(running["pullStartedAt"]?.doubleValue)
        let pullStopped = try #require(running["pullStoppedAt"]?.doubleValue)
        let started = try #require(running["startedAt"]?.doubleValue)
        #expect(pullStarted <= pullStopped && pullStopped <= started, "\(running)")
        let container = try #require(running["containers"]?.arrayValue?.first)
        #expect(container["imageDigest"]?.stringValue == DoublePuller.digest(reference), "\(container)")
        #expect(container["image"]?.stringValue == reference)
        let taskId = String((arn.stringValue ?? "").split(separator: "/").last ?? "")
        let log = TaskLayout(taskId: taskId, runRoot: runRoot, dataRoot: s.path + "/data").stdoutLog("app")
        let outputDeadline = Date().addingTimeInterval(10)
        while !((try? Files.read(log)) ?? "").contains("pulled-and-running"), Date() < outputDeadline { usleep(20_000) }
        #expect(((try? Files.read(log)) ?? "").contains("pulled-and-running"), "no output in \(log)")

        _ = try call("StopTask", ["task": arn])
        let final = try waitFor(arn, "STOPPED")
        stopped = true
        #expect(final["stopCode"] == "UserInitiated" && final["pullStartedAt"]?.doubleValue == pullStarted)
        #expect(final["containers"]?.arrayValue?.first?["imageDigest"]?.stringValue == DoublePuller.digest(reference))
        #expect(puller.calls.count == 1)
    }
}

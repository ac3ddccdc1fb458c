import BerthAgent
import BerthCgroups
import BerthECS
import BerthImages
import BerthJSON
import BerthRuntime
import BerthSys
import BerthTasks
import BerthTestSupport
import Foundation
import Testing
@testable import BerthCLI

/// The agent's API over the real `HostEngineAdapter` and `HostTaskEngine` with a registry double:
/// a task is PENDING while its image is pulled on its own thread, other calls answer meanwhile,
/// tasks needing the same image share one pull, and a failed pull stops the task as ECS does.
/// (No container is started here; `IntegrationTests/AgentPullRunTests` runs pulled images.)
@Suite struct AgentPullTests {
    final class World: @unchecked Sendable {
        let scratch: Scratch
        let store: ImageStore
        let puller: DoublePuller
        let coordinator: PullCoordinator
        let adapter: HostEngineAdapter
        let backend: ECSBackend

        /// `scratch`: another world's directories (an agent restarted on the same state).
        /// `prepare` scripts the registry double before the agent starts (and adopts tasks).
        init(policy: ImagePullPolicy = .always, scratch: Scratch = Scratch(), prepare: (DoublePuller) -> Void = { _ in }) throws {
            self.scratch = scratch
            store = ImageStore(root: scratch.path + "/images")
            puller = DoublePuller()
            prepare(puller)
            coordinator = PullCoordinator(puller: puller)
            let source = TaskImageSource(store: store, coordinator: coordinator, policy: policy,
                                         history: FilePullHistory(path: scratch.path + "/pulled-images"))
            let cgroups = try Cgroups.driver()
            let engine = HostTaskEngine(runRoot: scratch.path + "/run", dataRoot: scratch.path + "/data", images: store, cgroups: cgroups,
                                        runtime: LinuxRuntime(root: scratch.path + "/run", cgroups: cgroups), initBinary: nil,
                                        imageSource: source)
            adapter = HostEngineAdapter(engine: engine, owner: scratch.path + "/state", log: { _ in })
            backend = ECSBackend(config: BackendConfig(), store: try StateStore(root: scratch.path + "/state", log: { _ in }),
                                 engine: adapter, log: { _ in })
        }

        deinit { backend.close() }

        /// An API call that must answer within `seconds` (a pull must never hold it up).
        func call(_ op: String, _ input: JSONValue = [:], within seconds: Double = 10) throws -> JSONValue {
            let done = DispatchSemaphore(value: 0)
            let box = Box()
            Thread { [backend] in
                box.result = Result { try backend.call(op, input) }
                done.signal()
            }.start()
            guard done.wait(timeout: .now() + seconds) == .success else {
                Issue.record("\(op) did not answer within \(seconds) s while a pull was in progress")
                throw CancellationError()
            }
            return try box.result!.get()
        }

        final class Box: @unchecked Sendable { var result: Result<JSONValue, any Error>? }

        func register(_ family: String, image: String, credentials: String? = nil) throws {
            var c: JSONValue = ["name": "app", "image": .string(image), "memory": 64, "essential": true, "command": ["true"]]
            if let credentials { c["repositoryCredentials"] = ["credentialsParameter": .string(credentials)] }
            _ = try call("RegisterTaskDefinition", ["family": .string(family), "containerDefinitions": [c]])
        }

        func runTask(_ family: String) throws -> JSONValue {
            let out = try call("RunTask", ["taskDefinition": .string(family)])
            return try #require(out["tasks"]?.arrayValue?.first)
        }

        func describe(_ task: JSONValue) throws -> JSONValue {
            let out = try call("DescribeTasks", ["tasks": [task["taskArn"] ?? ""]])
            return try #require(out["tasks"]?.arrayValue?.first)
        }

        func waitFor(_ task: JSONValue, _ status: String, timeout: Double = 10) throws -> JSONValue {
            let deadline = Date().addingTimeInterval(timeout)
            var t = try describe(task)
            while t["lastStatus"]?.stringValue != status, Date() < deadline {
                usleep(10_000)
                t = try describe(task)
            }
            #expect(t["lastStatus"]?.stringValue == status, "\(t)")
            return t
        }

        func waitUntil(_ what: String, _ condition: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(10)
            while !condition() {
                guard Date() < deadline else { Issue.record("timed out waiting for \(what)"); throw CancellationError() }
                usleep(2_000)
            }
        }
    }

    @Test func aTaskStaysPendingWhileItPullsAndOtherCallsAnswer() throws {
        let w = try World()
        try w.register("web", image: "registry.example/web:1", credentials: "reg-login")
        try w.register("other", image: "registry.example/other:1")
        w.puller.hold()
        let first = try w.runTask("web")
        try w.waitUntil("the pull to start") { w.puller.started == 1 }
        let pending = try w.waitFor(first, "PENDING")
        #expect(pending["desiredStatus"] == "RUNNING")
        #expect(pending["pullStartedAt"]?.doubleValue != nil && pending["pullStoppedAt"] == nil, "\(pending)")
        #expect(pending["containers"]?.arrayValue?.first?["lastStatus"] == "PENDING")
        // Meanwhile: reads, a second task of the same image (shares the pull), a task of another image.
        #expect(try w.call("ListTasks")["taskArns"]?.arrayValue?.count == 1)
        let second = try w.runTask("web")
        let third = try w.runTask("other")
        try w.waitUntil("the second task to join the pull") { w.coordinator.waiters(for: "registry.example/web:1") == 1 }
        try w.waitUntil("the other image's pull") { w.puller.started == 2 }
        #expect(try w.call("ListTasks")["taskArns"]?.arrayValue?.count == 3)
        #expect(try w.waitFor(second, "PENDING")["pullStartedAt"] != nil && w.puller.started == 2)
        // The credentials parameter reached the registry client.
        #expect(w.puller.calls.first { $0.reference == "registry.example/web:1" }?.options.credentialsParameter == "reg-login")
        // The pulls fail: every task needing the image stops with the registry's reason.
        let reason = "CannotPullContainerError: pull access denied for registry.example/web, repository does not exist or may require authorization"
        w.puller.fail("registry.example/web:1", PullError(.unauthorized, String(reason.dropFirst("CannotPullContainerError: ".count))))
        w.puller.fail("registry.example/other:1", PullError(.notFound, "registry.example/other:1: not found"))
        w.puller.release(2)
        for task in [first, second] {
            let t = try w.waitFor(task, "STOPPED")
            #expect(t["stopCode"] == "TaskFailedToStart" && t["stoppedReason"]?.stringValue == reason, "\(t)")
            #expect(t["containers"]?.arrayValue?.first?["reason"]?.stringValue == reason && t["containers"]?.arrayValue?.first?["lastStatus"] == "STOPPED")
            #expect(t["desiredStatus"] == "STOPPED" && t["startedAt"] == nil)
            let started = try #require(t["pullStartedAt"]?.doubleValue), stopped = try #require(t["pullStoppedAt"]?.doubleValue)
            #expect(started <= stopped && t["stoppedAt"] != nil)
        }
        #expect(try w.waitFor(third, "STOPPED")["stoppedReason"] == "CannotPullContainerError: registry.example/other:1: not found")
        #expect(w.puller.calls.count == 2 && w.coordinator.inFlight == 0)
    }

    @Test func stopTaskWhilePullingStopsItAtOnce() throws {
        let w = try World()
        try w.register("web", image: "registry.example/slow:1")
        w.puller.hold()
        let task = try w.runTask("web")
        try w.waitUntil("the pull to start") { w.puller.started == 1 }
        _ = try w.call("StopTask", ["task": task["taskArn"] ?? "", "reason": "not needed"])
        let t = try w.waitFor(task, "STOPPED")
        #expect(t["stopCode"] == "UserInitiated" && t["stoppedReason"] == "not needed", "\(t)")
        #expect(t["containers"]?.arrayValue?.first?["lastStatus"] == "STOPPED")
        // The pull ends later; its result is not used and nothing starts.
        w.puller.release()
        try w.waitUntil("the pull to end") { w.coordinator.inFlight == 0 }
        usleep(50_000)
        #expect(try w.describe(task)["lastStatus"] == "STOPPED" && w.adapter.engine.snapshots().isEmpty)
    }

    @Test func aTaskThatWasPullingWhenTheAgentStoppedIsPulledAgain() throws {
        let before = try World()
        try before.register("web", image: "registry.example/web:1")
        before.puller.hold()
        let task = try before.runTask("web")
        try before.waitUntil("the pull to start") { before.puller.started == 1 }
        let pulledAt = try before.waitFor(task, "PENDING")["pullStartedAt"]
        before.backend.close()
        // A new agent on the same state: the task never reached the engine, so it is pulled again.
        let after = try World(scratch: before.scratch) { puller in
            puller.hold()
            puller.fail("registry.example/web:1", PullError(.timeout, "registry.example: i/o timeout"))
        }
        try after.waitUntil("the pull to start again") { after.puller.started == 1 }
        let pending = try after.waitFor(task, "PENDING")
        #expect(pending["pullStartedAt"] == pulledAt && pending["stopCode"] == nil, "\(pending)")
        after.puller.release()
        let t = try after.waitFor(task, "STOPPED")
        #expect(t["stoppedReason"] == "CannotPullContainerError: registry.example: i/o timeout" && t["stopCode"] == "TaskFailedToStart")
        #expect(!Files.exists(before.scratch.path + "/data/tasks/" + String((task["taskArn"]?.stringValue ?? "").split(separator: "/").last ?? "") + "/pulling"))
        before.puller.release()
    }

    @Test func preferCachedPullsAnImageMissingFromTheStore() throws {
        let w = try World(policy: .preferCached)
        try w.register("web", image: "nowhere/web:1")
        // Not cached: a pull is needed; the double fails it.
        let task = try w.runTask("web")
        let t = try w.waitFor(task, "STOPPED")
        #expect(t["stoppedReason"] == "CannotPullContainerError: nowhere/web:1: not found")
        #expect(t["pullStartedAt"] != nil && t["pullStoppedAt"] != nil)
        #expect(w.puller.calls.count == 1)
    }
}

/// `--pull`, `--image-pull-behavior` and `ECS_IMAGE_PULL_BEHAVIOR` values.
@Suite struct PullOptionTests {
    @Test func policiesAliasesAndRefusals() throws {
        #expect(try ImagePulls.policy(nil, option: "option --pull", registry: true) == .preferCached)
        #expect(try ImagePulls.policy("missing", option: "option --pull", registry: true) == .preferCached)
        #expect(try ImagePulls.policy("once", option: "ECS_IMAGE_PULL_BEHAVIOR", registry: true) == .once)
        #expect(try ImagePulls.policy("prefer-cached", option: "option --pull", registry: false) == .preferCached)
        #expect(try ImagePulls.policy("never", option: "option --pull", registry: false) == .never)
        do {
            _ = try ImagePulls.policy("sometimes", option: "ECS_IMAGE_PULL_BEHAVIOR", registry: true)
            Issue.record("accepted an unknown policy")
        } catch {
            #expect(error.message.hasPrefix("ECS_IMAGE_PULL_BEHAVIOR: unknown image pull behavior \"sometimes\""), "\(error.message)")
        }
        // Without a registry client, always and once cannot be honoured: refused, not ignored.
        for p in ["always", "once"] {
            do {
                _ = try ImagePulls.policy(p, option: "option --image-pull-behavior", registry: false)
                Issue.record("accepted \(p) without a registry")
            } catch {
                #expect(error.message.hasPrefix("option --image-pull-behavior \(p): this berth has no registry client"), "\(error.message)")
            }
        }
    }
}

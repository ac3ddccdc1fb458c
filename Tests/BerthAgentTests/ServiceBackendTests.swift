import BerthJSON
import BerthController
import Foundation
import Testing
@testable import BerthAgent

/// The agent side of services with the fake engine and a hand-moved clock: API operations,
/// the tick (orders applied through the task paths), persistence and reload.
@Suite struct ServiceBackendTests {
    struct World {
        let clock = ManualClock()
        let engine: FakeTaskEngine
        let backend: ECSBackend

        init(dir: borrowing TempDir, timeScale: Double = 0.01) throws {
            let c = clock
            engine = FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 2, clock: { c.read() })
            var config = BackendConfig()
            config.controller = ControllerConfig(timeScale: timeScale)
            let store = try StateStore(root: dir.path, log: { _ in })
            backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { _ in }))
        }

        func call(_ op: String, _ input: JSONValue = [:]) throws -> JSONValue { try backend.call(op, input) }

        /// Merge engine reports, then one reconcile of every service.
        func step(_ seconds: Double) {
            clock.advance(seconds)
            backend.refreshFromEngine()
            backend.tickServices()
        }

        func service(_ name: String) throws -> JSONValue {
            try #require(try call("DescribeServices", ["services": [.string(name)]])["services"]?.arrayValue?.first)
        }

        func serviceTasks(_ name: String, desired: String = "RUNNING") throws -> [JSONValue] {
            let arns = try call("ListTasks", ["serviceName": .string(name), "desiredStatus": .string(desired)])["taskArns"] ?? []
            guard !(arns.arrayValue ?? []).isEmpty else { return [] }
            return try call("DescribeTasks", ["tasks": arns])["tasks"]?.arrayValue ?? []
        }
    }

    static let td: JSONValue = ["family": "web", "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64, "command": ["sleep", "100"]]]]

    @Test func createTicksTasksThroughTheTaskPathsUntilCompleted() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.call("RegisterTaskDefinition", Self.td)
        let created = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 2])
        let deployment = try #require(created["service"]?["deployments"]?.arrayValue?.first?["id"]?.stringValue)
        w.step(0)
        let tasks = try w.serviceTasks("s")
        #expect(tasks.count == 2)
        #expect(tasks.allSatisfy { $0["group"] == "service:s" && $0["startedBy"]?.stringValue == deployment })
        w.step(1.1)  // RUNNING
        #expect(try w.service("s")["runningCount"] == 2)
        w.step(0.5)  // 40 s x 0.01 healthy rule passed
        let s = try w.service("s")
        #expect(s["deployments"]?.arrayValue?.first?["rolloutState"] == "COMPLETED")
        #expect(s["events"]?.arrayValue?.first?["message"] == "(service s) has reached a steady state.")
        w.step(0.2)
        #expect(try w.serviceTasks("s").count == 2, "no extra task once steady")
    }

    @Test func stateIsPersistedAndReloadedUnchanged() throws {
        let dir = TempDir()
        var deploymentIds: [String] = []
        var before: ServiceState?
        do {
            let w = try World(dir: dir)
            _ = try w.call("RegisterTaskDefinition", Self.td)
            _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 3,
                                             "tags": [["key": "k", "value": "v"]], "propagateTags": "SERVICE"])
            w.step(0)
            _ = try w.call("RegisterTaskDefinition", Self.td)
            let out = try w.call("UpdateService", ["service": "s", "taskDefinition": "web:2"])
            deploymentIds = (out["service"]?["deployments"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            w.step(0.1)
            before = w.backend.lock.withLock { w.backend.services["default@s"]?.state }
        }
        let again = try World(dir: dir)
        let after = again.backend.lock.withLock { again.backend.services["default@s"] }
        #expect(after?.state == before)
        #expect(after?.tags.first?.0 == "k" && after?.propagateTags == .service)
        let s = try again.service("s")
        #expect((s["deployments"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue } == deploymentIds)
    }

    @Test func ordersAreIdempotent() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.call("RegisterTaskDefinition", Self.td)
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 0])
        let b = w.backend
        let record = try #require(b.lock.withLock { b.services["default@s"] })
        let order = StartTaskOrder(taskId: String(repeating: "a", count: 32), deploymentId: record.state.deployments[0].id,
                                   taskDefinition: record.state.taskDefinition, group: "service:s")
        b.lock.withLock {
            b.startServiceTask(order, service: record)
            b.startServiceTask(order, service: record)
        }
        #expect(b.lock.withLock { b.tasks.count } == 1)
        let stop = StopTaskOrder(taskArn: b.arns.task(cluster: "default", id: order.taskId), reason: "Scaling activity initiated by (deployment x)")
        b.lock.withLock {
            b.stopServiceTask(stop)
            b.stopServiceTask(stop)
        }
        let t = try #require(b.lock.withLock { b.tasks[order.taskId] })
        #expect(t.taskJSON["stopCode"] == "ServiceSchedulerInitiated" && t.taskJSON["desiredStatus"] == "STOPPED")
        #expect(t.taskJSON["version"] == 2, "the second stop changed nothing")
    }

    @Test func serviceStateRoundTripsThroughTheAgentsJSON() throws {
        var ids = SequentialIdentifiers()
        var state = try createService(CreateServiceInput(serviceName: "s", serviceArn: "arn:s", clusterArn: "arn:c",
                                                         taskDefinition: "arn:td:1", desiredCount: 2), now: 1_700_000_000.123)
        state = reconcile(state, tasks: [], now: 1_700_000_001, config: ControllerConfig(), ids: &ids).state
        #expect(try ServiceState(json: state.jsonValue, path: .root) == state)
    }

    @Test func throttleShowsAsABerthExtension() throws {
        let dir = TempDir()
        // 40 s x 0.1 = 4 s healthy rule: the fake container's exit after 2 s is a failed start.
        let w = try World(dir: dir, timeScale: 0.1)
        var td = Self.td
        td["containerDefinitions"] = [["name": "app", "image": "busybox", "memory": 64, "command": ["false"]]]
        _ = try w.call("RegisterTaskDefinition", td)
        _ = try w.call("CreateService", ["serviceName": "c", "taskDefinition": "web", "desiredCount": 1])
        var throttle: JSONValue?
        for _ in 0..<400 where throttle == nil {
            w.step(0.1)
            throttle = try w.service("c")["berthThrottle"]
        }
        let t = try #require(throttle)
        #expect((t["consecutiveFailures"]?.intValue ?? 0) >= 3)
        #expect(t["reason"]?.stringValue?.contains("exit code 1") == true)
    }
}

extension ServiceBackendTests {
    /// Through the agent's operations and tick: a rolling update that completes reports
    /// "deployment completed" and no configuration-deadlock or throttle event.
    @Test func completedRollingUpdateReportsNoStallEvents() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.call("RegisterTaskDefinition", Self.td)
        _ = try w.call("RegisterTaskDefinition", Self.td)
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web:1", "desiredCount": 2])
        for _ in 0..<40 { w.step(0.1) }
        _ = try w.call("UpdateService", ["service": "s", "taskDefinition": "web:2"])
        for _ in 0..<80 { w.step(0.1) }
        let s = try w.service("s")
        let deployments = s["deployments"]?.arrayValue ?? []
        #expect(deployments.count == 1 && deployments.first?["rolloutState"] == "COMPLETED")
        #expect(deployments.first?["taskDefinition"]?.stringValue?.hasSuffix("web:2") == true)
        let messages = (s["events"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        #expect(messages.contains { $0.hasSuffix("deployment completed.") })
        #expect(!messages.contains { $0.contains("unable to") }, "\(messages)")
    }
}

extension ServiceBackendTests {
    /// DeleteService (forced, or of a service scaled to 0): DRAINING still lists the PRIMARY
    /// deployment, INACTIVE lists none (ECS returns `deployments: []`).
    @Test(arguments: [true, false])
    func inactiveServiceListsNoDeployments(force: Bool) throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.call("RegisterTaskDefinition", Self.td)
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 2])
        for _ in 0..<10 { w.step(0.1) }
        if !force {
            _ = try w.call("UpdateService", ["service": "s", "desiredCount": 0])
            for _ in 0..<30 { w.step(0.1) }
        }
        let draining = try w.call("DeleteService", ["service": "s", "force": .bool(force)])["service"]
        #expect(draining?["status"] == "DRAINING")
        #expect(draining?["deployments"]?.arrayValue?.map { $0["status"] } == ["PRIMARY"])
        for _ in 0..<30 { w.step(0.1) }
        let s = try w.service("s")
        #expect(s["status"] == "INACTIVE")
        #expect(s["deployments"] == [])
        #expect(s["taskDefinition"]?.stringValue?.hasSuffix("task-definition/web:1") == true)
    }
}

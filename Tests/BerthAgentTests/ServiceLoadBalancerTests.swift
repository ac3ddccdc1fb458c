import BerthJSON
import BerthController
import Foundation
import Testing
@testable import BerthAgent

/// A service behind the agent's ELB with the fake engine, MemoryDataPlane and a hand-moved
/// clock: registration when RUNNING, ECS's events, DEACTIVATING while the target drains, the
/// stop after the deregistration delay, and replacement of a task whose target is unhealthy.
@Suite struct ServiceLoadBalancerTests {
    struct World {
        let clock = ManualClock()
        let engine: FakeTaskEngine
        let backend: ECSBackend
        let plane: MemoryDataPlane
        let elb: ELBService
        let group: String

        init(dir: borrowing TempDir, delay: Int = 30, elbTimeScale: Double = 1) throws {
            let c = clock
            engine = FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 2, clock: { c.read() })
            var config = BackendConfig()
            config.controller = ControllerConfig(timeScale: 0.01)
            let store = try StateStore(root: dir.path, log: { _ in })
            backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { _ in }))
            plane = MemoryDataPlane(clock: { c.read() })
            elb = try ELBService(stateDir: nil, region: "us-east-1", account: "000000000000", dataPlane: plane, timeScale: elbTimeScale, clock: { c.read() })
            backend.loadBalancing = elb
            _ = try elb.call("CreateLoadBalancer", QueryParams(values: ["Name": "web"]))
            let tg = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "web", "Protocol": "HTTP", "Port": "80", "TargetType": "ip"]))
            group = try #require(Self.leaf(tg, "TargetGroupArn"))
            let lbArn = try #require(elb.read { $0.loadBalancers.first?.arn })
            _ = try elb.call("CreateListener", QueryParams(values: [
                "LoadBalancerArn": lbArn, "Port": "18080", "DefaultActions.member.1.Type": "forward",
                "DefaultActions.member.1.TargetGroupArn": group,
            ]))
            _ = try elb.call("ModifyTargetGroupAttributes", QueryParams(values: [
                "TargetGroupArn": group, "Attributes.member.1.Key": "deregistration_delay.timeout_seconds",
                "Attributes.member.1.Value": String(delay),
            ]))
            _ = try backend.call("RegisterTaskDefinition", [
                "family": "web", "networkMode": "bridge",
                "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64, "command": ["httpd", "-f"],
                                          "portMappings": [["containerPort": 80]]]],
            ])
        }

        static func leaf(_ nodes: [XMLNode], _ name: String) -> String? {
            for n in nodes {
                switch n {
                case .leaf(let k, let v) where k == name: return v
                case .node(_, let children): if let v = leaf(children, name) { return v }
                default: continue
                }
            }
            return nil
        }

        func step(_ seconds: Double) {
            clock.advance(seconds)
            backend.refreshFromEngine()
            backend.tickServices()
        }

        func service() throws -> JSONValue {
            try #require(try backend.call("DescribeServices", ["services": ["s"]])["services"]?.arrayValue?.first)
        }

        func tasks(_ desired: String = "RUNNING") throws -> [JSONValue] {
            let arns = try backend.call("ListTasks", ["serviceName": "s", "desiredStatus": .string(desired)])["taskArns"] ?? []
            guard !(arns.arrayValue ?? []).isEmpty else { return [] }
            return try backend.call("DescribeTasks", ["tasks": arns])["tasks"]?.arrayValue ?? []
        }

        var messages: [String] { (try? service()["events"]?.arrayValue?.compactMap { $0["message"]?.stringValue }) ?? [] }
        var registered: [TargetAddress] { elb.targetGroup(group)?.targets.map(\.address) ?? [] }
    }

    func create(_ w: World, count: Int = 2) throws {
        _ = try w.backend.call("CreateService", [
            "serviceName": "s", "taskDefinition": "web", "desiredCount": .int(count),
            "loadBalancers": [["targetGroupArn": .string(w.group), "containerName": "app", "containerPort": 80]],
        ])
    }

    @Test func runningTasksAreRegisteredAndGateTheRollout() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        try create(w)
        #expect(try w.service()["loadBalancers"]?.arrayValue?.first?["targetGroupArn"]?.stringValue == w.group)
        w.step(0)
        #expect(w.registered.isEmpty)  // not RUNNING yet
        w.step(1.1)
        w.step(0.1)
        #expect(w.registered.count == 2)
        #expect(w.registered.allSatisfy { $0.host == "127.0.0.1" && $0.port >= 20000 })
        #expect(w.messages.contains("(service s) registered 2 targets in (target-group \(w.group))"))
        w.step(0.1)
        #expect(try w.service()["deployments"]?.arrayValue?.first?["rolloutState"] == "COMPLETED")
    }

    @Test func aScaledInTaskDrainsForTheDelayThenStops() throws {
        let dir = TempDir()
        let w = try World(dir: dir, delay: 30)
        try create(w)
        for _ in 0..<4 { w.step(0.5) }
        #expect(w.registered.count == 2)
        _ = try w.backend.call("UpdateService", ["service": "s", "desiredCount": 1])
        w.step(0.1)
        #expect(w.registered.count == 1)
        #expect(w.messages.contains("(service s) deregistered 1 targets in (target-group \(w.group))"))
        #expect(w.messages.contains("(service s) has begun draining connections on 1 tasks."))
        let draining = try w.tasks("STOPPED").filter { $0["lastStatus"] != "STOPPED" }
        #expect(draining.count == 1)
        #expect(draining.first?["lastStatus"] == "DEACTIVATING")
        let health = w.elb.targetHealth(w.group)
        #expect(health.filter { $0.1.state == .draining }.count == 1)
        w.step(20)
        #expect(try w.tasks("STOPPED").first?["lastStatus"] == "DEACTIVATING")  // still draining (30 s)
        w.step(10.1)
        w.step(1.1)
        #expect(try w.tasks("STOPPED").first?["lastStatus"] == "STOPPED")
    }

    @Test func aUserStopDrainsTooAndTheServiceReplacesTheTask() throws {
        let dir = TempDir()
        let w = try World(dir: dir, delay: 10)
        try create(w, count: 1)
        for _ in 0..<4 { w.step(0.5) }
        let arn = try #require(try w.tasks().first?["taskArn"]?.stringValue)
        _ = try w.backend.call("StopTask", ["task": .string(arn), "reason": "by hand"])
        w.step(0.1)
        let stopping = try #require(try w.backend.call("DescribeTasks", ["tasks": [.string(arn)]])["tasks"]?.arrayValue?.first)
        #expect(stopping["lastStatus"] == "DEACTIVATING" && stopping["stopCode"] == "UserInitiated")
        #expect(w.elb.targetHealth(w.group).contains { $0.1.state == .draining })
        _ = try w.backend.call("StopTask", ["task": .string(arn)])  // a second stop does not cut the drain short
        w.step(5)
        #expect(try w.backend.call("DescribeTasks", ["tasks": [.string(arn)]])["tasks"]?.arrayValue?.first?["lastStatus"] == "DEACTIVATING")
        w.step(5.1)
        w.step(1.1)
        w.step(0.5)
        #expect(try w.backend.call("DescribeTasks", ["tasks": [.string(arn)]])["tasks"]?.arrayValue?.first?["lastStatus"] == "STOPPED")
        for _ in 0..<4 { w.step(0.5) }
        #expect(try w.tasks().count == 1 && w.registered.count == 1)
    }

    @Test func aTaskWhoseTargetTurnsUnhealthyIsReplaced() throws {
        let dir = TempDir()
        let w = try World(dir: dir, delay: 0)
        try create(w, count: 1)
        for _ in 0..<4 { w.step(0.5) }
        let first = try #require(w.registered.first)
        let id = try #require(try w.tasks().first?["taskArn"]?.stringValue.map(taskIdFromArn))
        w.plane.force(first, TargetHealthReport(state: .unhealthy, reason: "Target.ResponseCodeMismatch", description: "Health checks failed with these codes: [500]"))
        w.step(0.1)
        #expect(w.messages.contains("(service s) (task \(id)) failed ELB health checks in (target-group \(w.group))."))
        for _ in 0..<10 { w.step(0.5) }
        let stopped = try w.tasks("STOPPED").first { $0["taskArn"]?.stringValue?.hasSuffix(id) == true }
        #expect(stopped?["stoppedReason"]?.stringValue == "Task failed ELB health checks in (target-group \(w.group))")
        #expect(try w.tasks().count == 1)
        #expect(!w.registered.contains(first))
    }

    @Test func bindingsAndRegistrationsSurviveARestart() throws {
        let dir = TempDir()
        do {
            let w = try World(dir: dir, delay: 30)
            try create(w, count: 1)
            for _ in 0..<4 { w.step(0.5) }
            _ = try w.backend.call("UpdateService", ["service": "s", "desiredCount": 0])
            w.step(0.1)  // deregistered, draining
            #expect(w.backend.lock.withLock { w.backend.tasks.values.compactMap(\.drainUntil) }.count == 1)
            w.backend.flush()
        }
        let store = try StateStore(root: dir.path, log: { _ in })
        let again = dir.use(ECSBackend(config: BackendConfig(), store: store, engine: FakeTaskEngine(), log: { _ in }))
        let r = try #require(again.lock.withLock { again.services["default@s"] })
        #expect(r.targetBindings.count == 1 && r.targetBindings.first?.containerPort == 80)
        let drainUntil = again.lock.withLock { again.tasks.values.compactMap(\.drainUntil) }
        #expect(drainUntil.count == 1)
    }

    @Test func loadBalancersAreCheckedAsECSChecksThem() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        func error(_ lb: JSONValue) -> String {
            do {
                _ = try w.backend.call("CreateService", ["serviceName": "x", "taskDefinition": "web", "desiredCount": 1, "loadBalancers": [lb]])
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(error(["targetGroupArn": .string(w.group), "containerName": "nope", "containerPort": 80])
            .contains("The container nope does not exist in the task definition."))
        #expect(error(["targetGroupArn": .string(w.group), "containerName": "app", "containerPort": 81])
            .contains("The container app did not have a container port 81 defined."))
        #expect(error(["targetGroupArn": .string(w.group + "0"), "containerName": "app", "containerPort": 80]).contains("target group not found"))
        #expect(error(["loadBalancerName": "classic", "containerName": "app", "containerPort": 80]).contains("UnsupportedFeatureException"))
    }

    @Test func theDrainFollowsTheTimeScale() throws {
        let dir = TempDir()
        let w = try World(dir: dir, delay: 30, elbTimeScale: 0.01)
        try create(w)
        for _ in 0..<4 { w.step(0.5) }
        #expect(w.plane.groups.first?.deregistrationDelaySeconds == 0.3)
        _ = try w.backend.call("UpdateService", ["service": "s", "desiredCount": 1])
        w.step(0.1)
        #expect(try w.tasks("STOPPED").first?["lastStatus"] == "DEACTIVATING")
        w.step(0.1)
        #expect(try w.tasks("STOPPED").first?["lastStatus"] == "DEACTIVATING")  // 0.3 s of drain
        w.step(0.25)
        w.step(1.1)
        #expect(try w.tasks("STOPPED").first?["lastStatus"] == "STOPPED")
    }
}

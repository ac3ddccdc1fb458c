import BerthECS
import Testing
@testable import BerthController

/// Services behind a load balancer on a fake clock: target health gates deployments, the
/// grace period, replacement of tasks failing ELB health checks, and the registration plan
/// (register when RUNNING, deregister and drain before the stop).
@Suite struct LoadBalancerTests {
    static let group = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"

    func story(desired: Int, grace: Int = 0, healthyAfter: Double? = 10) -> Story {
        var story = Story(desired: desired, grace: grace)
        story.world.defaultBehavior = Behavior(targetGroup: Self.group, targetHealthyAfter: healthyAfter)
        return story
    }

    @Test func aTaskCountsAsHealthyOnlyWhenItsTargetIsHealthy() {
        var s = story(desired: 2, healthyAfter: 100)
        s.run(upTo: 60) { _ in false }  // RUNNING for 58 s: past the 40 s rule, target still initial
        #expect(s.state.runningCount == 2)
        #expect(s.state.primary?.rolloutState == .inProgress)
        #expect(s.run(upTo: 60) { $0.isSteady })  // completes once the targets are healthy (+102 s)
        #expect(s.now >= 1_700_000_000 + 102)
    }

    @Test func aRollingUpdateStopsOldTasksOnlyAsNewTargetsBecomeHealthy() {
        var s = story(desired: 2)
        #expect(s.run { $0.isSteady })
        s.world.behaviors[Story.taskDefV2] = Behavior(targetGroup: Self.group, targetHealthyAfter: 30)
        s.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let done = s.run(invariant: { st in
            // minimumHealthyPercent 100: two tasks with healthy targets at all times.
            let healthy = st.live.filter { $0.lastStatus == .running && $0.desiredStatus == .running && $0.loadBalancerHealth?.state == .healthy }
            #expect(healthy.count >= 2)
        }, until: { $0.isSteady })
        #expect(done)
        #expect(s.live.allSatisfy { $0.taskDefinitionArn == Story.taskDefV2 })
    }

    @Test func anUnhealthyTargetGetsItsTaskReplacedWithECSsEvent() {
        var s = story(desired: 1)
        #expect(s.run { $0.isSteady })
        let arn = s.world.tasks[0].task.taskArn, id = taskIdFromArn(arn)
        s.world.tasks[0].behavior.targetUnhealthyAfter = 0
        s.tick()
        #expect(s.messages.contains("(service web) (task \(id)) failed ELB health checks in (target-group \(Self.group))."))
        #expect(s.run(upTo: 60) { !$0.stops.isEmpty })
        #expect(s.stops.first == StopTaskOrder(taskArn: arn, reason: "Task failed ELB health checks in (target-group \(Self.group))"))
        #expect(s.run { $0.isSteady && $0.live.count == 1 })
        #expect(s.live.first?.taskArn != arn)
    }

    @Test func theGracePeriodIgnoresUnhealthyTargets() {
        var s = story(desired: 1, grace: 60)
        s.world.defaultBehavior.targetUnhealthyAfter = 1
        s.run(upTo: 50) { _ in false }  // RUNNING at +2 s, grace until +62 s
        #expect(!s.messages.contains { $0.contains("failed ELB health checks") })
        #expect(s.stops.isEmpty)
        #expect(s.lastWake != nil)
        #expect(s.run(upTo: 20) { $0.messages.contains { $0.contains("failed ELB health checks") } })
        #expect(s.now >= 1_700_000_000 + 62)
    }

    // MARK: registration plan

    let target = BoundTarget(targetGroupArn: group, host: "127.0.0.1", port: 30001)

    @Test func aRunningTaskIsRegisteredOnceItsAddressIsKnown() {
        let pending = RegistrationView(taskId: "a", lastStatus: .pending, desiredStatus: .running, targets: [], registered: [])
        #expect(planRegistrations([pending], now: 0, deregistrationDelay: { _ in 5 }).actions.isEmpty)
        let noAddress = RegistrationView(taskId: "a", lastStatus: .running, desiredStatus: .running, targets: [], registered: [])
        #expect(planRegistrations([noAddress], now: 0, deregistrationDelay: { _ in 5 }).actions.isEmpty)
        let running = RegistrationView(taskId: "a", lastStatus: .running, desiredStatus: .running, targets: [target], registered: [])
        let plan = planRegistrations([running], now: 0, deregistrationDelay: { _ in 5 })
        #expect(plan.actions == [.register(taskId: "a", [target])])
        #expect(registrationEvents("web", plan.actions) == ["(service web) registered 1 targets in (target-group \(Self.group))"])
        let registered = RegistrationView(taskId: "a", lastStatus: .running, desiredStatus: .running, targets: [target], registered: [target])
        #expect(planRegistrations([registered], now: 0, deregistrationDelay: { _ in 5 }).actions.isEmpty)
    }

    @Test func aStoppingTaskIsDeregisteredAndStopsAfterTheDelay() {
        var t = RegistrationView(taskId: "a", lastStatus: .running, desiredStatus: .stopped, targets: [target], registered: [target])
        let first = planRegistrations([t], now: 100, deregistrationDelay: { _ in 30 })
        #expect(first.actions == [.deregister(taskId: "a", [target], stopAt: 130)])
        #expect(first.wakeAt == 130)
        #expect(registrationEvents("web", first.actions) == [
            "(service web) deregistered 1 targets in (target-group \(Self.group))",
            "(service web) has begun draining connections on 1 tasks.",
        ])
        t.registered = []
        t.lastStatus = .deactivating
        t.drainUntil = 130
        let waiting = planRegistrations([t], now: 129, deregistrationDelay: { _ in 30 })
        #expect(waiting.actions.isEmpty && waiting.wakeAt == 130)
        #expect(planRegistrations([t], now: 130, deregistrationDelay: { _ in 30 }).actions == [.stop(taskId: "a")])
    }

    @Test func nothingToDrainStopsAtOnceAndACrashedTaskIsDeregisteredWithoutADelay() {
        let never = RegistrationView(taskId: "a", lastStatus: .pending, desiredStatus: .stopped, targets: [], registered: [])
        #expect(planRegistrations([never], now: 0, deregistrationDelay: { _ in 30 }).actions == [.stop(taskId: "a")])
        let crashed = RegistrationView(taskId: "b", lastStatus: .stopped, desiredStatus: .stopped, targets: [target], registered: [target])
        #expect(planRegistrations([crashed], now: 0, deregistrationDelay: { _ in 30 }).actions == [.deregister(taskId: "b", [target], stopAt: nil)])
    }

    @Test func addressesFollowTheNetworkMode() {
        let bindings = [(bindIP: "0.0.0.0", containerPort: 80, hostPort: 32768)]
        #expect(targetAddress(networkMode: "awsvpc", containerIP: "10.88.0.5", bindings: bindings, containerPort: 80)! == ("10.88.0.5", 80))
        #expect(targetAddress(networkMode: "host", containerIP: "10.88.0.5", bindings: bindings, containerPort: 80)! == ("127.0.0.1", 32768))
        #expect(targetAddress(networkMode: "bridge", containerIP: nil, bindings: bindings, containerPort: 80)! == ("127.0.0.1", 32768))
        #expect(targetAddress(networkMode: "bridge", containerIP: nil, bindings: bindings, containerPort: 81) == nil)
    }
}

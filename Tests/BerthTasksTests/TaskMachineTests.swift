import BerthECS
import BerthRuntime
import Testing
@testable import BerthTasks

@Suite struct EssentialAndStopTests {
    @Test func essentialExitStopsTaskWithECSCodeAndReason() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(runFor: 3, exitCodes: [7]), "side": Behavior()])
        let m = machine([container("app"), container("side", essential: false, stopTimeout: 2)], rt, clock)
        let s = drive(m, clock)
        #expect(s.lastStatus == .stopped)
        #expect(s.stopCode == .essentialContainerExited)
        #expect(s.stoppedReason == "Essential container in task exited")
        #expect(s.container("app")?.exitCode == 7)
        #expect(s.container("side")?.exitCode == 143)
        #expect(s.container("side")?.lastStatus == .stopped)
        #expect(s.executionStoppedAt == 1003)
        #expect(Set(rt.deleted) == ["app", "side"])
    }

    @Test func nonEssentialExitDoesNotStopTask() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(), "job": Behavior(runFor: 1, exitCodes: [3])])
        let m = machine([container("app"), container("job", essential: false)], rt, clock)
        let s = drive(m, clock, for: 60)
        #expect(s.lastStatus == .running)
        #expect(s.desiredStatus == .running)
        #expect(s.container("job")?.exitCode == 3)
        #expect(s.container("app")?.lastStatus == .running)
    }

    @Test func sigtermIgnoringContainerIsKilledAfterStopTimeout() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(ignoresSigterm: true)])
        let m = machine([container("app", stopTimeout: 5)], rt, clock)
        drive(m, clock, for: 2)
        m.requestStop(.userInitiated, reason: ECSText.userStopped, now: clock.now)
        let s = drive(m, clock)
        let sigs = rt.signals("app")
        #expect(sigs.map(\.0) == [15, 9])
        #expect(sigs[1].1 - sigs[0].1 >= 5 && sigs[1].1 - sigs[0].1 < 6)
        #expect(s.container("app")?.exitCode == 137)
        #expect(s.stopCode == .userInitiated)
        #expect(s.stoppedReason == "Task stopped by user")
    }

    @Test func stopRunsInReverseDependencyOrder() {
        let clock = VirtualClock()
        // web depends on db; db must get SIGTERM only after web has stopped.
        let rt = FakeRuntime(clock: clock, ["db": Behavior(), "web": Behavior(ignoresSigterm: true)])
        let m = machine([container("db"), container("web", dependsOn: [.init(containerName: "db", condition: .start)], stopTimeout: 4)], rt, clock)
        drive(m, clock, for: 2)
        m.requestStop(.userInitiated, reason: "bye", now: clock.now)
        drive(m, clock)
        let webKill = rt.signals("web").last!.1
        #expect(rt.firstSignalTime("db")! >= webKill)
        #expect(rt.firstSignalTime("db")! > rt.firstSignalTime("web")!)
    }

    @Test func oomKilledContainerGetsECSReason() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["hog": Behavior(runFor: 2, oom: true)])
        let s = drive(machine([container("hog")], rt, clock), clock)
        #expect(s.container("hog")?.reason == "OutOfMemoryError: Container killed due to memory usage")
        #expect(s.container("hog")?.exitCode == 137)
        #expect(s.stopCode == .essentialContainerExited)
    }

    @Test func createFailureOfEssentialContainerFailsTaskToStart() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["bad": Behavior(failCreate: true)])
        let s = drive(machine([container("bad")], rt, clock), clock)
        #expect(s.stopCode == .taskFailedToStart)
        #expect(s.container("bad")?.reason?.hasPrefix("CannotStartContainerError: ") == true)
        #expect(s.startedAt == nil)
    }

    @Test func taskStatusesMoveForwardOnly() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(runFor: 2)])
        final class Seen: @unchecked Sendable { var statuses: [String] = [] }
        let seen = Seen()
        let m = machine([container("app")], rt, clock) { e in if e.kind == .taskStatus { seen.statuses.append(e.message) } }
        drive(m, clock)
        #expect(seen.statuses == ["RUNNING", "STOPPING", "DEPROVISIONING", "STOPPED"])
    }
}

@Suite struct DependsOnTests {
    @Test func startWaitsForRunningDependency() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, [:])
        let m = machine([container("b", dependsOn: [.init(containerName: "a", condition: .start)]), container("a")], rt, clock)
        drive(m, clock, for: 1)
        #expect(rt.startOrder == ["a", "b"])
    }

    @Test func completeAndSuccessWaitForExit() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["init": Behavior(runFor: 5, exitCodes: [0]), "any": Behavior(runFor: 3, exitCodes: [9])])
        let m = machine([
            container("init", essential: false), container("any", essential: false),
            container("app", dependsOn: [.init(containerName: "init", condition: .success), .init(containerName: "any", condition: .complete)]),
        ], rt, clock)
        drive(m, clock, for: 10)
        #expect(rt.startTime("app") == 1005)
        #expect(m.snapshot().lastStatus == .running)
    }

    @Test func successDependencyFailingStopsDependentWith143() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["init": Behavior(runFor: 2, exitCodes: [1])])
        let m = machine([container("init", essential: false),
                         container("app", dependsOn: [.init(containerName: "init", condition: .success)])], rt, clock)
        let s = drive(m, clock)
        let app = s.container("app")!
        #expect(app.exitCode == 143)
        #expect(app.reason?.hasPrefix("CannotStartContainerError: dependency graph: ") == true)
        #expect(app.reason?.contains("did not exit successfully") == true)
        #expect(s.stopCode == .taskFailedToStart)
        #expect(rt.startTime("app") == nil)
    }

    @Test func healthyWaitsForHealthCheck() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["db": Behavior(healthy: { $0 >= 12 })])
        let hc = HealthCheckPlan(args: ["true"], interval: 5, timeout: 2, retries: 3)
        let m = machine([container("db", health: hc), container("web", dependsOn: [.init(containerName: "db", condition: .healthy)])], rt, clock)
        drive(m, clock, for: 30) { $0.container("web")?.lastStatus == .running }
        // checks at +5 (fail), +10 (fail), +15 (success) → web starts at 1015
        #expect(rt.startTime("web") == 1015)
        #expect(m.snapshot().container("db")?.healthStatus == .healthy)
    }

    @Test func startTimeoutOnDependencyFailsDependent() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["db": Behavior(healthy: { _ in false })])
        let hc = HealthCheckPlan(args: ["true"], interval: 5, timeout: 2, retries: 10)
        let m = machine([container("db", startTimeout: 8, health: hc),
                         container("web", dependsOn: [.init(containerName: "db", condition: .healthy)])], rt, clock)
        let s = drive(m, clock)
        #expect(s.container("web")?.exitCode == 143)
        #expect(s.container("web")?.reason?.contains("startTimeout") == true)
        #expect(s.stopCode == .taskFailedToStart)
        #expect((s.stoppedAt ?? 0) - 1000 < 60)
    }

    @Test func startTimeoutDoesNotApplyToStartCondition() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, [:])
        let m = machine([container("a", startTimeout: 1), container("b", dependsOn: [.init(containerName: "a", condition: .start)])], rt, clock)
        let s = drive(m, clock, for: 10)
        #expect(s.container("b")?.lastStatus == .running)
    }
}

@Suite struct HealthTests {
    @Test func retriesConsecutiveFailuresMakeUnhealthy() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(healthy: { $0 < 12 })])
        let hc = HealthCheckPlan(args: ["true"], interval: 5, timeout: 2, retries: 3)
        let m = machine([container("app", health: hc)], rt, clock)
        drive(m, clock, for: 11)
        #expect(m.snapshot().container("app")?.healthStatus == .healthy)
        drive(m, clock, for: 14) // fails at +15, +20 → still HEALTHY (2 < 3)
        #expect(m.snapshot().container("app")?.healthStatus == .healthy)
        drive(m, clock, for: 6) // +25 third failure
        #expect(m.snapshot().container("app")?.healthStatus == .unhealthy)
        #expect(m.snapshot().healthStatus == .unhealthy)
        // A standalone task keeps running whatever its health.
        #expect(m.snapshot().desiredStatus == .running)
    }

    @Test func failuresDuringStartPeriodDoNotCount() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(healthy: { _ in false })])
        let hc = HealthCheckPlan(args: ["true"], interval: 5, timeout: 2, retries: 1, startPeriod: 12)
        let m = machine([container("app", health: hc)], rt, clock)
        drive(m, clock, for: 11) // checks at +5, +10 inside the start period
        #expect(m.snapshot().container("app")?.healthStatus == .unknown)
        drive(m, clock, for: 6) // +15 counts
        #expect(m.snapshot().container("app")?.healthStatus == .unhealthy)
    }

    @Test func successDuringStartPeriodIsHealthyAtOnce() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(healthy: { _ in true })])
        let hc = HealthCheckPlan(args: ["true"], interval: 5, timeout: 2, retries: 3, startPeriod: 100)
        let m = machine([container("app", health: hc)], rt, clock)
        drive(m, clock, for: 6)
        #expect(m.snapshot().container("app")?.healthStatus == .healthy)
    }

    @Test func taskHealthFromEssentialContainersOnly() {
        func c(_ h: HealthStatus, _ essential: Bool = true) -> ContainerSnapshot {
            ContainerSnapshot(name: "x", runtimeId: "x", essential: essential, lastStatus: .running, healthStatus: h, restartCount: 0)
        }
        #expect(taskHealth([c(.unhealthy), c(.unknown)]) == .unhealthy)
        #expect(taskHealth([c(.healthy), c(.unknown)]) == .unknown)
        #expect(taskHealth([c(.healthy), c(.healthy)]) == .healthy)
        #expect(taskHealth([c(.healthy), c(.unknown), c(.healthy)]) == .unknown)
        #expect(taskHealth([c(.healthy), c(.unhealthy, false)]) == .healthy)
    }

    @Test func healthCheckCommandForms() {
        #expect(HealthCheckPlan.argv(fromECSCommand: ["CMD", "/bin/check", "-x"]) == ["/bin/check", "-x"])
        #expect(HealthCheckPlan.argv(fromECSCommand: ["CMD-SHELL", "wget -q localhost || exit 1"]) == ["/bin/sh", "-c", "wget -q localhost || exit 1"])
        #expect(HealthCheckPlan.argv(fromECSCommand: ["/bin/check"]) == ["/bin/check"])
    }
}

@Suite struct RestartPolicyTests {
    @Test func restartsAfterAttemptPeriodAndRespectsIgnoredCodes() {
        let clock = VirtualClock()
        // Runs 70 s, exits 1, 1, then 0 (ignored) → two restarts, then stops for good.
        let rt = FakeRuntime(clock: clock, ["worker": Behavior(runFor: 70, exitCodes: [1, 1, 0])])
        let policy = RestartPolicyPlan(enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60)
        let m = machine([container("app"), container("worker", essential: false, restart: policy)], rt, clock)
        let s = drive(m, clock, for: 300)
        #expect(rt.startCount("worker") == 3)
        #expect(s.container("worker")?.restartCount == 2)
        #expect(s.container("worker")?.lastStatus == .stopped)
        #expect(s.container("worker")?.exitCode == 0)
        #expect(s.lastStatus == .running)
    }

    @Test func noRestartIfItRanLessThanAttemptPeriod() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(runFor: 10, exitCodes: [1])])
        let policy = RestartPolicyPlan(enabled: true, restartAttemptPeriod: 60)
        let s = drive(machine([container("app", restart: policy)], rt, clock), clock)
        #expect(rt.startCount("app") == 1)
        #expect(s.stopCode == .essentialContainerExited)
    }

    @Test func essentialContainerRestartKeepsTaskRunning() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(runFor: 61, exitCodes: [2])])
        let policy = RestartPolicyPlan(enabled: true, restartAttemptPeriod: 60)
        let s = drive(machine([container("app", restart: policy)], rt, clock), clock, for: 200)
        #expect(s.lastStatus == .running)
        #expect(s.container("app")!.restartCount >= 3)
    }
}

@Suite struct StopSignalTests {
    @Test func imageStopSignalIsSentFirst() throws {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior()])
        var c = container("app", stopTimeout: 5)
        c.stopSignal = SignalNames.parse("SIGQUIT")!
        let m = machine([c], rt, clock)
        drive(m, clock, for: 1)
        m.requestStop(.userInitiated, reason: "x", now: clock.now)
        drive(m, clock)
        #expect(rt.signals("app").first?.0 == 3)
        #expect(SignalNames.parse("TERM") == 15 && SignalNames.parse("9") == 9 && SignalNames.parse("SIGFOO") == nil)
        #expect(SignalNames.name(15) == "SIGTERM")
    }
}

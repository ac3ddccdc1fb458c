import BerthECS
import BerthInit
import BerthRuntime

/// The per-task state machine (ECS agent's `managedTask`): starts containers in dependsOn order,
/// watches exits and health, applies essential and restart-policy rules and runs the stop
/// sequence in reverse dependency order. Single-threaded: one driver calls `step(now:)`
/// repeatedly (`TaskRunner` on a real clock, tests on a virtual one).
public final class TaskMachine {
    public let taskId: String
    let runtime: any ContainerRuntime
    let executor: any HealthCheckExecutor
    let inbox = HealthInbox()
    var containers: [ContainerBox]
    var onEvent: (TaskEvent) -> Void
    /// The kernel's count of forks refused by a container's pids limit (by container name; nil
    /// when unknown). `TaskRunner` reads the container's cgroup; see TaskMachine+PidsLimit.swift.
    public var readPidsLimitHits: (String) -> UInt64? = { _ in nil }

    var lastStatus = TaskStatus.pending
    var desiredStopped = false
    var stopCode: StopCode?
    var stoppedReason: String?
    var createdAt: Double
    var startedAt: Double?
    var stoppingAt: Double?
    var executionStoppedAt: Double?
    var stoppedAt: Double?
    var version = 0
    /// The essential container whose exit stopped the task.
    var stoppedBy: String?
    /// True once every container is stopped and deleted.
    public private(set) var finished = false

    public init(plan: TaskPlan, runtime: any ContainerRuntime, executor: any HealthCheckExecutor = BackgroundHealthCheckExecutor(),
                now: Double, onEvent: @escaping (TaskEvent) -> Void = { _ in }) {
        self.taskId = plan.taskId
        self.runtime = runtime
        self.executor = executor
        self.createdAt = now
        self.onEvent = onEvent
        self.containers = plan.containers.map { ContainerBox(plan: $0, id: TaskPlan.runtimeId(task: plan.taskId, container: $0.name)) }
    }

    // MARK: driving

    /// Advance the task to time `now`: collect health results and exits, start what is ready,
    /// schedule health checks, progress the stop sequence.
    public func step(now: Double) {
        guard !finished else { return }
        drainHealth(now)
        pollExits(now)
        checkPidsLimits(now)
        if !desiredStopped {
            scheduleHealthChecks(now)
            drainHealth(now)
            startReady(now)
        }
        if desiredStopped { advanceStop(now) }
        updateTaskStatus(now)
    }

    /// Ask the task to stop (StopTask, Ctrl-C, service scheduler). The first request wins.
    public func requestStop(_ code: StopCode, reason: String, now: Double) {
        guard !desiredStopped else { return }
        desiredStopped = true
        stopCode = code
        stoppedReason = reason
        if lastStatus == .running { stoppingAt = now }
        emit(now, .stopRequested, nil, "\(code.rawValue): \(reason)")
    }

    /// Stop at once: SIGKILL every running container regardless of stopTimeout.
    public func killAll(now: Double) {
        requestStop(.userInitiated, reason: ECSText.userStopped, now: now)
        for i in containers.indices where containers[i].phase == .running && !containers[i].killed {
            containers[i].termSentAt = containers[i].termSentAt ?? now
            containers[i].killAt = now
            containers[i].killed = true
            signal(i, 9, all: true, now)
        }
    }

    // MARK: exits and restarts

    func pollExits(_ now: Double) {
        for i in containers.indices where containers[i].phase == .running {
            let state: ContainerState
            do { state = try runtime.state(containers[i].id) } catch {
                handleExit(i, exitCode: nil, oom: false, reason: "CannotInspectContainerError: \(error)", now)
                continue
            }
            guard state.status == .stopped else { continue }
            let exit = state.exit ?? (try? runtime.wait(containers[i].id, timeout: 0)) ?? nil
            // When the monitor recorded it (an exit seen late, e.g. after an agent restart, keeps its time).
            let at = exit.flatMap { $0.finishedAtNanos > 0 ? min(now, Double($0.finishedAtNanos) / 1e9) : nil } ?? now
            handleExit(i, exitCode: exit?.exitCode, oom: exit?.oomKilled ?? false, reason: nil, at)
        }
    }

    func handleExit(_ i: Int, exitCode: Int32?, oom: Bool, reason: String?, _ now: Double) {
        var c = containers[i]
        c.exitCode = exitCode
        c.reason = oom ? ECSText.oom : reason ?? pidsLimitReason(c)
        c.finishedAt = now
        c.checkInFlight = false
        c.generation += 1
        containers[i] = c
        let code = exitCode.map(String.init) ?? "none"
        if shouldRestart(c, now) {
            emit(now, .containerStopped, c.plan.name, "exited with code \(code); restarting (restart policy)")
            restart(i, now)
            return
        }
        containers[i].phase = .stopped
        emit(now, .containerStopped, c.plan.name, "exited with code \(code)" + (c.reason.map { " (\($0))" } ?? ""))
        if c.plan.essential && !desiredStopped {
            executionStoppedAt = now
            stoppedBy = c.plan.name
            requestStop(.essentialContainerExited, reason: ECSText.essentialExited, now: now)
        }
    }

    /// Reference §3.5: restart unless stopping, no exit code, ignored code, or it ran less than
    /// restartAttemptPeriod since its last start.
    func shouldRestart(_ c: ContainerBox, _ now: Double) -> Bool {
        guard let policy = c.plan.restartPolicy, policy.enabled, !desiredStopped,
              let code = c.exitCode, !policy.ignoredExitCodes.contains(code),
              let last = c.lastStartAt else { return false }
        return now - last >= policy.restartAttemptPeriod
    }

    func restart(_ i: Int, _ now: Double) {
        try? runtime.delete(containers[i].id, force: true)
        containers[i].restartCount += 1
        containers[i].lastRestartAt = now
        launch(i, now)
        if containers[i].phase == .running {
            emit(now, .containerRestarted, containers[i].plan.name, "restarted (restart \(containers[i].restartCount))")
        }
    }

    // MARK: starting

    func startReady(_ now: Double) {
        var progressed = true
        while progressed && !desiredStopped {
            progressed = false
            for i in containers.indices where containers[i].phase == .pending && !desiredStopped {
                switch evaluateDependencies(i, now) {
                case .wait: continue
                case .ready:
                    launch(i, now)
                    progressed = true
                case .fail(let message):
                    failDependency(i, message, now)
                    progressed = true
                }
            }
        }
    }

    func launch(_ i: Int, _ now: Double) {
        let c = containers[i]
        do {
            _ = try runtime.create(CreateRequest(id: c.id, bundle: c.plan.bundle, spec: specForLaunch(i), stdio: c.plan.stdio))
            try runtime.start(c.id)
        } catch {
            try? runtime.delete(c.id, force: true)
            containers[i].phase = .stopped
            containers[i].finishedAt = now
            containers[i].reason = "CannotStartContainerError: \(error)"
            emit(now, .error, c.plan.name, containers[i].reason!)
            if c.plan.essential { requestStop(startedAt == nil ? .taskFailedToStart : .essentialContainerExited, reason: containers[i].reason!, now: now) }
            return
        }
        var box = containers[i]
        box.phase = .running
        box.everStarted = true
        if box.startedAt == nil { box.startedAt = now }
        box.lastStartAt = now
        box.exitCode = nil
        box.reason = nil
        box.finishedAt = nil
        box.pidsLimitHits = 0
        box.pid = try? runtime.state(c.id).pid
        if let hc = box.plan.healthCheck {
            box.health = .unknown
            box.healthFailures = 0
            box.nextCheckAt = now + hc.interval
            box.graceEndsAt = now + hc.startPeriod
            box.inGrace = hc.startPeriod > 0
        }
        containers[i] = box
        emit(now, .containerStarted, box.plan.name, "started" + (box.pid.map { " (pid \($0))" } ?? ""))
    }

    /// The spec with shared task namespaces pointed at the first running container's.
    func specForLaunch(_ i: Int) -> Spec {
        var spec = containers[i].plan.spec
        guard !containers[i].plan.shareNamespaces.isEmpty,
              let leader = containers.first(where: { $0.phase == .running && $0.pid != nil && $0.id != containers[i].id }),
              let pid = leader.pid else { return spec }
        for type in containers[i].plan.shareNamespaces {
            let path = "/proc/\(pid)/ns/\(type == "network" ? "net" : type)"
            spec.linux?.namespaces?.removeAll { $0.type == type }
            spec.linux?.namespaces?.append(Spec.Namespace(type: type, path: path))
        }
        return spec
    }

    enum DependencyVerdict: Equatable { case ready, wait, fail(String) }

    func evaluateDependencies(_ i: Int, _ now: Double) -> DependencyVerdict {
        let target = containers[i].plan.name
        for dep in containers[i].plan.dependsOn {
            guard let x = containers.first(where: { $0.plan.name == dep.containerName }) else {
                return .fail("container [\(dep.containerName)] named by [\(target)] dependsOn does not exist")
            }
            let prefix = "failed to resolve the container ordering dependency [\(x.plan.name)] for target [\(target)]"
            switch Self.verdict(x, dep.condition, now) {
            case .ready: continue
            case .wait: return .wait
            case .fail(let why): return .fail("\(prefix) as \(why)")
            }
        }
        return .ready
    }

    static func verdict(_ x: ContainerBox, _ condition: DependencyCondition, _ now: Double) -> DependencyVerdict {
        let stopped = x.phase == .stopped
        if stopped && !x.everStarted { return .fail("dependency will never start") }
        switch condition {
        case .start:
            return x.phase == .running || stopped ? .ready : .wait
        case .complete:
            if stopped { return .ready }
        case .success:
            if stopped { return x.exitCode == 0 ? .ready : .fail("dependency did not exit successfully") }
        case .healthy:
            if x.phase == .running && x.health == .healthy { return .ready }
            if stopped { return .fail("dependency stopped before becoming healthy") }
        }
        if let timeout = x.plan.startTimeout, timeout > 0, let started = x.startedAt, now - started > timeout {
            return .fail("dependency did not reach \(condition.rawValue) within its startTimeout of \(Int(timeout))s")
        }
        return .wait
    }

    /// Reference §3.1: the dependent is marked STOPPED with exit code 143.
    func failDependency(_ i: Int, _ message: String, _ now: Double) {
        containers[i].phase = .stopped
        containers[i].exitCode = 143
        containers[i].finishedAt = now
        containers[i].reason = "CannotStartContainerError: dependency graph: \(message)"
        emit(now, .error, containers[i].plan.name, containers[i].reason!)
        if containers[i].plan.essential {
            requestStop(startedAt == nil ? .taskFailedToStart : .essentialContainerExited, reason: containers[i].reason!, now: now)
        }
    }

    // MARK: health checks

    func scheduleHealthChecks(_ now: Double) {
        for i in containers.indices where containers[i].phase == .running {
            guard let hc = containers[i].plan.healthCheck, !containers[i].checkInFlight,
                  now >= containers[i].nextCheckAt else { continue }
            containers[i].checkInFlight = true
            let base = containers[i].plan.spec.process
            let process = Spec.Process(user: base?.user ?? Spec.User(), args: hc.args, env: base?.env, cwd: base?.cwd ?? "/")
            let name = containers[i].plan.name, generation = containers[i].generation, inbox = self.inbox
            executor.run(runtime, id: containers[i].id, process: process, timeout: hc.timeout) { result in
                inbox.post(name, generation, result)
            }
        }
    }

    func drainHealth(_ now: Double) {
        for item in inbox.drain() {
            guard let i = containers.firstIndex(where: { $0.plan.name == item.name }),
                  containers[i].generation == item.generation, containers[i].phase == .running,
                  let hc = containers[i].plan.healthCheck else { continue }
            containers[i].checkInFlight = false
            containers[i].nextCheckAt = now + hc.interval
            let ok: Bool
            switch item.result {
            case .success(let r):
                ok = r.exitCode == 0 && !r.timedOut
                let text = String(decoding: r.stdout + r.stderr, as: UTF8.self)
                containers[i].lastOutput = r.timedOut ? "health check timed out after \(Int(hc.timeout))s" : String(text.prefix(1024))
            case .failure(let error):
                ok = false
                containers[i].lastOutput = "\(error)"
            }
            applyHealthResult(i, ok: ok, hc, now)
        }
    }

    /// Docker/ECS health rules (reference §2.1-2.2): a success makes the container HEALTHY and ends
    /// the start period; failures during the start period do not count; `retries` consecutive
    /// counted failures make it UNHEALTHY.
    func applyHealthResult(_ i: Int, ok: Bool, _ hc: HealthCheckPlan, _ now: Double) {
        let before = containers[i].health
        if ok {
            containers[i].healthFailures = 0
            containers[i].inGrace = false
            containers[i].health = .healthy
        } else {
            if !(containers[i].inGrace && now < containers[i].graceEndsAt) {
                containers[i].inGrace = false
                containers[i].healthFailures += 1
                if containers[i].healthFailures >= hc.retries { containers[i].health = .unhealthy }
            }
            emit(now, .healthCheckFailed, containers[i].plan.name,
                 "health check failed (\(containers[i].inGrace ? "in start period, not counted" : "\(containers[i].healthFailures) in a row, unhealthy at \(hc.retries)")): \(containers[i].lastOutput ?? "")")
        }
        if containers[i].health != before {
            emit(now, .healthChanged, containers[i].plan.name, "health \(before.rawValue) -> \(containers[i].health.rawValue)")
        }
    }

    // MARK: stopping

    func advanceStop(_ now: Double) {
        for i in containers.indices where containers[i].phase == .pending {
            containers[i].phase = .stopped
            containers[i].finishedAt = now
            emit(now, .containerStopped, containers[i].plan.name, "never started: task is stopping")
        }
        for i in containers.indices where containers[i].phase == .running {
            if containers[i].termSentAt == nil {
                guard dependentsStopped(i) else { continue }
                containers[i].termSentAt = now
                containers[i].killAt = now + containers[i].plan.stopTimeout
                signal(i, containers[i].plan.stopSignal, all: false, now)
            } else if !containers[i].killed, let killAt = containers[i].killAt, now >= killAt {
                containers[i].killed = true
                signal(i, 9, all: true, now)
            }
        }
        if containers.allSatisfy({ $0.phase == .stopped }) { finish(now) }
    }

    /// Reverse dependency order: stop a container only after every container that depends on it.
    func dependentsStopped(_ i: Int) -> Bool {
        let name = containers[i].plan.name
        return containers.allSatisfy { other in
            other.phase == .stopped || !other.plan.dependsOn.contains { $0.containerName == name }
        }
    }

    func signal(_ i: Int, _ sig: Int32, all: Bool, _ now: Double) {
        do {
            try runtime.kill(containers[i].id, signal: sig, all: all)
            emit(now, .signalSent, containers[i].plan.name, sig == 9 ? "SIGKILL after stopTimeout \(Int(containers[i].plan.stopTimeout))s" : SignalNames.name(sig))
        } catch {
            // Already gone: the next poll sees the exit.
        }
    }

    func finish(_ now: Double) {
        setStatus(.stopping, now)
        setStatus(.deprovisioning, now)
        for c in containers where c.everStarted { try? runtime.delete(c.id, force: true) }
        stoppedAt = now
        if executionStoppedAt == nil { executionStoppedAt = now }
        finished = true
        setStatus(.stopped, now)
    }

    // MARK: task status

    func updateTaskStatus(_ now: Double) {
        guard !finished else { return }
        if desiredStopped { setStatus(.stopping, now); return }
        let anyPending = containers.contains { $0.phase == .pending }
        let anyStarted = containers.contains { $0.everStarted }
        if !anyPending && anyStarted {
            if startedAt == nil { startedAt = now }
            setStatus(.running, now)
        } else if anyStarted {
            setStatus(.activating, now)
        }
    }

    /// Forward-only transitions.
    func setStatus(_ status: TaskStatus, _ now: Double) {
        guard status > lastStatus else { return }
        if status == .stopping && stoppingAt == nil { stoppingAt = now }
        lastStatus = status
        emit(now, .taskStatus, nil, status.rawValue)
    }

    func emit(_ now: Double, _ kind: TaskEvent.Kind, _ container: String?, _ message: String) {
        version += 1
        onEvent(TaskEvent(time: now, kind: kind, container: container, message: message))
    }

    // MARK: snapshot

    public func snapshot() -> TaskSnapshot {
        let cs = containers.map { $0.snapshot }
        return TaskSnapshot(taskId: taskId, lastStatus: lastStatus, desiredStatus: desiredStopped ? .stopped : .running,
                            healthStatus: taskHealth(cs), stopCode: stopCode, stoppedReason: stoppedReason,
                            createdAt: createdAt, startedAt: startedAt, stoppingAt: stoppingAt,
                            executionStoppedAt: executionStoppedAt, stoppedAt: stoppedAt, version: version,
                            stoppedByContainer: stoppedBy, containers: cs)
    }
}

/// The engine's bookkeeping for one container.
struct ContainerBox {
    enum Phase { case pending, running, stopped }
    let plan: TaskContainer
    let id: String
    var phase = Phase.pending
    var everStarted = false
    var startedAt: Double?
    var lastStartAt: Double?
    var finishedAt: Double?
    var exitCode: Int32?
    var reason: String?
    var pid: Int32?
    /// Forks refused by the pids limit, as last reported in an event (this run).
    var pidsLimitHits: UInt64 = 0
    var restartCount = 0
    var lastRestartAt: Double?
    // health
    var health = HealthStatus.unknown
    var healthFailures = 0
    var nextCheckAt = 0.0
    var graceEndsAt = 0.0
    var inGrace = false
    var checkInFlight = false
    var generation = 0
    var lastOutput: String?
    // stopping
    var termSentAt: Double?
    var killAt: Double?
    var killed = false

    init(plan: TaskContainer, id: String) {
        self.plan = plan
        self.id = id
    }

    var snapshot: ContainerSnapshot {
        ContainerSnapshot(name: plan.name, runtimeId: id, essential: plan.essential,
                          lastStatus: phase == .pending ? .pending : phase == .running ? .running : .stopped,
                          exitCode: exitCode, reason: reason, healthStatus: health, lastHealthOutput: lastOutput,
                          startedAt: startedAt, finishedAt: finishedAt, restartCount: restartCount,
                          lastRestartAt: lastRestartAt, pid: phase == .running ? pid : nil,
                          networkBindings: plan.networkBindings.isEmpty ? nil : plan.networkBindings)
    }
}

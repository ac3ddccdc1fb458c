import BerthECS
import BerthJSON
import Foundation

/// A task engine that runs nothing: tasks walk through the ECS states on a clock. Used by
/// unit tests and by `berth agent --engine fake` (the aws CLI / boto3 tests).
///
/// Container behaviour is chosen by its effective `command` (RunTask's override, else the definition's): `["true"]` exits 0 and
/// `["false"]` exits 1 shortly after RUNNING; anything else runs until stopped. An image
/// whose name starts with `fake-pull-error` fails to pull (TaskFailedToStart). Port mappings are
/// reported published on 127.0.0.1 (the hostPort given, else a port derived from the task id).
public final class FakeTaskEngine: TaskEngine, @unchecked Sendable {
    struct FakeTask {
        var plan: TaskLaunchPlan
        var launchedAt: Double
        var stopRequestedAt: Double?
        var stopReason: String?
        var adoptedState: TaskObservation?
    }

    private let lock = NSLock()
    private var tasks: [String: FakeTask] = [:]
    private let clock: @Sendable () -> Double
    /// Seconds from launch to RUNNING, and from a stop request to STOPPED.
    public var startDelay: Double
    public var stopDelay: Double
    public var exitDelay: Double

    public init(startDelay: Double = 0.2, stopDelay: Double = 0.2, exitDelay: Double = 0.5, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.startDelay = startDelay
        self.stopDelay = stopDelay
        self.exitDelay = exitDelay
        self.clock = clock
    }

    public func launch(_ plan: TaskLaunchPlan) throws {
        lock.withLock { tasks[plan.taskArn] = FakeTask(plan: plan, launchedAt: clock()) }
    }

    public func stop(taskArn: String, intent: StopIntent) {
        lock.withLock {
            if tasks[taskArn]?.stopRequestedAt == nil {
                tasks[taskArn]?.stopRequestedAt = clock()
                tasks[taskArn]?.stopReason = intent.reason
            }
        }
    }

    public func adopt(_ plan: TaskLaunchPlan, stop: StopIntent?) -> TaskObservation? {
        // A fake engine keeps nothing across restarts: the task is gone.
        nil
    }

    public func release(taskArn: String) {
        _ = lock.withLock { tasks.removeValue(forKey: taskArn) }
    }

    public func observe() -> [TaskObservation] {
        let now = clock()
        return lock.withLock { tasks.values.map { observe($0, now: now) } }
    }

    func containerCommand(_ def: JSONValue, _ plan: TaskLaunchPlan) -> [String] {
        let name = def["name"]?.stringValue
        if let command = plan.overrides?.containerOverrides?.first(where: { $0.name == name })?.command { return command }
        return (def["command"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    private func observe(_ t: FakeTask, now: Double) -> TaskObservation {
        let defs = t.plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        var o = TaskObservation(taskArn: t.plan.taskArn, lastStatus: .pending)
        o.pullStartedAt = t.launchedAt + 0.001
        let running = t.launchedAt + startDelay
        let pullFails = defs.contains { ($0["image"]?.stringValue ?? "").hasPrefix("fake-pull-error") }
        if pullFails && now >= t.launchedAt + startDelay / 2 {
            o.pullStoppedAt = t.launchedAt + startDelay / 2
            o.lastStatus = .stopped
            o.stoppingAt = o.pullStoppedAt
            o.executionStoppedAt = o.pullStoppedAt
            o.stoppedAt = o.pullStoppedAt
            o.stopCode = .taskFailedToStart
            o.stoppedReason = "CannotPullContainerError: pull image manifest has been retried 1 time(s): image not found (fake engine)"
            o.containers = defs.map { ContainerObservation(name: $0["name"]?.stringValue ?? "", lastStatus: .stopped) }
            return o
        }
        // When the task ends on its own: the first essential container to exit.
        var essentialExit: Double?
        for def in defs where def["essential"]?.boolValue ?? true {
            let cmd = containerCommand(def, t.plan)
            if cmd == ["true"] || cmd == ["false"] {
                essentialExit = min(essentialExit ?? .infinity, running + exitDelay)
            }
        }
        let stopAt = [t.stopRequestedAt, essentialExit].compactMap { $0 }.min()
        let stopBeforeRunning = stopAt.map { $0 < running } ?? false
        if now < running && !(stopBeforeRunning && now >= stopAt!) {
            o.lastStatus = now >= t.launchedAt + startDelay / 2 ? .activating : .pending
            if now >= t.launchedAt + startDelay / 2 { o.pullStoppedAt = t.launchedAt + startDelay / 2 }
            o.containers = defs.map { ContainerObservation(name: $0["name"]?.stringValue ?? "", lastStatus: .pending) }
            return o
        }
        o.pullStoppedAt = min(t.launchedAt + startDelay / 2, stopAt ?? .infinity)
        if !stopBeforeRunning {
            o.startedAt = running
            o.connectivityAt = running
            o.lastStatus = .running
        }
        let stopped = stopAt.map { now >= $0 + stopDelay } ?? false
        let stopping = stopAt.map { now >= $0 } ?? false
        o.containers = defs.map { def in
            let name = def["name"]?.stringValue ?? ""
            var c = ContainerObservation(name: name, lastStatus: stopBeforeRunning ? .pending : .running)
            if !stopBeforeRunning {
                c.runtimeId = t.plan.taskId + "-" + name
                c.networkBindings = Self.bindings(def, taskId: t.plan.taskId)
                if t.plan.taskDefinition["networkMode"]?.stringValue == "awsvpc" { c.privateIPv4Address = Self.address(taskId: t.plan.taskId) }
            }
            let cmd = containerCommand(def, t.plan)
            let exitsAt = running + exitDelay
            if !stopBeforeRunning, cmd == ["true"] || cmd == ["false"], now >= exitsAt, (t.stopRequestedAt ?? .infinity) > exitsAt {
                c.lastStatus = .stopped
                c.exitCode = cmd == ["true"] ? 0 : 1
            } else if stopped {
                c.lastStatus = .stopped
                if !stopBeforeRunning { c.exitCode = 143 }
            }
            // A health check whose command is `false` or `exit 1` fails; any other passes.
            if c.lastStatus == .running, let check = def["healthCheck"]?["command"]?.arrayValue?.compactMap(\.stringValue) {
                c.healthStatus = check.last == "false" || check.last == "exit 1" ? .unhealthy : .healthy
            }
            return c
        }
        if stopping, let stopAt {
            o.lastStatus = stopped ? .stopped : .stopping
            o.stoppingAt = stopAt
            o.executionStoppedAt = stopped ? stopAt + stopDelay : nil
            o.stoppedAt = stopped ? stopAt + stopDelay : nil
            if stopBeforeRunning {
                o.stopCode = .taskFailedToStart
                o.stoppedReason = t.stopReason ?? "Task failed to start"
            } else if t.stopRequestedAt == stopAt {
                o.stopCode = .userInitiated
                o.stoppedReason = t.stopReason
            } else {
                o.stopCode = .essentialContainerExited
                o.stoppedReason = "Essential container in task exited"
            }
        }
        return o
    }

    public func logs(taskArn: String, container: String?, since: Double?, limit: Int) throws -> [LogEvent] {
        guard let t = lock.withLock({ tasks[taskArn] }) else { throw EngineError(.notFound, "task \(taskArn) is not known to the engine") }
        let started = t.launchedAt + startDelay
        var events: [LogEvent] = []
        for name in t.plan.containerNames where container == nil || container == name {
            events.append(LogEvent(timestamp: started, container: name, stream: "stdout", message: "fake engine: container \(name) started"))
        }
        return Array(events.filter { $0.timestamp > (since ?? -1) }.prefix(limit))
    }

    public func stats(taskArn: String) throws -> TaskStats {
        guard let t = lock.withLock({ tasks[taskArn] }) else { throw EngineError(.notFound, "task \(taskArn) is not known to the engine") }
        return TaskStats(timestamp: clock(), containers: t.plan.containerNames.map {
            ContainerStats(name: $0, cpuUsageNanos: 0, memoryBytes: 0, memoryLimitBytes: nil, pids: 1)
        })
    }

    public func exec(taskArn: String, container: String, command: [String], timeoutSeconds: Double) throws -> ExecResult {
        guard let t = lock.withLock({ tasks[taskArn] }) else { throw EngineError(.notFound, "task \(taskArn) is not known to the engine") }
        guard t.plan.containerNames.contains(container) else { throw EngineError(.notFound, "task has no container named \(container)") }
        // The fake engine runs nothing; it echoes the command so tests can see it arrived.
        return ExecResult(exitCode: 0, stdout: command.joined(separator: " ") + "\n", stderr: "")
    }

    public func execTarget(taskArn: String, container: String) throws -> ExecTarget {
        guard let t = lock.withLock({ tasks[taskArn] }) else { throw EngineError(.notFound, "task \(taskArn) is not known to the engine") }
        guard t.plan.containerNames.contains(container) else { throw EngineError(.notFound, "task has no container named \(container)") }
        // Nothing runs: a root no runtime uses, so a client that tries it fails clearly.
        return ExecTarget(runtimeRoot: "/nonexistent/fake-engine", runtimeId: t.plan.taskId + "-" + container)
    }

    /// The host ports a running container reports: its mappings' hostPort, else a stable
    /// port in 20000-59999 from the task id and container port (nothing listens on it).
    /// An awsvpc task's address: 10.x.y.z derived from its id (nothing listens there).
    static func address(taskId: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for b in taskId.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return "10.\(1 + (hash >> 16) % 254).\((hash >> 8) % 256).\(1 + hash % 254)"
    }

    static func bindings(_ def: JSONValue, taskId: String) -> [NetworkBinding] {
        (def["portMappings"]?.arrayValue ?? []).compactMap { m in
            guard let port = m["containerPort"]?.intValue else { return nil }
            var hash: UInt32 = 2_166_136_261
            for b in "\(taskId):\(port)".utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
            let host = m["hostPort"]?.intValue.flatMap { $0 > 0 ? $0 : nil } ?? 20000 + Int(hash % 40000)
            return NetworkBinding(bindIP: "127.0.0.1", containerPort: port, hostPort: host, protocol: m["protocol"]?.stringValue ?? "tcp")
        }
    }
}

import BerthCgroups
import BerthECS
import BerthRuntime
import BerthSys
import BerthJSON
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Drives a TaskMachine on the real clock on its own thread, persists the task record after
/// every change (for re-adoption by the agent), and tears the host resources down at the end.
public final class TaskRunner: Sendable {
    public let taskId: String
    let machine: Mutex<TaskMachine>
    let host: TaskHost?
    let containerNames: [String]
    let done = DispatchSemaphore(value: 0)
    let cleanupProblems = Mutex<[String]>([])
    let finishedFlag = Mutex(false)
    /// Step interval while containers start or stop (see `TaskMachine.sleepBudget`).
    public static let pollInterval = 0.05
    let wakeup = RunnerWakeup()

    public init(plan: TaskPlan, runtime: any ContainerRuntime, host: TaskHost?,
                onEvent: @escaping @Sendable (TaskEvent) -> Void = { _ in }) {
        taskId = plan.taskId
        self.host = host
        containerNames = plan.containers.map(\.name)
        let m = TaskMachine(plan: plan, runtime: runtime, now: Self.now(), onEvent: onEvent)
        if let host, let cgroups = host.cgroups {
            m.readPidsLimitHits = { name in (try? CgroupPath(host.layout.cgroup(name))).flatMap { cgroups.pidsLimitHits($0) } }
        }
        machine = Mutex(m)
    }

    /// Re-attach to a task from its persisted record (see `TaskMachine.adopt`), with the stop
    /// the caller had acknowledged, if any.
    public convenience init(adopting plan: TaskPlan, record: TaskSnapshot, stop: (code: StopCode, reason: String)? = nil,
                            runtime: any ContainerRuntime, host: TaskHost?, onEvent: @escaping @Sendable (TaskEvent) -> Void = { _ in }) {
        self.init(plan: plan, runtime: runtime, host: host, onEvent: onEvent)
        let order = stop.map { (code: $0.code, reason: $0.reason, at: Self.now()) }
        machine.withLock { $0.adopt(record, stop: order) }
    }

    /// The persisted record of a task, if its runtime directory still exists.
    public static func record(_ layout: TaskLayout) -> TaskSnapshot? {
        guard let bytes = try? Files.readBytes(layout.recordPath) else { return nil }
        return try? TaskSnapshot.read(json: bytes)
    }

    public static func now() -> Double { wallClockNow() }

    /// Start driving the task in the background.
    public func start() {
        DispatchQueue(label: "berth.task.\(taskId)").async { self.loop() }
    }

    func loop() {
        var persisted = -1
        var pidfds: [Int32: Int32] = [:]
        while true {
            let (finished, snapshot, budget, pids) = machine.withLock { m -> (Bool, TaskSnapshot?, Double, [Int32]) in
                let now = Self.now()
                m.step(now: now)
                let s = m.snapshot()
                return (m.finished, s.version != persisted ? s : nil, m.sleepBudget(now: now), m.runningPids)
            }
            if let snapshot {
                persisted = snapshot.version
                persist(snapshot)
            }
            if finished {
                persistFinal(snapshot ?? machine.withLock { $0.snapshot() })
                break
            }
            // Until the next step is due, a container exits, or stop() is called.
            wakeup.wait(seconds: budget, pids: pids, pidfds: &pidfds)
        }
        RunnerWakeup.closeAll(pidfds)
        TestPause.at("task-teardown")
        if let host { cleanupProblems.withLock { $0 = host.cleanup(containerNames: containerNames) } }
        finishedFlag.withLock { $0 = true }
        done.signal()
    }

    func persist(_ snapshot: TaskSnapshot) {
        guard let host, Files.isDirectory(host.layout.taskDir) else { return }
        try? Files.writeAtomically(host.layout.recordPath, snapshot.recordBytes)
    }

    /// StopTask / Ctrl-C: the ECS stop sequence (SIGTERM, stopTimeout, SIGKILL; reverse dependency order).
    public func stop(_ code: StopCode = .userInitiated, reason: String = ECSText.userStopped) {
        machine.withLock { $0.requestStop(code, reason: reason, now: Self.now()) }
        wakeup.wake()
    }

    /// A second Ctrl-C: skip the remaining stopTimeouts and SIGKILL everything now.
    public func killNow() {
        machine.withLock { $0.killAll(now: Self.now()) }
        wakeup.wake()
    }

    public func snapshot() -> TaskSnapshot { machine.withLock { $0.snapshot() } }

    /// True once the task is stopped and its host resources are removed.
    public var isDone: Bool { finishedFlag.withLock { $0 } }

    /// Block until the task is STOPPED and its host resources are gone.
    @discardableResult
    public func wait() -> TaskSnapshot {
        done.wait()
        done.signal()
        return snapshot()
    }

    /// Problems met while removing host resources (empty when everything went).
    public var cleanupErrors: [String] { cleanupProblems.withLock { $0 } }
}

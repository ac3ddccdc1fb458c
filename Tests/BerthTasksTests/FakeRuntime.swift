import BerthInit
import BerthRuntime
import Synchronization
@testable import BerthTasks

/// A virtual clock shared by the fake runtime and the test driver.
final class VirtualClock: Sendable {
    private let t = Mutex(1000.0)
    var now: Double { t.withLock { $0 } }
    func advance(_ dt: Double) { t.withLock { $0 += dt } }
}

/// What a scripted container does.
struct Behavior: Sendable {
    /// Exit on its own after this many seconds (per start); nil runs until signalled.
    var runFor: Double?
    /// Exit codes for successive runs (the last repeats).
    var exitCodes: [Int32] = [0]
    var oom = false
    var ignoresSigterm = false
    /// Health check result as a function of seconds since this run started.
    var healthy: @Sendable (Double) -> Bool = { _ in true }
    var failCreate = false
}

/// A ContainerRuntime whose containers follow scripts on a virtual clock.
final class FakeRuntime: ContainerRuntime {
    struct Box {
        var name: String
        var startedAt: Double?
        var exit: ExitInfo?
        var runs: Int
        var process: Spec.Process?
    }
    struct Log {
        var started: [(name: String, at: Double)] = []
        var signals: [(name: String, signal: Int32, at: Double)] = []
        var deleted: [String] = []
        var execs = 0
    }
    let clock: VirtualClock
    let behaviors: [String: Behavior]
    let task: String
    let boxes = Mutex<[String: Box]>([:])
    let runCounts = Mutex<[String: Int]>([:])
    let log = Mutex(Log())

    init(task: String = "t1", clock: VirtualClock, _ behaviors: [String: Behavior]) {
        self.task = task
        self.clock = clock
        self.behaviors = behaviors
    }

    func name(_ id: String) -> String { String(id.dropFirst(task.count + 1)) }
    func behavior(_ id: String) -> Behavior { behaviors[name(id)] ?? Behavior() }

    func create(_ request: CreateRequest) throws -> ContainerState {
        struct CreateFailed: Error, CustomStringConvertible { var description: String { "exec: no such file" } }
        if behavior(request.id).failCreate { throw CreateFailed() }
        let runs = runCounts.withLock { $0[request.id, default: 0] += 1; return $0[request.id]! }
        boxes.withLock { $0[request.id] = Box(name: name(request.id), runs: runs, process: request.spec.process) }
        return try state(request.id)
    }

    func start(_ id: String) throws {
        let now = clock.now
        boxes.withLock { $0[id]?.startedAt = now }
        log.withLock { $0.started.append((name(id), now)) }
    }

    /// Apply scripted exits that are due.
    func settle(_ id: String) {
        let b = behavior(id), now = clock.now
        boxes.withLock { boxes in
            guard var box = boxes[id], box.exit == nil, let started = box.startedAt, let runFor = b.runFor,
                  now - started >= runFor else { return }
            let code = b.exitCodes[min(box.runs - 1, b.exitCodes.count - 1)]
            box.exit = ExitInfo(exitCode: b.oom ? 137 : code, signal: b.oom ? 9 : nil, oomKilled: b.oom,
                                finishedAtNanos: Int64(now * 1e9))
            boxes[id] = box
        }
    }

    func state(_ id: String) throws -> ContainerState {
        settle(id)
        struct Missing: Error {}
        guard let box = boxes.withLock({ $0[id] }) else { throw Missing() }
        let status: ContainerStatus = box.exit != nil ? .stopped : box.startedAt != nil ? .running : .created
        return ContainerState(id: id, status: status, pid: 100, bundle: "/", exit: box.exit)
    }

    func list() throws -> [ContainerState] { try boxes.withLock { Array($0.keys) }.map { try state($0) } }

    func kill(_ id: String, signal: Int32, all: Bool) throws {
        let now = clock.now, b = behavior(id)
        log.withLock { $0.signals.append((name(id), signal, now)) }
        boxes.withLock { boxes in
            guard var box = boxes[id], box.exit == nil else { return }
            if signal == 9 || !b.ignoresSigterm {
                box.exit = ExitInfo(exitCode: 128 + signal, signal: signal, finishedAtNanos: Int64(now * 1e9))
            }
            boxes[id] = box
        }
    }

    func delete(_ id: String, force: Bool) throws {
        boxes.withLock { _ = $0.removeValue(forKey: id) }
        log.withLock { $0.deleted.append(name(id)) }
    }

    func exec(_ id: String, process: Spec.Process, timeout: Double?) throws -> ExecResult {
        log.withLock { $0.execs += 1 }
        let started = boxes.withLock { $0[id]?.startedAt } ?? clock.now
        return ExecResult(exitCode: behavior(id).healthy(clock.now - started) ? 0 : 1, stdout: Array("probe\n".utf8))
    }

    func execTemplate(_ id: String) throws -> Spec.Process {
        boxes.withLock { $0[id]?.process } ?? Spec.Process(args: ["true"])
    }

    func wait(_ id: String, timeout: Double?) throws -> ExitInfo? { try state(id).exit }

    var startOrder: [String] { log.withLock { $0.started.map(\.name) } }
    func startTime(_ name: String) -> Double? { log.withLock { $0.started.first { $0.name == name }?.at } }
    func startCount(_ name: String) -> Int { log.withLock { $0.started.filter { $0.name == name }.count } }
    func signals(_ name: String) -> [(Int32, Double)] { log.withLock { $0.signals.filter { $0.name == name }.map { ($0.signal, $0.at) } } }
    func firstSignalTime(_ name: String) -> Double? { signals(name).first?.1 }
    var deleted: [String] { log.withLock { $0.deleted } }
}

/// Drive a machine on the virtual clock until it finishes or `limit` seconds pass.
@discardableResult
func drive(_ machine: TaskMachine, _ clock: VirtualClock, for limit: Double = 600, tick: Double = 0.5,
           until: (TaskSnapshot) -> Bool = { _ in false }) -> TaskSnapshot {
    let end = clock.now + limit
    while clock.now < end {
        machine.step(now: clock.now)
        if machine.finished || until(machine.snapshot()) { break }
        clock.advance(tick)
    }
    return machine.snapshot()
}

func container(_ name: String, essential: Bool = true, dependsOn: [Dependency] = [], startTimeout: Double? = nil,
               stopTimeout: Double = 30, health: HealthCheckPlan? = nil, restart: RestartPolicyPlan? = nil) -> TaskContainer {
    TaskContainer(name: name, essential: essential, dependsOn: dependsOn, startTimeout: startTimeout, stopTimeout: stopTimeout,
                  healthCheck: health, restartPolicy: restart, spec: Spec(process: .init(args: ["/bin/true"])))
}

func machine(_ containers: [TaskContainer], _ runtime: FakeRuntime, _ clock: VirtualClock,
             events: @escaping (TaskEvent) -> Void = { _ in }) -> TaskMachine {
    TaskMachine(plan: TaskPlan(taskId: runtime.task, containers: containers), runtime: runtime,
                executor: InlineHealthCheckExecutor(), now: clock.now, onEvent: events)
}

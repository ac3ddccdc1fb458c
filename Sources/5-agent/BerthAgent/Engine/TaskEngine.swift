import BerthECS
import BerthJSON

/// The seam between the agent (ECS API, bookkeeping, persistence) and whatever runs a task's
/// containers. The real implementation is `HostEngineAdapter` in the CLI (wiring) over BerthTasks;
/// `FakeTaskEngine` is a test double driven by time.
///
/// The agent owns the ECS view (ARNs, desiredStatus, stopCode for user stops, version,
/// retention); the engine reports what really happened, and the agent merges its reports
/// forward-only (see `TaskLifecycle`). Every method may be called from several threads at once
/// (API requests and the agent's poller).
public protocol TaskEngine: AnyObject, Sendable {
    /// Start a task. Returning means the engine owns it and will report it in `observe()`;
    /// throwing means it could not even begin (the task stops with TaskFailedToStart and the
    /// error's description as stoppedReason).
    func launch(_ plan: TaskLaunchPlan) throws
    /// Begin stopping a task (stop signal, stopTimeout, SIGKILL) with the stopCode and reason
    /// the agent answered with. Idempotent: the first stop wins.
    func stop(taskArn: String, intent: StopIntent)
    /// The current state of the tasks the engine knows about: at least every task whose state
    /// changed since the previous call (the agent merges idempotently; an engine may report all).
    func observe() -> [TaskObservation]
    /// After an agent restart: re-attach to a task that was not STOPPED when the agent went
    /// away. nil means the engine finds nothing left of it (for example after a reboot).
    /// `stop`: the stop the agent had acknowledged (desiredStatus STOPPED); the engine carries it
    /// out with that code and reason even if it had not received it before the agent died.
    func adopt(_ plan: TaskLaunchPlan, stop: StopIntent?) -> TaskObservation?
    /// The agent no longer tracks this stopped task: drop its logs and leftovers.
    func release(taskArn: String)
    /// Log lines of one container (or all when `container` is nil), oldest first, after `since`.
    func logs(taskArn: String, container: String?, since: Double?, limit: Int) throws -> [LogEvent]
    /// Resource usage of a running task.
    func stats(taskArn: String) throws -> TaskStats
    /// Run a command inside a running container and collect its output.
    func exec(taskArn: String, container: String, command: [String], timeoutSeconds: Double) throws -> ExecResult
    /// Where a running container is, for `berth task exec -i/-t`, which the CLI runs itself on
    /// this host (streams and a terminal do not fit a request/response call).
    func execTarget(taskArn: String, container: String) throws -> ExecTarget
    /// After every task the agent knows was adopted: stop what the engine runs for this agent
    /// but the agent no longer knows (its record was lost), and release at once the host
    /// resources of tasks the agent knows as STOPPED whose teardown did not finish.
    func finishAdoption(knownTaskArns: Set<String>)
}

extension TaskEngine {
    public func finishAdoption(knownTaskArns: Set<String>) {}
}

/// Everything an engine needs to run a task. `taskDefinition` is the registered task
/// definition (normalised, as DescribeTaskDefinition returns it) and `overrides` RunTask's
/// validated overrides: the engine applies them (BerthECS's `TaskDefinitionInput.applying`).
public struct TaskLaunchPlan: Sendable, Equatable {
    public var taskArn: String
    public var taskId: String
    public var clusterName: String
    public var clusterArn: String
    public var taskDefinitionArn: String
    public var taskDefinition: JSONValue
    public var overrides: TaskOverride?
    public var region: String
    public var accountId: String

    public init(taskArn: String, taskId: String, clusterName: String, clusterArn: String, taskDefinitionArn: String,
                taskDefinition: JSONValue, overrides: TaskOverride?, region: String, accountId: String) {
        self.taskArn = taskArn
        self.taskId = taskId
        self.clusterName = clusterName
        self.clusterArn = clusterArn
        self.taskDefinitionArn = taskDefinitionArn
        self.taskDefinition = taskDefinition
        self.overrides = overrides
        self.region = region
        self.accountId = accountId
    }

    public var family: String { taskDefinition["family"]?.stringValue ?? "" }
    public var containerNames: [String] { (taskDefinition["containerDefinitions"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }

    /// `overridesApplied: false` marks the current layout. A plan written before it has no such
    /// member: its `taskDefinition` already has the overrides merged in, so it is read with none.
    var json: JSONValue {
        .obj([("taskArn", .string(taskArn)), ("taskId", .string(taskId)), ("clusterName", .string(clusterName)),
              ("clusterArn", .string(clusterArn)), ("taskDefinitionArn", .string(taskDefinitionArn)), ("taskDefinition", taskDefinition),
              ("overrides", overrides?.jsonValue ?? [:]), ("overridesApplied", false), ("region", .string(region)),
              ("accountId", .string(accountId))])
    }

    init?(json: JSONValue) {
        guard let arn = json["taskArn"]?.stringValue, let id = json["taskId"]?.stringValue, let cluster = json["clusterName"]?.stringValue,
              let clusterArn = json["clusterArn"]?.stringValue, let tdArn = json["taskDefinitionArn"]?.stringValue,
              let td = json["taskDefinition"], case .object = td else { return nil }
        var overrides: TaskOverride?
        if json["overridesApplied"]?.boolValue == false, let raw = json["overrides"], raw != [:] {
            overrides = JSONRequest.decode(raw, as: TaskOverride.self).0
        }
        self.init(taskArn: arn, taskId: id, clusterName: cluster, clusterArn: clusterArn, taskDefinitionArn: tdArn, taskDefinition: td,
                  overrides: overrides, region: json["region"]?.stringValue ?? "", accountId: json["accountId"]?.stringValue ?? "")
    }
}

/// A stop the agent has acknowledged: the ECS stopCode and stoppedReason it answers with.
public struct StopIntent: Sendable, Equatable {
    public var code: StopCode
    public var reason: String
    public init(code: StopCode, reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// One container as the engine sees it.
public struct ContainerObservation: Sendable, Equatable {
    public var name: String
    public var lastStatus: ContainerLastStatus
    public var exitCode: Int?
    public var reason: String?
    /// nil when the container has no health check.
    public var healthStatus: HealthStatus?
    public var runtimeId: String?
    public var imageDigest: String?
    public var networkBindings: [NetworkBinding]
    /// awsvpc: the task's address, shown as the container's `networkInterfaces[].privateIpv4Address`.
    public var privateIPv4Address: String?

    public init(name: String, lastStatus: ContainerLastStatus, exitCode: Int? = nil, reason: String? = nil, healthStatus: HealthStatus? = nil,
                runtimeId: String? = nil, imageDigest: String? = nil, networkBindings: [NetworkBinding] = []) {
        self.name = name
        self.lastStatus = lastStatus
        self.exitCode = exitCode
        self.reason = reason
        self.healthStatus = healthStatus
        self.runtimeId = runtimeId
        self.imageDigest = imageDigest
        self.networkBindings = networkBindings
    }
}

/// A task as the engine sees it. `lastStatus` uses the ECS task states (§4.1); timestamps
/// are epoch seconds and are set once. `stopCode`/`stoppedReason` say why the engine stopped
/// it on its own (EssentialContainerExited, TaskFailedToStart).
public struct TaskObservation: Sendable, Equatable {
    public var taskArn: String
    public var lastStatus: TaskStatus
    public var containers: [ContainerObservation]
    public var healthStatus: HealthStatus?
    public var connectivityAt: Double?
    public var pullStartedAt: Double?
    public var pullStoppedAt: Double?
    public var startedAt: Double?
    public var stoppingAt: Double?
    public var executionStoppedAt: Double?
    public var stoppedAt: Double?
    public var stopCode: StopCode?
    public var stoppedReason: String?

    public init(taskArn: String, lastStatus: TaskStatus, containers: [ContainerObservation] = []) {
        self.taskArn = taskArn
        self.lastStatus = lastStatus
        self.containers = containers
    }
}

public struct LogEvent: Sendable, Equatable {
    public var timestamp: Double
    public var container: String
    public var stream: String
    public var message: String
    public init(timestamp: Double, container: String, stream: String, message: String) {
        self.timestamp = timestamp
        self.container = container
        self.stream = stream
        self.message = message
    }
}

public struct ContainerStats: Sendable, Equatable {
    public static func == (a: ContainerStats, b: ContainerStats) -> Bool {
        a.name == b.name && a.cpuUsageNanos == b.cpuUsageNanos && a.memoryBytes == b.memoryBytes && a.memoryLimitBytes == b.memoryLimitBytes
            && a.pids == b.pids && a.cpuUserNanos == b.cpuUserNanos && a.cpuSystemNanos == b.cpuSystemNanos && a.memoryPeakBytes == b.memoryPeakBytes
            && a.memoryDetail.map(\.0) == b.memoryDetail.map(\.0) && a.memoryDetail.map(\.1) == b.memoryDetail.map(\.1) && a.pidsLimit == b.pidsLimit
    }
    public var name: String
    public var cpuUsageNanos: UInt64
    public var memoryBytes: UInt64
    public var memoryLimitBytes: UInt64?
    public var pids: Int
    /// Details for the task metadata endpoint's Docker-shaped stats (nil where unknown).
    public var cpuUserNanos: UInt64?
    public var cpuSystemNanos: UInt64?
    public var cpuPeriods: UInt64?
    public var cpuThrottledPeriods: UInt64?
    public var cpuThrottledNanos: UInt64?
    public var memoryPeakBytes: UInt64?
    public var memoryDetail: [(String, UInt64)] = []
    public var pidsLimit: UInt64?
    public init(name: String, cpuUsageNanos: UInt64, memoryBytes: UInt64, memoryLimitBytes: UInt64?, pids: Int) {
        self.name = name
        self.cpuUsageNanos = cpuUsageNanos
        self.memoryBytes = memoryBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.pids = pids
    }
}

public struct TaskStats: Sendable, Equatable {
    public var timestamp: Double
    public var containers: [ContainerStats]
    /// Counters of the task's network interfaces (its own namespace; none for host networking).
    public var networks: [NetworkCounters] = []
    /// The host's CPU time (all CPUs, /proc/stat) and online CPUs, for Docker's `system_cpu_usage`.
    public var systemCpuNanos: UInt64?
    public var onlineCpus: Int?
    public var hostMemoryBytes: UInt64?
    public init(timestamp: Double, containers: [ContainerStats]) {
        self.timestamp = timestamp
        self.containers = containers
    }
}

/// A running container as the runtime knows it: its state root and runtime id.
public struct ExecTarget: Sendable, Equatable {
    public var runtimeRoot: String
    public var runtimeId: String
    public init(runtimeRoot: String, runtimeId: String) {
        self.runtimeRoot = runtimeRoot
        self.runtimeId = runtimeId
    }
}

public struct ExecResult: Sendable, Equatable {
    public var exitCode: Int
    public var stdout: String
    public var stderr: String
    public init(exitCode: Int, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// One network interface's counters (/proc/net/dev).
public struct NetworkCounters: Sendable, Equatable {
    public var name: String
    public var rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0
    public var txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0
    public init(name: String) { self.name = name }

    /// Parse /proc/<pid>/net/dev.
    public static func parse(procNetDev text: String) -> [NetworkCounters] {
        text.split(separator: "\n").dropFirst(2).compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let f = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard f.count >= 16 else { return nil }
            var n = NetworkCounters(name: String(line[..<colon].filter { $0 != " " }))
            (n.rxBytes, n.rxPackets, n.rxErrors, n.rxDropped) = (f[0], f[1], f[2], f[3])
            (n.txBytes, n.txPackets, n.txErrors, n.txDropped) = (f[8], f[9], f[10], f[11])
            return n
        }
    }
}

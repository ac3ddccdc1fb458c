import BerthJSON
import BerthController
import BerthScaling
import BerthSys
import Foundation

/// Settings of the ECS backend that clients can observe.
public struct BackendConfig: Sendable {
    public var region = "us-east-1"
    public var accountId = "000000000000"
    /// Stopped tasks stay describable this long (ECS: at least one hour).
    public var stoppedTaskRetention: Double = 3600
    /// Service controller timers (`timeScale` speeds every one of them up, for tests).
    public var controller = ControllerConfig()
    public init() {}
}

/// The ECS control plane of one host: clusters, task definitions, tasks and tags, persisted
/// in a StateStore, with tasks run by a TaskEngine. Thread-safe: every operation holds one lock
/// (operations are short; engine calls that may block happen outside it).
public final class ECSBackend: @unchecked Sendable {
    public let config: BackendConfig
    public let arns: ARNFormat
    let store: StateStore
    let writer: PersistQueue
    let engine: any TaskEngine
    let validator: any TaskDefinitionValidator
    let clock: @Sendable () -> Double
    let log: @Sendable (String) -> Void
    let lock = NSRecursiveLock()

    var clusters: [String: ClusterRecord] = [:]
    /// Highest revision ever registered per family (never reused).
    var lastRevision: [String: Int] = [:]
    var taskDefs: [String: TaskDefRecord] = [:]
    var tasks: [String: TaskRecord] = [:]
    /// The engine's last report per task ARN (merging an identical report changes nothing).
    var lastObservations: [String: TaskObservation] = [:]
    /// When an API call last merged engine reports (back-to-back calls share one merge).
    var lastRefresh: Double = -.infinity
    /// Services by `<cluster>@<name>` (Services/ServiceOps.swift); the loop is Services/ServiceLoop.swift.
    var services: [String: ServiceRecord] = [:]
    public let serviceSignal = ServiceSignal()
    /// Set by whoever owns services: a reason why a cluster cannot be deleted (active services).
    /// Engine calls queued by an operation, run after the lock is released.
    var deferred: [() -> Void] = []
    public var clusterDeletionGuard: (@Sendable (String) -> String?)?
    /// The agent's Elastic Load Balancing, for services with `loadBalancers` (set once, before
    /// the service loop starts; nil refuses such services).
    public var loadBalancing: ELBService?
    /// The agent's Cloud Map, for services with `serviceRegistries` or Service Connect (set once,
    /// before the service loop starts; nil refuses such services).
    public var cloudMap: CloudMapService?
    /// Where discovery snapshots go (the in-task resolver and alias listeners).
    public var discoveryDataPlane: any DiscoveryDataPlane = NoDiscoveryDataPlane()
    /// The snapshot last published (nil: none yet, so the first tick publishes).
    var lastDiscoverySnapshot: DiscoverySnapshot?
    /// Application Auto Scaling by resource id `service/<cluster>/<service>` (Scaling/).
    var scaling: [String: ScalingRecord] = [:]
    /// CloudWatch alarms made by PutMetricAlarm, by name.
    var cloudWatchAlarms: [String: StoredAlarm] = [:]
    /// Service metrics (CPUUtilization, MemoryUtilization) sampled from the tasks' cgroups.
    public let metrics = MetricStore()
    /// Per running task: (time, cumulated CPU nanoseconds) of its previous sample.
    var cpuBaselines: [String: (Double, UInt64)] = [:]
    var lastMetricSample = -Double.infinity
    /// The load balancers' counters at the last metric sample.
    var elbCounterBaseline = DataPlaneCounters()

    public init(config: BackendConfig, store: StateStore, engine: any TaskEngine,
                validator: any TaskDefinitionValidator = ECSModelValidator(),
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { printErrLine($0) }) {
        self.config = config
        self.arns = ARNFormat(region: config.region, account: config.accountId)
        self.store = store
        self.writer = PersistQueue(store: store, log: log)
        self.engine = engine
        self.validator = validator
        self.clock = clock
        self.log = log
        load()
    }

    // MARK: persistence

    func load() {
        for j in store.loadAll("clusters") {
            if let c = ClusterRecord(json: j) { clusters[c.name] = c } else { log("ignoring a cluster file without a valid clusterName") }
        }
        if clusters["default"] == nil {
            let c = ClusterRecord(name: "default", createdAt: clock())
            clusters["default"] = c
            persist(cluster: c)
        }
        for j in store.loadAll("families") {
            if let f = j["family"]?.stringValue, let r = j["lastRevision"]?.intValue { lastRevision[f] = r }
        }
        for j in store.loadAll("taskdefs") {
            guard let td = TaskDefRecord(json: j) else { log("ignoring a task definition file without family/revision"); continue }
            taskDefs[td.key] = td
            lastRevision[td.family] = max(lastRevision[td.family] ?? 0, td.revision)
        }
        var adopt: [TaskRecord] = []
        for j in store.loadAll("tasks") {
            guard let t = TaskRecord(json: j) else { log("ignoring a task file without taskArn/plan"); continue }
            tasks[t.id] = t
            if t.lastStatus != .stopped { adopt.append(t) }
        }
        for t in adopt { adoptTask(t) }
        engine.finishAdoption(knownTaskArns: Set(tasks.values.map(\.arn)))
        loadServices()
        loadScaling()
        loadAlarms()
    }

    /// Re-attach a task that was not stopped when the agent went away.
    func adoptTask(_ t: TaskRecord) {
        // The stop intent on disk goes with it: a stop acknowledged just before the agent died
        // may never have reached the engine.
        if let obs = engine.adopt(t.plan, stop: t.stopIntent) {
            merge(obs)
            log("adopted task \(t.arn) (\(obs.lastStatus.rawValue))")
            return
        }
        var r = t
        r.task = TaskLifecycle.lost(r.task, at: clock())
        tasks[r.id] = r
        persist(task: r)
        log("task \(t.arn) was lost while the agent was down; marked STOPPED")
    }

    func persist(cluster c: ClusterRecord) { save("clusters", c.name, c.json) }
    func persist(taskDef td: TaskDefRecord) { save("taskdefs", td.key, td.json) }
    func persist(task t: TaskRecord) { save("tasks", t.id, t.json) }
    func persistFamily(_ family: String) {
        save("families", family, ["family": .string(family), "lastRevision": .int(lastRevision[family] ?? 0)])
    }

    private func save(_ kind: String, _ name: String, _ value: JSONValue) {
        writer.enqueue(kind, name, value)
    }

    /// Block until every state change so far is on disk (used at shutdown).
    public func flush() { writer.wait(for: writer.lastTicket) }

    /// Write every pending state change and stop the writer (agent shutdown, tests before they
    /// remove the state directory): afterwards nothing is written under the store's root.
    public func close() { writer.close() }

    func unsave(_ kind: String, _ name: String) {
        writer.enqueue(kind, name, nil)
    }

    // MARK: dispatch

    /// Runs one API operation. `operation` is the part of X-Amz-Target after the prefix.
    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        let p = Params(input)
        // Reads see the engine's view at most 10 ms old: `observe()` reports only tasks whose
        // snapshot changed, so it is cheap; the age just shares one engine read across a burst
        // of reads (100 ms made DescribeTasks lag a container start by 50 ms on average).
        if Self.readsTasks.contains(operation) { refreshFromEngine(maxAge: 0.01) }
        lock.lock()
        let result: Result<JSONValue, APIError>
        do { result = .success(try dispatch(operation, p)) } catch { result = .failure(error) }
        let work = deferred
        deferred = []
        let ticket = writer.lastTicket
        lock.unlock()
        // Acknowledge (and launch) only what is on disk.
        writer.wait(for: ticket)
        for w in work { w() }
        return try result.get()
    }

    func dispatch(_ operation: String, _ p: Params) throws(APIError) -> JSONValue {
        switch operation {
        case "CreateCluster": return try createCluster(p)
        case "DescribeClusters": return try describeClusters(p)
        case "ListClusters": return try listClusters(p)
        case "DeleteCluster": return try deleteCluster(p)
        case "UpdateCluster": return try updateCluster(p)
        case "RegisterTaskDefinition": return try registerTaskDefinition(p)
        case "DescribeTaskDefinition": return try describeTaskDefinition(p)
        case "ListTaskDefinitions": return try listTaskDefinitions(p)
        case "ListTaskDefinitionFamilies": return try listTaskDefinitionFamilies(p)
        case "DeregisterTaskDefinition": return try deregisterTaskDefinition(p)
        case "DeleteTaskDefinitions": return try deleteTaskDefinitions(p)
        case "RunTask": return try runTask(p)
        case "StopTask": return try stopTask(p)
        case "DescribeTasks": return try describeTasks(p)
        case "ListTasks": return try listTasks(p)
        case "TagResource": return try tagResource(p)
        case "UntagResource": return try untagResource(p)
        case "ListTagsForResource": return try listTagsForResource(p)
        case "ExecuteCommand": throw Self.executeCommandUnavailable
        default:
            if let result = try dispatchService(operation, p) { return result }
            throw APIError("UnknownOperationException", "Unknown operation \(operation)")
        }
    }

    /// Agent-private operations (X-Amz-Target prefix `Berth.`); they may block on the engine,
    /// so they take the lock only to resolve the task.
    public func callPrivate(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        let p = Params(input)
        switch operation {
        case "GetTaskLogs": return try getTaskLogs(p)
        case "GetTaskStats": return try getTaskStats(p)
        case "ExecuteCommand": return try executeCommand(p)
        case "GetExecTarget": return try getExecTarget(p)
        case "DescribeServiceLoadBalancers": return try describeServiceLoadBalancers(p)
        case "DescribeServiceScaling": return try describeServiceScaling(p)
        case "DescribeServiceDiscovery": return try describeServiceDiscovery(p)
        default: throw APIError("UnknownOperationException", "Unknown operation Berth.\(operation)")
        }
    }

    /// Operations whose answers show task state: engine reports are merged first (outside the lock).
    static let readsTasks: Set<String> = ["DescribeTasks", "ListTasks", "StopTask"]

    public static let operations = ["CreateCluster", "DescribeClusters", "ListClusters", "DeleteCluster", "UpdateCluster", "RegisterTaskDefinition",
                                    "DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies", "DeregisterTaskDefinition",
                                    "DeleteTaskDefinitions", "RunTask", "StopTask", "DescribeTasks", "ListTasks", "TagResource",
                                    "UntagResource", "ListTagsForResource", "ExecuteCommand"] + serviceOperations

    /// `aws ecs execute-command` needs an SSM session and the Session Manager plugin; Berth runs
    /// exec itself on the agent's host instead.
    static let executeCommandUnavailable = APIError(
        "TargetNotConnectedException",
        "ECS Exec (SSM Session Manager) is not available with Berth. On the agent's host, run: "
            + "berth task exec -it TASK [--container NAME] -- COMMAND [ARG]...")

    // MARK: shared lookups

    /// Resolve a `cluster` parameter (default `default`) to an ACTIVE cluster.
    func requireCluster(_ p: Params, key: String = "cluster") throws(APIError) -> ClusterRecord {
        let raw = try p.string(key) ?? "default"
        guard let name = arns.clusterName(raw), let c = clusters[name] else { throw .clusterNotFound }
        guard c.status == "ACTIVE" else { throw APIError("ClusterNotFoundException", "The referenced cluster was inactive.") }
        return c
    }
}

/// One line to stderr (the agent's log goes to the journal under systemd).
public func printErrLine(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

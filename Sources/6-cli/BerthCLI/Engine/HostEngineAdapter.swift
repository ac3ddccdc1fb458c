import BerthAgent
import BerthCgroups
import BerthECS
import BerthImages
import BerthRuntime
import BerthSecrets
import BerthSys
import BerthTasks
import Foundation

/// The agent's `TaskEngine` over BerthTasks' `HostTaskEngine`: real containers on this host.
///
/// The agent hands over the registered task definition and RunTask's typed overrides; the
/// definition is decoded by BerthECS and HostTaskEngine applies the overrides to it. Tasks are
/// keyed by their ARN; the task id names
/// the task's host resources (`TaskLayout`), which is what lets logs and release work for a
/// task the agent learnt about before a restart.
public final class HostEngineAdapter: TaskEngine, @unchecked Sendable {
    public let engine: HostTaskEngine
    /// Agent state directory: written into each task's runtime directory as its owner, so a
    /// restarted agent recognises its own tasks (and only those) when it sweeps orphans.
    public let owner: String
    let log: @Sendable (String) -> Void
    let lock = NSLock()
    /// The task metadata endpoint (`berth agent`); nil = tasks get none.
    public var metadata: TaskMetadataEndpoints? {
        get { lock.withLock { metadataEndpoints } }
        set { lock.withLock { metadataEndpoints = newValue } }
    }
    private var metadataEndpoints: TaskMetadataEndpoints?
    /// Service discovery inside tasks (`berth agent`); nil = tasks resolve through the host's nameservers.
    public var discovery: TaskDiscoveryNetwork? {
        get { lock.withLock { discoveryNetwork } }
        set { lock.withLock { discoveryNetwork = newValue } }
    }
    private var discoveryNetwork: TaskDiscoveryNetwork?
    /// Per task: the plan, when the engine accepted it, and container facts from the definition.
    var known: [String: Known] = [:]

    struct Known {
        var plan: TaskLaunchPlan
        var launchedAt: Double
        var readyAt: Double
        var checked: Set<String>
        var bindings: [String: [NetworkBinding]]
        /// awsvpc: the task's own address (`TaskHost.awsvpcAddress`), its ENI's private IPv4 in ECS.
        var address: String?
        /// Per container: ECS's imageDigest (`ProvisionedImages.imageDigest`).
        var digests: [String: String] = [:]
        /// The snapshot version last returned by `observe()`.
        var reportedVersion = -1
        /// When the task's first pull started and its last ended; nil when nothing was pulled.
        var pullStartedAt: Double?
        var pullStoppedAt: Double?
        var phase: Phase = .launched
        /// A stop that arrived while the engine was starting the task, carried out right after.
        var stopIntent: StopIntent?
    }

    /// Where a task is before the engine runs it (see HostEngineAdapter+Pull.swift).
    enum Phase: Equatable {
        /// Its images are being pulled (on the task's own thread); the task shows PENDING.
        case pulling
        /// Pulled; the engine is preparing and starting it.
        case launching
        /// The engine runs it and reports it.
        case launched
        /// It never reached the engine: this is its final observation.
        case failed(TaskObservation)
    }

    public init(engine: HostTaskEngine, owner: String, log: @escaping @Sendable (String) -> Void = { printErrLine("berth agent: " + $0) }) {
        self.engine = engine
        self.owner = owner
        self.log = log
    }

    /// The real engine with its usual neighbours: cgroup driver for this host, the Linux
    /// runtime under `runRoot`, the image store, and `berth-reaper` next to the executable.
    /// `imageSource`: the registry and pull policy (nil: the store only, as before pulls existed).
    public static func make(runRoot: String, dataRoot: String, imagesRoot: String, owner: String,
                            pidsLimit: Int64 = PidsLimit.defaultLimit, imageSource: TaskImageSource? = nil,
                            secrets: SecretResolver? = nil, awslogsRegion: String? = nil) throws -> HostEngineAdapter {
        let cgroups = try Cgroups.driver()
        let runtime = LinuxRuntime(root: runRoot, cgroups: cgroups)
        let reaper = (runtime.berthPath as NSString).deletingLastPathComponent + "/berth-reaper"
        let store = ImageStore(root: imagesRoot)
        let engine = HostTaskEngine(runRoot: runRoot, dataRoot: dataRoot, images: store, cgroups: cgroups,
                                    runtime: runtime, initBinary: Files.exists(reaper) ? reaper : nil, pidsLimit: pidsLimit,
                                    imageSource: imageSource, secrets: secrets, awslogsRegion: awslogsRegion)
        return HostEngineAdapter(engine: engine, owner: owner)
    }

    // MARK: decoding

    /// The BerthECS model of the definition the agent stored (normalised, as registered).
    static func decode(_ plan: TaskLaunchPlan) throws -> TaskDefinitionInput {
        let report = ECSValidation.validateTaskDefinition(plan.taskDefinition)
        if let e = report.syntaxError { throw EngineError(.invalidTaskDefinition, "task definition: invalid JSON: \(e.message)", cause: e) }
        if let first = report.errors.first {
            throw EngineError(.invalidTaskDefinition,
                              "ClientException: \(first)" + (report.errors.count > 1 ? " (and \(report.errors.count - 1) more problems)" : ""))
        }
        guard let td = report.definition else { throw EngineError(.invalidTaskDefinition, "ClientException: the task definition could not be decoded") }
        return td
    }

    static func facts(_ td: TaskDefinitionInput) -> (checked: Set<String>, bindings: [String: [NetworkBinding]]) {
        var checked = Set<String>()
        var bindings: [String: [NetworkBinding]] = [:]
        for c in td.containers {
            let name = c.name ?? ""
            if c.healthCheck != nil { checked.insert(name) }
            // bridge/awsvpc ports are published by the engine (it reports them in the snapshot);
            // with host networking the container's own ports are the host's.
            guard td.effectiveNetworkMode == .host else { continue }
            bindings[name] = (c.portMappings ?? []).compactMap { m in
                guard let port = m.containerPort else { return nil }
                return NetworkBinding(bindIP: "0.0.0.0", containerPort: port, hostPort: m.hostPort ?? port,
                                      protocol: m.protocol?.rawValue ?? "tcp")
            }
        }
        return (checked, bindings)
    }

    static func address(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput) -> String? {
        td.effectiveNetworkMode == .awsvpc ? TaskHost.awsvpcAddress(taskId: plan.taskId) : nil
    }

    func layout(_ taskId: String) -> TaskLayout { TaskLayout(taskId: taskId, runRoot: engine.runRoot, dataRoot: engine.dataRoot) }

    static func now() -> Double { wallClockNow() }

    // MARK: TaskEngine

    /// Without a registry the task's images are resolved in the store and the task started here
    /// (an error is thrown at once); with one, the images are pulled on the task's own thread
    /// while the task shows PENDING, so neither RunTask nor any other call waits for a registry.
    public func launch(_ plan: TaskLaunchPlan) throws {
        let td = try Self.decode(plan)
        guard engine.imageSource.coordinator != nil else { return try launchNow(plan, td) }
        startPulling(plan, td)
    }

    func launchNow(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput) throws {
        let started = Self.now()
        let secrets: TaskSecrets
        do { secrets = try engine.resolveSecrets(td, overrides: plan.overrides) } catch { throw Self.engineError(error) }
        try startInEngine(plan, td, images: nil, secrets: secrets)
        markOwned(plan.taskId)
        let (checked, bindings) = Self.facts(td)
        lock.withLock {
            known[plan.taskArn] = Known(plan: plan, launchedAt: started, readyAt: Self.now(), checked: checked, bindings: bindings,
                                        address: Self.address(plan, td), digests: digests(td))
        }
    }

    /// `engine.launch` with the agent's event log; errors as the agent's `EngineError`.
    func startInEngine(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput, images: ProvisionedImages?, secrets: TaskSecrets) throws {
        let log = self.log, arn = plan.taskArn
        let metadata = self.metadata, discovery = self.discovery
        do {
            try engine.launch(key: plan.taskArn, taskId: plan.taskId, taskDefinition: td, overrides: plan.overrides, images: images,
                              secrets: secrets,
                              environment: metadata?.environment(plan, td) ?? [:],
                              nameserver: discovery?.nameserver(networkMode: td.effectiveNetworkMode),
                              networkReady: { host in
                                  try metadata?.open(arn, host: host)
                                  do { try discovery?.open(arn, host: host) } catch {
                                      metadata?.close(arn)
                                      throw error
                                  }
                              }) { event in
                if event.isProblem { log("task \(arn): \(event)") }
            }
        } catch {
            throw Self.engineError(error)
        }
    }

    public func stop(taskArn: String, intent: StopIntent) {
        guard stopBeforeLaunch(taskArn, intent) else { return }
        engine.stop(key: taskArn, code: intent.code, reason: intent.reason)
    }

    /// Tasks whose snapshot changed since the last call (the agent merges idempotently, so an
    /// unchanged task need not be reported again; an idle agent with many tasks stays idle), and
    /// every task the engine does not run yet: pulling (PENDING) or stopped before it got there.
    public func observe() -> [TaskObservation] {
        let snapshots = engine.snapshots()
        if let metadata = self.metadata {
            for (arn, s) in snapshots where s.lastStatus == .stopped { metadata.close(arn) }
        }
        if let discovery = self.discovery {
            for (arn, s) in snapshots where s.lastStatus == .stopped { discovery.close(arn) }
        }
        return lock.withLock {
            snapshots.compactMap { key, s -> TaskObservation? in
                guard var k = known[key], k.reportedVersion != s.version else { return nil }
                k.reportedVersion = s.version
                known[key] = k
                return Self.observation(s, k)
            } + known.filter { snapshots[$0.key] == nil }.values.compactMap { Self.preLaunchObservation($0) }
        }
    }

    public func adopt(_ plan: TaskLaunchPlan, stop: StopIntent?) -> TaskObservation? {
        guard let td = try? Self.decode(plan) else {
            log("task \(plan.taskArn): its stored definition no longer decodes; cleaning it up")
            discard(plan.taskId)
            return nil
        }
        let log = self.log, arn = plan.taskArn
        let order = stop.map { (code: $0.code, reason: $0.reason) }
        guard let snapshot = engine.adopt(key: plan.taskArn, taskId: plan.taskId, taskDefinition: td, overrides: plan.overrides,
                                          stop: order, onEvent: { event in
            if event.isProblem { log("task \(arn): \(event)") }
        }) else {
            let l = layout(plan.taskId)
            if !Files.exists(l.taskDir), Files.exists(pullMarker(plan.taskId)), engine.imageSource.coordinator != nil {
                return resumePulling(plan, td, stop: stop)
            }
            if Files.exists(l.taskDir) {
                log("task \(plan.taskArn): its runtime record is missing or unreadable; stopping what is left of it")
                setAside(l.recordPath)
                discard(plan.taskId)
            } else if let final = TaskRunner.finalRecord(l), final.lastStatus == .stopped {
                // It ended (and was cleaned up) just before the agent went down.
                return Self.observation(final, known(plan, td, final))
            }
            return nil
        }
        let k = known(plan, td, snapshot)
        lock.withLock { known[plan.taskArn] = k }
        if snapshot.lastStatus != .stopped, let metadata = self.metadata {
            var host = TaskHost(layout: layout(plan.taskId), networkMode: td.effectiveNetworkMode, cgroups: nil)
            host.ports = []
            do { try metadata.open(plan.taskArn, host: host) } catch { log("task \(plan.taskArn): \(error)") }
        }
        if snapshot.lastStatus != .stopped, let discovery = self.discovery {
            var host = TaskHost(layout: layout(plan.taskId), networkMode: td.effectiveNetworkMode, cgroups: nil)
            host.ports = PublishedPort.from(plan.overrides.map(td.applying) ?? td)
            do { try discovery.open(plan.taskArn, host: host) } catch { log("task \(plan.taskArn): \(error)") }
        }
        return Self.observation(snapshot, k)
    }

    func known(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput, _ s: TaskSnapshot) -> Known {
        let (checked, bindings) = Self.facts(td)
        return Known(plan: plan, launchedAt: s.createdAt, readyAt: s.createdAt, checked: checked, bindings: bindings,
                     address: Self.address(plan, td), digests: digests(td))
    }

    /// imageDigest per container, of the images in the store now.
    func digests(_ td: TaskDefinitionInput) -> [String: String] {
        var out: [String: String] = [:]
        for c in td.containers {
            if let name = c.name, let image = c.image, let record = try? engine.images.resolve(image).record {
                out[name] = ProvisionedImages.imageDigest(record)
            }
        }
        return out
    }

    public func release(taskArn: String) {
        metadata?.close(taskArn)
        discovery?.close(taskArn)
        engine.release(key: taskArn)
        lock.withLock { _ = known.removeValue(forKey: taskArn) }
        guard let id = Self.taskId(taskArn) else { return }
        // Also for tasks that stopped before an agent restart (the engine never saw them again).
        let l = layout(id)
        if Files.exists(l.taskDir) { discard(id) }
        try? Files.removeTree(l.dataDir)
    }

    public func logs(taskArn: String, container: String?, since: Double?, limit: Int) throws -> [LogEvent] {
        guard let id = Self.taskId(taskArn) else { throw EngineError(.notFound, "\(taskArn) is not a task ARN") }
        let l = layout(id)
        let names = try logContainers(l, only: container)
        let follower = LogFollower(names.flatMap { [($0, l.stdoutLog($0)), ($0, l.stderrLog($0))] })
        var events: [LogEvent] = []
        // Timestamps travel as epoch seconds with millisecond precision: compare at that precision,
        // or a follower passing back the last timestamp it saw would get that line again.
        let after = since.map { ($0 * 1000).rounded() }
        for line in follower.poll() {
            let t = UTC.parseRFC3339(line.time) ?? 0
            if let after, (t * 1000).rounded() <= after { continue }
            events.append(LogEvent(timestamp: t, container: line.container, stream: line.stream, message: line.text))
            if events.count >= limit { break }
        }
        return events
    }

    func logContainers(_ l: TaskLayout, only: String?) throws -> [String] {
        if let only { return [only] }
        if let k = lock.withLock({ known.values.first { $0.plan.taskId == l.taskId } }) { return k.plan.containerNames }
        guard let files = try? Files.list(l.dataDir + "/logs") else { throw EngineError(.notFound, "no logs are kept for task \(l.taskId)") }
        return Array(Set(files.compactMap { f -> String? in
            for suffix in [".stdout.log", ".stderr.log"] where f.hasSuffix(suffix) { return String(f.dropLast(suffix.count)) }
            return nil
        })).sorted()
    }

    public func stats(taskArn: String) throws -> TaskStats {
        let rows: [(name: String, stats: CgroupStats)]
        do { rows = try engine.stats(key: taskArn) } catch { throw Self.engineError(error) }
        let hostNetworking = lock.withLock({ known[taskArn]?.plan.taskDefinition })?["networkMode"]?.stringValue == "host"
        return Self.taskStats(rows: rows, taskCgroup: Self.taskId(taskArn).map { layout($0).cgroupParent }, cgroups: engine.cgroups,
                              detail: engine.cgroupDetail(key: taskArn), procNetDev: engine.networkCounters(key: taskArn),
                              hostNetworking: hostNetworking, pidsLimit: engine.pidsLimit)
    }

    /// The metadata endpoint's stats of one task from its cgroups (the agent's tasks and `berth run`'s).
    static func taskStats(rows: [(name: String, stats: CgroupStats)], taskCgroup: String?, cgroups: any CgroupDriver,
                          detail: [String: CgroupDetail], procNetDev: String?, hostNetworking: Bool, pidsLimit: Int64) -> TaskStats {
        // A container is bounded by its own limit and by the task's (the parent group).
        let taskLimit = taskCgroup.flatMap { (try? CgroupPath($0)).flatMap { try? cgroups.stats($0).memoryLimit } }
        var stats = TaskStats(timestamp: Self.now(), containers: rows.map { r in
            let limits = [r.stats.memoryLimit, taskLimit].compactMap { $0 }.filter { $0 < 1 << 60 }  // v1 "no limit" is ~LONG_MAX
            var c = ContainerStats(name: r.name, cpuUsageNanos: r.stats.cpuUsageNanos, memoryBytes: r.stats.memoryCurrent,
                                   memoryLimitBytes: limits.min(), pids: Int(r.stats.pidsCurrent))
            c.cpuPeriods = r.stats.cpuPeriods
            c.cpuThrottledPeriods = r.stats.cpuThrottledPeriods
            c.cpuThrottledNanos = r.stats.cpuThrottledNanos
            c.memoryPeakBytes = r.stats.memoryPeak
            c.pidsLimit = pidsLimit > 0 ? UInt64(pidsLimit) : nil
            if let d = detail[r.name] {
                c.memoryDetail = d.memoryStat
                c.cpuUserNanos = d.userNanos
                c.cpuSystemNanos = d.systemNanos
            }
            return c
        })
        if let text = procNetDev, !hostNetworking {
            stats.networks = NetworkCounters.parse(procNetDev: text).filter { $0.name != "lo" }
            if stats.networks.isEmpty { stats.networks = NetworkCounters.parse(procNetDev: text) }
        }
        (stats.systemCpuNanos, stats.onlineCpus) = Self.hostCPU()
        stats.hostMemoryBytes = UInt64(sysconf(Int32(_SC_PHYS_PAGES))) &* UInt64(sysconf(Int32(_SC_PAGESIZE)))
        return stats
    }

    /// Docker's `system_cpu_usage` (the host's CPU time in ns, from /proc/stat) and online CPUs.
    static func hostCPU() -> (UInt64?, Int?) {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard let text = try? Files.read("/proc/stat"), let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return (nil, online) }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }.reduce(0, +)
        let hz = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return (ticks * (1_000_000_000 / hz), online)
    }

    public func exec(taskArn: String, container: String, command: [String], timeoutSeconds: Double) throws -> BerthAgent.ExecResult {
        let r: BerthRuntime.ExecResult
        do { r = try engine.exec(key: taskArn, container: container, command: command, timeout: timeoutSeconds) } catch {
            throw Self.engineError(error)
        }
        var stderr = String(decoding: r.stderr, as: UTF8.self)
        if r.timedOut { stderr += "berth: command killed after its timeout of \(Int(timeoutSeconds))s\n" }
        return BerthAgent.ExecResult(exitCode: Int(r.exitCode), stdout: String(decoding: r.stdout, as: UTF8.self), stderr: stderr)
    }

    public func execTarget(taskArn: String, container: String) throws -> ExecTarget {
        guard let runtime = engine.runtime as? LinuxRuntime else { throw EngineError(.notFound, "exec: the engine's runtime is not the Linux runtime") }
        do {
            return ExecTarget(runtimeRoot: runtime.root, runtimeId: try engine.runningContainer(key: taskArn, container: container))
        } catch { throw Self.engineError(error) }
    }

    // MARK: mapping

    static func observation(_ s: TaskSnapshot, _ k: Known) -> TaskObservation {
        var o = TaskObservation(taskArn: k.plan.taskArn, lastStatus: s.lastStatus)
        o.containers = s.containers.map { c in
            var observed = ContainerObservation(name: c.name, lastStatus: c.lastStatus, exitCode: c.exitCode.map(Int.init), reason: c.reason,
                                 healthStatus: k.checked.contains(c.name) ? c.healthStatus : nil,
                                 runtimeId: c.startedAt == nil ? nil : c.runtimeId, imageDigest: k.digests[c.name],
                                 networkBindings: c.lastStatus == .running ? bindings(c, k) : [])
            observed.privateIPv4Address = k.address
            return observed
        }
        o.healthStatus = s.healthStatus
        // As ECS: set only when an image was pulled (a cached image leaves both unset).
        o.pullStartedAt = k.pullStartedAt
        o.pullStoppedAt = k.pullStoppedAt
        o.connectivityAt = k.readyAt
        o.startedAt = s.startedAt
        o.stoppingAt = s.stoppingAt
        o.executionStoppedAt = s.executionStoppedAt
        o.stoppedAt = s.stoppedAt
        o.stopCode = s.stopCode
        o.stoppedReason = s.stoppedReason
        return o
    }

    static func bindings(_ c: ContainerSnapshot, _ k: Known) -> [NetworkBinding] {
        guard let published = c.networkBindings, !published.isEmpty else { return k.bindings[c.name] ?? [] }
        return published.map { NetworkBinding(bindIP: $0.bindIP, containerPort: $0.containerPort, hostPort: $0.hostPort, protocol: $0.protocol) }
    }

    /// The task id at the end of a task ARN (`.../task/<cluster>/<id>`), or a bare id.
    static func taskId(_ arn: String) -> String? {
        guard let last = arn.split(separator: "/").last, !last.isEmpty,
              last.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return String(last)
    }
}

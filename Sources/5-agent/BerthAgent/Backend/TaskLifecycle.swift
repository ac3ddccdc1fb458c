import BerthECS
import BerthJSON

/// How engine reports move the agent's Task objects: forward-only through the ECS states
/// (§4.1), timestamps set once, stopCode set once, `version` +1 per visible change.
enum TaskLifecycle {
    /// Apply an observation to a Task; returns whether anything changed (`version` is then +1).
    static func apply(_ o: TaskObservation, to task: inout ECSTask, plan: TaskLaunchPlan) -> Bool {
        let before = task
        task.lastStatus = max(task.lastStatus, o.lastStatus)
        setOnce(&task.connectivityAt, o.connectivityAt)
        setOnce(&task.pullStartedAt, o.pullStartedAt)
        setOnce(&task.pullStoppedAt, o.pullStoppedAt)
        setOnce(&task.startedAt, o.startedAt)
        setOnce(&task.stoppingAt, o.stoppingAt)
        setOnce(&task.executionStoppedAt, o.executionStoppedAt)
        setOnce(&task.stoppedAt, o.stoppedAt)
        if task.connectivityAt != nil, task.connectivity == nil { task.connectivity = .connected }
        if task.stopCode == nil, let code = o.stopCode {
            task.stopCode = code
            if let reason = o.stoppedReason { task.stoppedReason = String(reason.prefix(1024)) }
        }
        if o.lastStatus == .stopped || o.stoppingAt != nil { task.desiredStatus = .stopped }
        for i in task.containers.indices {
            guard let c = o.containers.first(where: { $0.name == task.containers[i].name }) else { continue }
            merge(c, into: &task.containers[i])
        }
        task.healthStatus = o.healthStatus ?? derivedHealth(task.containers, plan: plan)
        guard task != before else { return false }
        task.version += 1
        return true
    }

    /// A stop the agent acknowledges (StopTask, the service scheduler): desired STOPPED,
    /// stopCode and reason set once, stoppingAt set once, version +1.
    static func stopRequested(_ task: ECSTask, code: StopCode, reason: String, at now: Double) -> ECSTask {
        var t = task
        t.desiredStatus = .stopped
        if t.stopCode == nil {
            t.stopCode = code
            t.stoppedReason = String(reason.prefix(1024))
        }
        setOnce(&t.stoppingAt, now)
        t.version += 1
        return t
    }

    /// A task the engine no longer has after an agent restart: STOPPED now, with every container.
    static func lost(_ task: ECSTask, at now: Double) -> ECSTask {
        var t = task
        t.desiredStatus = .stopped
        t.lastStatus = .stopped
        setOnce(&t.stoppingAt, now)
        setOnce(&t.executionStoppedAt, now)
        t.stoppedAt = now
        if t.stopCode == nil {
            t.stopCode = t.startedAt == nil ? .taskFailedToStart : .terminationNotice
            t.stoppedReason = "Task was not found on the host when the agent restarted"
        }
        for i in t.containers.indices { t.containers[i].lastStatus = .stopped }
        t.version += 1
        return t
    }

    static func setOnce(_ field: inout Double?, _ value: Double?) {
        if field == nil { field = value }
    }

    /// Containers follow the engine (a restart policy may take one from STOPPED back to
    /// RUNNING); the latest exit code and reason are shown, as ECS does.
    static func merge(_ c: ContainerObservation, into container: inout ECSContainer) {
        container.lastStatus = c.lastStatus
        if let code = c.exitCode { container.exitCode = code }
        if let reason = c.reason { container.reason = String(reason.prefix(1024)) }
        if let id = c.runtimeId { container.runtimeId = id }
        if let digest = c.imageDigest { container.imageDigest = digest }
        if let h = c.healthStatus { container.healthStatus = h }
        if !c.networkBindings.isEmpty { container.networkBindings = c.networkBindings }
        if let ip = c.privateIPv4Address { container.networkInterfaces = [["privateIpv4Address": .string(ip)]] }
    }

    /// Task health from essential containers with a health check (§2.3): any UNHEALTHY ⇒
    /// UNHEALTHY; any UNKNOWN (or none checked) ⇒ UNKNOWN; else HEALTHY.
    static func derivedHealth(_ containers: [ECSContainer], plan: TaskLaunchPlan) -> HealthStatus {
        let defs = plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let checked = Set(defs.filter { ($0["essential"]?.boolValue ?? true) && $0["healthCheck"] != nil }.compactMap { $0["name"]?.stringValue })
        let statuses = containers.filter { checked.contains($0.name) }.map(\.healthStatus)
        if statuses.contains(.unhealthy) { return .unhealthy }
        if statuses.isEmpty || statuses.contains(.unknown) { return .unknown }
        return .healthy
    }
}

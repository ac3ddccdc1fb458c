import BerthJSON

/// How engine reports move the agent's Task objects: forward-only through the ECS states
/// (§4.1), timestamps set once, stopCode set once, `version` +1 per visible change.
enum TaskLifecycle {
    static let order = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]

    static func rank(_ status: String) -> Int { order.firstIndex(of: status) ?? 0 }

    /// Apply an observation to a Task JSON; returns whether anything changed.
    static func apply(_ o: TaskObservation, to task: inout JSONValue, plan: TaskLaunchPlan) -> Bool {
        let before = task
        let current = task["lastStatus"]?.stringValue ?? "PROVISIONING"
        if rank(o.lastStatus) > rank(current) { task["lastStatus"] = .string(o.lastStatus) }
        let timestamps: [(String, Double?)] = [
            ("connectivityAt", o.connectivityAt), ("pullStartedAt", o.pullStartedAt), ("pullStoppedAt", o.pullStoppedAt),
            ("startedAt", o.startedAt), ("stoppingAt", o.stoppingAt), ("executionStoppedAt", o.executionStoppedAt), ("stoppedAt", o.stoppedAt),
        ]
        for (key, value) in timestamps where task[key] == nil {
            if let value { task[key] = .timestamp(value) }
        }
        if task["connectivityAt"] != nil, task["connectivity"] == nil { task["connectivity"] = "CONNECTED" }
        if task["stopCode"] == nil, let code = o.stopCode {
            task["stopCode"] = .string(code)
            if let reason = o.stoppedReason { task["stoppedReason"] = .string(String(reason.prefix(1024))) }
        }
        if o.lastStatus == "STOPPED" || o.stoppingAt != nil {
            task["desiredStatus"] = "STOPPED"
        }
        var containers = task["containers"]?.arrayValue ?? []
        for i in containers.indices {
            guard let name = containers[i]["name"]?.stringValue, let c = o.containers.first(where: { $0.name == name }) else { continue }
            // Containers follow the engine (a restart policy may take one from STOPPED back to
            // RUNNING); the latest exit code and reason are shown, as ECS does.
            containers[i]["lastStatus"] = .string(c.lastStatus)
            if let code = c.exitCode { containers[i]["exitCode"] = .int(code) }
            if let reason = c.reason { containers[i]["reason"] = .string(String(reason.prefix(1024))) }
            if let id = c.runtimeId { containers[i]["runtimeId"] = .string(id) }
            if let digest = c.imageDigest { containers[i]["imageDigest"] = .string(digest) }
            if let h = c.healthStatus { containers[i]["healthStatus"] = .string(h) }
            if !c.networkBindings.isEmpty {
                containers[i]["networkBindings"] = .array(c.networkBindings.map {
                    ["bindIP": .string($0.bindIP), "containerPort": .int($0.containerPort), "hostPort": .int($0.hostPort), "protocol": .string($0.protocol)]
                })
            }
        }
        task["containers"] = .array(containers)
        task["healthStatus"] = .string(o.healthStatus ?? derivedHealth(containers, plan: plan))
        return task != before
    }

    /// Task health from essential containers with a health check (§2.3): any UNHEALTHY ⇒
    /// UNHEALTHY; any UNKNOWN (or none checked) ⇒ UNKNOWN; else HEALTHY.
    static func derivedHealth(_ containers: [JSONValue], plan: TaskLaunchPlan) -> String {
        let defs = plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let checked = Set(defs.filter { ($0["essential"]?.boolValue ?? true) && $0["healthCheck"] != nil }.compactMap { $0["name"]?.stringValue })
        let statuses = containers.filter { checked.contains($0["name"]?.stringValue ?? "") }.map { $0["healthStatus"]?.stringValue ?? "UNKNOWN" }
        if statuses.contains("UNHEALTHY") { return "UNHEALTHY" }
        if statuses.isEmpty || statuses.contains("UNKNOWN") { return "UNKNOWN" }
        return "HEALTHY"
    }
}

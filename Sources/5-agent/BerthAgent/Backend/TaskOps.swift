import BerthJSON
import Foundation

/// RunTask, StopTask, DescribeTasks, ListTasks, plus merging engine reports and retention.
extension ECSBackend {
    static let launchTypes = ["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]

    func runTask(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        let td = try lookupTaskDefinition(try p.requiredString("taskDefinition"))
        guard td.status == "ACTIVE" else { throw .client("TaskDefinition is inactive") }
        let count = try p.int("count") ?? 1
        guard (1...10).contains(count) else { throw .invalidParameter("count must be between 1 and 10.") }
        let startedBy = try p.string("startedBy")
        if let startedBy {
            guard startedBy.count <= 128, startedBy.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_/".contains($0)) }) else {
                throw .invalidParameter("startedBy must be up to 128 letters, numbers, hyphens, underscores and forward slashes.")
            }
        }
        let group = try p.string("group") ?? "family:\(td.family)"
        guard !group.isEmpty, group.count <= 255 else { throw .invalidParameter("group must be 1-255 characters.") }
        let launchType = try p.string("launchType")
        if let launchType, !Self.launchTypes.contains(launchType) { throw .invalidParameter("Invalid launchType '\(launchType)'.") }
        let compatible = (td.taskDefinition["compatibilities"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let launchType, launchType != "MANAGED_INSTANCES", !compatible.contains(launchType) {
            throw .client("Task definition does not support launch_type \(launchType).")
        }
        let propagate = try p.string("propagateTags")
        if propagate == "SERVICE" {
            throw .invalidParameter("The 'SERVICE' option for propagateTags is not supported for RunTask: the task is not part of a service.")
        }
        if let propagate, propagate != "TASK_DEFINITION", propagate != "NONE" { throw .invalidParameter("Invalid propagateTags '\(propagate)'.") }
        _ = try p.object("networkConfiguration")
        _ = try p.bool("enableExecuteCommand")
        _ = try p.list("capacityProviderStrategy")
        var tags = try p.tags() ?? []
        if propagate == "TASK_DEFINITION" {
            for t in td.tags where !tags.contains(where: { $0.0 == t.0 }) { tags.append(t) }
        }
        let clientToken = try p.string("clientToken")
        if let clientToken {
            guard (1...64).contains(clientToken.count), clientToken.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 }) else {
                throw .invalidParameter("clientToken must be 1-64 printable ASCII characters.")
            }
            let earlier = tasks.values.filter { $0.clientToken == clientToken }.sorted { $0.id < $1.id }
            if !earlier.isEmpty { return ["tasks": .array(earlier.map { describe($0, includeTags: true) }), "failures": []] }
        }
        let overrides = try p.object("overrides")
        let effective = try applyOverrides(td.taskDefinition, overrides)
        if let o = overrides, o.json.serializedBytes().count > 8192 { throw .invalidParameter("overrides must be at most 8192 characters of JSON.") }
        let resolvedLaunch = launchType ?? ((td.taskDefinition["requiresCompatibilities"]?.arrayValue ?? []).contains("FARGATE") ? "FARGATE" : "EC2")
        var created: [JSONValue] = []
        for _ in 0..<count {
            let id = Ident.taskId()
            let arn = arns.task(cluster: cluster.name, id: id)
            let plan = TaskLaunchPlan(taskArn: arn, taskId: id, clusterName: cluster.name, clusterArn: arns.cluster(cluster.name),
                                taskDefinitionArn: td.arn, taskDefinition: effective, overrides: overrides?.json ?? [:],
                                region: config.region, accountId: config.accountId)
            let task = initialTask(plan: plan, td: td.taskDefinition, overrides: overrides, startedBy: startedBy, group: group,
                                   launchType: resolvedLaunch)
            let record = TaskRecord(task: task, plan: plan, tags: tags, clientToken: clientToken)
            tasks[id] = record
            persist(task: record)
            created.append(describe(record, includeTags: true))
            deferred.append { [self] in launch(plan) }
        }
        return ["tasks": .array(created), "failures": []]
    }

    /// The definition the engine runs: containerOverrides and task cpu/memory applied.
    func applyOverrides(_ td: JSONValue, _ overrides: Params?) throws(APIError) -> JSONValue {
        guard let overrides else { return td }
        var out = td
        var containers = td["containerDefinitions"]?.arrayValue ?? []
        for o in try overrides.objects("containerOverrides") ?? [] {
            let name = try o.string("name") ?? ""
            guard let i = containers.firstIndex(where: { $0["name"]?.stringValue == name }) else {
                throw .invalidParameter("Override for container named \(name) is not a container in the TaskDefinition.")
            }
            if let command = try o.stringList("command") { containers[i]["command"] = .array(command.map(JSONValue.string)) }
            if let env = try o.objects("environment") {
                var merged = containers[i]["environment"]?.arrayValue ?? []
                for e in env {
                    let key = try e.string("name") ?? ""
                    let value = try e.string("value") ?? ""
                    merged.removeAll { $0["name"]?.stringValue == key }
                    merged.append(["name": .string(key), "value": .string(value)])
                }
                containers[i]["environment"] = .array(merged)
            }
            for key in ["cpu", "memory", "memoryReservation"] {
                if let v = try o.int(key) { containers[i][key] = .int(v) }
            }
            if let files = try o.list("environmentFiles") { containers[i]["environmentFiles"] = .array(files) }
            if let rr = try o.list("resourceRequirements") { containers[i]["resourceRequirements"] = .array(rr) }
        }
        out["containerDefinitions"] = .array(containers)
        if let cpu = try overrides.string("cpu") { out["cpu"] = .string(try ECSModelValidator.cpu(cpu, field: "overrides.cpu")) }
        if let memory = try overrides.string("memory") { out["memory"] = .string(try ECSModelValidator.memory(memory, field: "overrides.memory")) }
        _ = try overrides.string("taskRoleArn")
        _ = try overrides.string("executionRoleArn")
        return out
    }

    func initialTask(plan: TaskLaunchPlan, td: JSONValue, overrides: Params?, startedBy: String?, group: String, launchType: String) -> JSONValue {
        let now = clock()
        let containers: [JSONValue] = (plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []).map { def in
            let name = def["name"]?.stringValue ?? ""
            return .obj([
                ("containerArn", .string(arns.container(cluster: plan.clusterName, taskId: plan.taskId, uuid: Ident.uuid()))),
                ("taskArn", .string(plan.taskArn)), ("name", .string(name)), ("image", def["image"]),
                ("lastStatus", "PENDING"), ("networkInterfaces", []), ("healthStatus", "UNKNOWN"),
                ("cpu", .string(String(def["cpu"]?.intValue ?? 0))),
                ("memory", def["memory"]?.intValue.map { .string(String($0)) }),
                ("memoryReservation", def["memoryReservation"]?.intValue.map { .string(String($0)) }),
            ])
        }
        var overrideJSON = overrides?.json ?? [:]
        if overrideJSON["containerOverrides"] == nil { overrideJSON["containerOverrides"] = .array(containers.map { ["name": $0["name"]!] }) }
        if overrideJSON["inferenceAcceleratorOverrides"] == nil { overrideJSON["inferenceAcceleratorOverrides"] = [] }
        let fargate = launchType == "FARGATE"
        return .obj([
            ("attachments", []), ("attributes", [["name": "ecs.cpu-architecture", "value": "x86_64"]]),
            ("availabilityZone", .string("\(config.region)a")), ("clusterArn", .string(plan.clusterArn)),
            ("containers", .array(containers)), ("cpu", plan.taskDefinition["cpu"]), ("createdAt", .timestamp(now)),
            ("desiredStatus", "RUNNING"), ("enableExecuteCommand", false), ("group", .string(group)), ("healthStatus", "UNKNOWN"),
            ("lastStatus", "PROVISIONING"), ("launchType", .string(launchType)), ("memory", plan.taskDefinition["memory"]),
            ("overrides", overrideJSON), ("platformVersion", fargate ? "1.4.0" : nil), ("platformFamily", fargate ? "Linux" : nil),
            ("startedBy", startedBy.map(JSONValue.string)), ("tags", []), ("taskArn", .string(plan.taskArn)),
            ("taskDefinitionArn", .string(plan.taskDefinitionArn)), ("version", 1),
            ("ephemeralStorage", fargate ? ["sizeInGiB": 20] : nil),
        ])
    }

    /// Hands a task to the engine (outside the lock). A refusal stops it as TaskFailedToStart.
    func launch(_ plan: TaskLaunchPlan) {
        do {
            try engine.launch(plan)
        } catch {
            lock.withLock {
                guard var r = tasks[plan.taskId] else { return }
                var o = TaskObservation(taskArn: plan.taskArn, lastStatus: "STOPPED",
                                        containers: plan.containerNames.map { ContainerObservation(name: $0, lastStatus: "STOPPED") })
                let now = clock()
                o.stoppingAt = now
                o.executionStoppedAt = now
                o.stoppedAt = now
                o.stopCode = "TaskFailedToStart"
                o.stoppedReason = "\(error)"
                if TaskLifecycle.apply(o, to: &r.task, plan: r.plan) { bumpVersion(&r) }
                tasks[r.id] = r
                persist(task: r)
            }
        }
    }

    func describe(_ r: TaskRecord, includeTags: Bool) -> JSONValue {
        var t = r.task
        t["tags"] = includeTags ? tagsJSON(r.tags) : nil
        return t
    }

    func bumpVersion(_ r: inout TaskRecord) {
        r.task["version"] = .int((r.task["version"]?.intValue ?? 0) + 1)
    }

    /// Find a task by id or ARN within a cluster.
    func findTask(_ ref: String, cluster: String) -> TaskRecord? {
        guard let (c, id) = arns.taskId(ref), let r = tasks[id], r.cluster == cluster, c == nil || c == cluster else { return nil }
        return r
    }

    func stopTask(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        let ref = try p.requiredString("task")
        let reason = try p.string("reason") ?? "Task stopped by user"
        guard reason.count <= 1024 else { throw .invalidParameter("reason must be at most 1024 characters.") }
        guard var r = findTask(ref, cluster: cluster.name) else { throw .invalidParameter("The referenced task was not found.") }
        if r.desiredStatus != "STOPPED" || (!r.stopSent && r.lastStatus != "STOPPED") {
            r.task["desiredStatus"] = "STOPPED"
            if r.task["stopCode"] == nil {
                r.task["stopCode"] = "UserInitiated"
                r.task["stoppedReason"] = .string(reason)
            }
            if r.task["stoppingAt"] == nil { r.task["stoppingAt"] = .timestamp(clock()) }
            r.stopSent = true
            bumpVersion(&r)
            tasks[r.id] = r
            persist(task: r)
            let arn = r.arn, intent = r.stopIntent ?? StopIntent(code: "UserInitiated", reason: reason)
            deferred.append { [self] in engine.stop(taskArn: arn, intent: intent) }
        }
        return ["task": describe(r, includeTags: false)]
    }

    func describeTasks(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        guard let refs = try p.stringList("tasks"), !refs.isEmpty else { throw .invalidParameter("Tasks cannot be empty.") }
        guard refs.count <= 100 else { throw .invalidParameter("At most 100 tasks can be described at once.") }
        let include = try p.stringList("include") ?? []
        var found: [JSONValue] = []
        var failures: [JSONValue] = []
        for ref in refs {
            if let r = findTask(ref, cluster: cluster.name) {
                found.append(describe(r, includeTags: include.contains("TAGS")))
            } else {
                let arn = ref.hasPrefix("arn:") ? ref : arns.task(cluster: cluster.name, id: ref)
                failures.append(["arn": .string(arn), "reason": "MISSING"])
            }
        }
        return ["tasks": .array(found), "failures": .array(failures)]
    }

    func listTasks(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        let family = try p.string("family")
        let startedBy = try p.string("startedBy")
        let serviceName = try p.string("serviceName")
        let desired = try p.string("desiredStatus") ?? "RUNNING"
        let launchType = try p.string("launchType")
        _ = try p.string("containerInstance")
        guard ["RUNNING", "PENDING", "STOPPED"].contains(desired) else { throw .invalidParameter("Invalid desiredStatus '\(desired)'.") }
        if let serviceName, findService(serviceName, cluster: cluster.name) == nil { throw APIError("ServiceNotFoundException", "Service not found.") }
        if startedBy != nil && (family != nil || serviceName != nil) {
            throw .invalidParameter("startedBy cannot be combined with the family or serviceName filters.")
        }
        var items = tasks.values.filter { r in
            guard r.cluster == cluster.name, r.desiredStatus == desired else { return false }
            if let family, r.plan.family != family { return false }
            if let startedBy, r.task["startedBy"]?.stringValue != startedBy { return false }
            if let serviceName, r.task["group"]?.stringValue != "service:\(serviceName)" { return false }
            if let launchType, r.task["launchType"]?.stringValue != launchType { return false }
            return true
        }
        let keyed = items.map { (created: $0.task["createdAt"]?.doubleValue ?? 0, id: $0.id, arn: $0.arn) }
            .sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        let (page, next) = try Pagination.page(keyed.map(\.arn), params: p, list: "tasks:\(cluster.name)")
        return .obj([("taskArns", .array(page.map(JSONValue.string))), ("nextToken", next.map(JSONValue.string))])
    }

    // MARK: engine reports and retention

    /// Merge the engine's current view into the task records (forward-only), persist changes.
    public func refreshFromEngine(maxAge: Double = 0) {
        if maxAge > 0 {
            let now = clock()
            let fresh = lock.withLock { () -> Bool in
                if abs(now - lastRefresh) < maxAge { return true }  // abs: the wall clock may step back
                lastRefresh = now
                return false
            }
            if fresh { return }
        }
        let observations = engine.observe()
        lock.withLock { for o in observations { merge(o) } }
    }

    func merge(_ o: TaskObservation) {
        // Most polls report nothing new: skip the JSON work for an unchanged observation.
        if lastObservations[o.taskArn] == o { return }
        lastObservations[o.taskArn] = o
        guard let (_, id) = arns.taskId(o.taskArn), var r = tasks[id], r.arn == o.taskArn else { return }
        if r.lastStatus == "STOPPED" { return }
        if TaskLifecycle.apply(o, to: &r.task, plan: r.plan) {
            bumpVersion(&r)
            tasks[id] = r
            persist(task: r)
            if r.task["group"]?.stringValue?.hasPrefix("service:") == true { serviceSignal.poke() }
        }
    }

    /// Drop stopped tasks older than the retention period (and their logs, via the engine).
    public func pruneStoppedTasks() {
        let cutoff = clock() - config.stoppedTaskRetention
        let expired: [TaskRecord] = lock.withLock {
            let old = tasks.values.filter { $0.lastStatus == "STOPPED" && ($0.task["stoppedAt"]?.doubleValue ?? 0) < cutoff }
            for r in old {
                tasks[r.id] = nil
                lastObservations[r.arn] = nil
                unsave("tasks", r.id)
            }
            pruneDeletedTaskDefinitions()
            return old
        }
        for r in expired { engine.release(taskArn: r.arn) }
    }
}

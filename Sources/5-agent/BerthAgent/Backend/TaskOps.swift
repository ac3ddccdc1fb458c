import BerthECS
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
        let overrides = try parseOverrides(p, definition: td.taskDefinition)
        let resolvedLaunch = launchType ?? Self.defaultLaunchType(td.taskDefinition)
        var created: [JSONValue] = []
        for _ in 0..<count {
            let id = Ident.taskId()
            let arn = arns.task(cluster: cluster.name, id: id)
            let plan = TaskLaunchPlan(taskArn: arn, taskId: id, clusterName: cluster.name, clusterArn: arns.cluster(cluster.name),
                                taskDefinitionArn: td.arn, taskDefinition: td.taskDefinition, overrides: overrides,
                                region: config.region, accountId: config.accountId)
            let task = initialTask(plan: plan, overrides: overrides, startedBy: startedBy, group: group, launchType: resolvedLaunch)
            let record = TaskRecord(task: task, plan: plan, tags: tags, clientToken: clientToken)
            tasks[id] = record
            persist(task: record)
            created.append(describe(record, includeTags: true))
            deferred.append { [self] in launch(plan) }
        }
        return ["tasks": .array(created), "failures": []]
    }

    /// RunTask's `overrides`, typed and checked against the definition: container names, task cpu
    /// and memory, and the definition's rules re-checked with the overrides applied
    /// (`TaskOverride.validate`). The engine applies them; the definition stays as registered.
    func parseOverrides(_ p: Params, definition td: JSONValue) throws(APIError) -> TaskOverride? {
        guard let raw = try p.object("overrides")?.json else { return nil }
        if raw.serializedBytes().count > 8192 { throw .invalidParameter("overrides must be at most 8192 characters of JSON.") }
        let diag = Diagnostics()
        let decoded = TaskOverride.decode(raw, at: .root / "overrides", diag)
        if let first = diag.problems.errors.first {
            // A member of the wrong JSON type is a SerializationException, as for every other member (Params).
            throw first.message.hasPrefix("invalid type") ? .serialization(first.apiMessage) : APIError(first.exception.rawValue, first.apiMessage)
        }
        guard let o = decoded else { throw .invalidParameter("overrides must be an object.") }
        if let cpu = o.cpu { _ = try ECSModelValidator.cpu(cpu, field: "overrides.cpu") }
        if let memory = o.memory { _ = try ECSModelValidator.memory(memory, field: "overrides.memory") }
        guard let definition = TaskDefinitionDocument.read(td).input else { throw .client("The task definition could not be read.") }
        if let first = o.validate(against: definition).errors.first { throw APIError(first.exception.rawValue, first.apiMessage) }
        return o
    }

    /// RunTask without a launchType: FARGATE when the definition requires it, else EC2.
    static func defaultLaunchType(_ taskDefinition: JSONValue) -> String {
        (taskDefinition["requiresCompatibilities"]?.arrayValue ?? []).contains("FARGATE") ? "FARGATE" : "EC2"
    }

    func initialTask(plan: TaskLaunchPlan, overrides: TaskOverride?, startedBy: String?, group: String, launchType: String) -> ECSTask {
        Self.initialTask(plan: plan, arns: arns, createdAt: clock(), overrides: overrides, startedBy: startedBy, group: group, launchType: launchType)
    }

    /// A new task's Task object as RunTask answers it (also `StandaloneTask`'s, for `berth run`).
    static func initialTask(plan: TaskLaunchPlan, arns: ARNFormat, createdAt: Double, overrides: TaskOverride?, startedBy: String?,
                            group: String, launchType: String) -> ECSTask {
        let defs = plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let containerOverrides = overrides?.containerOverrides ?? []
        let containers: [ECSContainer] = defs.map { def in
            let name = def["name"]?.stringValue ?? ""
            let o = containerOverrides.first { $0.name == name }
            var c = ECSContainer(containerArn: arns.container(cluster: plan.clusterName, taskId: plan.taskId, uuid: Ident.uuid()),
                                 taskArn: plan.taskArn, name: name, image: def["image"]?.stringValue)
            c.networkInterfaces = []
            c.cpu = String(o?.cpu ?? def["cpu"]?.intValue ?? 0)
            c.memory = (o?.memory ?? def["memory"]?.intValue).map { String($0) }
            c.memoryReservation = (o?.memoryReservation ?? def["memoryReservation"]?.intValue).map { String($0) }
            return c
        }
        var shown = overrides ?? TaskOverride()
        if shown.containerOverrides == nil { shown.containerOverrides = containers.map { ContainerOverride(name: $0.name) } }
        if shown.inferenceAcceleratorOverrides == nil { shown.inferenceAcceleratorOverrides = [] }
        let fargate = launchType == "FARGATE"
        var t = ECSTask(taskArn: plan.taskArn, clusterArn: plan.clusterArn, taskDefinitionArn: plan.taskDefinitionArn,
                        containers: containers, createdAt: createdAt)
        t.attachments = []
        t.attributes = [["name": "ecs.cpu-architecture", "value": "x86_64"]]
        t.availabilityZone = "\(arns.region)a"
        // Task cpu/memory overrides are shown as ECS stores them (integer strings); parseOverrides checked them.
        t.cpu = overrides?.cpu.flatMap { try? ECSModelValidator.cpu($0, field: "overrides.cpu") } ?? plan.taskDefinition["cpu"]?.stringValue
        t.memory = overrides?.memory.flatMap { try? ECSModelValidator.memory($0, field: "overrides.memory") } ?? plan.taskDefinition["memory"]?.stringValue
        t.group = group
        t.launchType = launchType
        t.overrides = shown
        t.platformVersion = fargate ? "1.4.0" : nil
        t.platformFamily = fargate ? "Linux" : nil
        t.startedBy = startedBy
        t.ephemeralStorage = fargate ? EphemeralStorage(sizeInGiB: 20) : nil
        return t
    }

    /// Hands a task to the engine (outside the lock). A refusal stops it as TaskFailedToStart.
    func launch(_ plan: TaskLaunchPlan) {
        do {
            try engine.launch(plan)
        } catch {
            lock.withLock {
                guard var r = tasks[plan.taskId] else { return }
                var o = TaskObservation(taskArn: plan.taskArn, lastStatus: .stopped,
                                        containers: plan.containerNames.map { ContainerObservation(name: $0, lastStatus: .stopped) })
                let now = clock()
                o.stoppingAt = now
                o.executionStoppedAt = now
                o.stoppedAt = now
                o.stopCode = .taskFailedToStart
                o.stoppedReason = "\(error)"
                _ = TaskLifecycle.apply(o, to: &r.task, plan: r.plan)
                tasks[r.id] = r
                persist(task: r)
            }
        }
    }

    func describe(_ r: TaskRecord, includeTags: Bool) -> JSONValue {
        guard includeTags else { return r.taskJSON }
        var t = r.taskJSON
        t["tags"] = tagsJSON(r.tags)
        return t
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
        if r.drainUntil != nil && !r.stopSent {
            // Already deregistered and draining: the service loop stops it when the delay is over.
        } else if !r.registeredTargets.isEmpty && r.lastStatus == .running {
            // Behind a load balancer, as in ECS: deregister and drain first (the service loop).
            r.task = TaskLifecycle.stopRequested(r.task, code: .userInitiated, reason: reason, at: clock())
            tasks[r.id] = r
            persist(task: r)
            serviceSignal.poke()
        } else if r.desiredStatus != .stopped || (!r.stopSent && r.lastStatus != .stopped) {
            r.task = TaskLifecycle.stopRequested(r.task, code: .userInitiated, reason: reason, at: clock())
            r.stopSent = true
            tasks[r.id] = r
            persist(task: r)
            syncDiscovery()  // a service task leaves Cloud Map before it is stopped
            let arn = r.arn, intent = r.stopIntent ?? StopIntent(code: .userInitiated, reason: reason)
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
        let desiredText = try p.string("desiredStatus") ?? DesiredStatus.running.rawValue
        let launchType = try p.string("launchType")
        _ = try p.string("containerInstance")
        // PENDING is a valid filter that no task's desiredStatus ever has.
        let desired = DesiredStatus(rawValue: desiredText)
        guard desired != nil || desiredText == TaskStatus.pending.rawValue else { throw .invalidParameter("Invalid desiredStatus '\(desiredText)'.") }
        if let serviceName, findService(serviceName, cluster: cluster.name) == nil { throw APIError("ServiceNotFoundException", "Service not found.") }
        if startedBy != nil && (family != nil || serviceName != nil) {
            throw .invalidParameter("startedBy cannot be combined with the family or serviceName filters.")
        }
        var items = tasks.values.filter { r in
            guard r.cluster == cluster.name, r.desiredStatus == desired else { return false }
            if let family, r.plan.family != family { return false }
            if let startedBy, r.task.startedBy != startedBy { return false }
            if let serviceName, r.task.group != "service:\(serviceName)" { return false }
            if let launchType, r.task.launchType != launchType { return false }
            return true
        }
        let keyed = items.map { (created: $0.task.createdAt, id: $0.id, arn: $0.arn) }
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
        if r.lastStatus == .stopped { return }
        if TaskLifecycle.apply(o, to: &r.task, plan: r.plan) {
            tasks[id] = r
            persist(task: r)
            if r.task.group?.hasPrefix("service:") == true { serviceSignal.poke() }
        }
    }

    /// Drop stopped tasks older than the retention period (and their logs, via the engine).
    public func pruneStoppedTasks() {
        let cutoff = clock() - config.stoppedTaskRetention
        let expired: [TaskRecord] = lock.withLock {
            let old = tasks.values.filter { $0.lastStatus == .stopped && ($0.task.stoppedAt ?? 0) < cutoff }
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

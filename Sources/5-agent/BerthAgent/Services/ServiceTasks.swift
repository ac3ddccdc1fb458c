import BerthController
import BerthECS

/// The controller's view of the agent's tasks (`ObservedTask`) and the agent side of its
/// orders: start and stop through the same task records, persistence and engine calls as
/// RunTask/StopTask. Both orders are idempotent, as Docs/services.md requires.
extension ECSBackend {
    /// Tasks to show the controller: live tasks of the service, and stopped ones it still
    /// tracks (once it has classified a stop it forgets the task; older stopped tasks are noise).
    func observedTasks(of r: ServiceRecord) -> [ObservedTask] {
        let group = "service:\(r.name)"
        let tracked = Set(r.state.bookkeeping.tasks.keys).union(r.state.bookkeeping.launches.map(\.taskId))
        return tasks.values.compactMap { t -> ObservedTask? in
            guard t.cluster == r.cluster, t.task["group"]?.stringValue == group else { return nil }
            guard t.lastStatus != "STOPPED" || tracked.contains(t.id) else { return nil }
            return observedTask(t)
        }.sorted { ($0.createdAt, $0.taskArn) < ($1.createdAt, $1.taskArn) }
    }

    func observedTask(_ t: TaskRecord) -> ObservedTask {
        let defs = t.plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let essential = Set(defs.filter { $0["essential"]?.boolValue ?? true }.compactMap { $0["name"]?.stringValue })
        let hasHealthCheck = defs.contains { ($0["essential"]?.boolValue ?? true) && $0["healthCheck"] != nil }
        let exitCode = (t.task["containers"]?.arrayValue ?? []).first {
            essential.contains($0["name"]?.stringValue ?? "") && $0["exitCode"]?.intValue != nil
        }?["exitCode"]?.intValue
        return ObservedTask(
            taskArn: t.arn, deploymentId: t.task["startedBy"]?.stringValue, taskDefinitionArn: t.plan.taskDefinitionArn,
            lastStatus: TaskStatus(rawValue: t.lastStatus) ?? .provisioning,
            desiredStatus: DesiredStatus(rawValue: t.desiredStatus) ?? .running,
            healthStatus: HealthStatus(rawValue: t.task["healthStatus"]?.stringValue ?? "") ?? .unknown,
            hasHealthCheck: hasHealthCheck, createdAt: t.task["createdAt"]?.doubleValue ?? 0,
            startedAt: t.task["startedAt"]?.doubleValue, stoppedAt: t.task["stoppedAt"]?.doubleValue,
            stopCode: t.task["stopCode"]?.stringValue.flatMap(StopCode.init(rawValue:)),
            stoppedReason: t.task["stoppedReason"]?.stringValue,
            essentialExitCode: t.lastStatus == "STOPPED" ? exitCode : nil)
    }

    /// `.startTask`: a task with the order's id; a repeated order (the id exists) is a no-op.
    func startServiceTask(_ o: StartTaskOrder, service r: ServiceRecord) {
        guard tasks[o.taskId] == nil else { return }
        guard let cluster = clusters[r.cluster], cluster.status == "ACTIVE" else { return }
        let td: TaskDefRecord
        do { td = try lookupTaskDefinition(o.taskDefinition) } catch {
            log("service \(r.name): cannot start a task of \(o.taskDefinition): \(error)")
            return  // the controller counts the launch as failed after its launch timeout
        }
        let plan = TaskLaunchPlan(taskArn: arns.task(cluster: cluster.name, id: o.taskId), taskId: o.taskId, clusterName: cluster.name,
                                  clusterArn: arns.cluster(cluster.name), taskDefinitionArn: td.arn, taskDefinition: td.taskDefinition,
                                  overrides: [:], region: config.region, accountId: config.accountId)
        var task = initialTask(plan: plan, td: td.taskDefinition, overrides: nil, startedBy: o.deploymentId, group: o.group,
                               launchType: r.launchType.rawValue)
        task["enableExecuteCommand"] = .bool(r.enableExecuteCommand)
        var tags: [(String, String)] = []
        switch r.propagateTags {
        case .service: tags = r.tags
        case .taskDefinition: tags = td.tags
        case .none: break
        }
        if r.enableECSManagedTags {
            tags.append(("aws:ecs:serviceName", r.name))
            tags.append(("aws:ecs:clusterName", cluster.name))
        }
        let record = TaskRecord(task: task, plan: plan, tags: tags, clientToken: nil)
        tasks[o.taskId] = record
        persist(task: record)
        deferred.append { [self] in launch(plan) }
    }

    /// `.stopTask`: desiredStatus STOPPED with the order's stopCode and reason; a task that is
    /// already stopping or stopped is left alone.
    func stopServiceTask(_ o: StopTaskOrder) {
        guard let (_, id) = arns.taskId(o.taskArn), var r = tasks[id], r.lastStatus != "STOPPED" else { return }
        if r.desiredStatus == "STOPPED" && r.stopSent { return }
        r.task["desiredStatus"] = "STOPPED"
        if r.task["stopCode"] == nil {
            r.task["stopCode"] = .string(o.stopCode.rawValue)
            r.task["stoppedReason"] = .string(String(o.reason.prefix(1024)))
        }
        if r.task["stoppingAt"] == nil { r.task["stoppingAt"] = .timestamp(clock()) }
        r.stopSent = true
        bumpVersion(&r)
        tasks[id] = r
        persist(task: r)
        let arn = r.arn, intent = r.stopIntent ?? StopIntent(code: o.stopCode.rawValue, reason: o.reason)
        deferred.append { [self] in engine.stop(taskArn: arn, intent: intent) }
    }
}

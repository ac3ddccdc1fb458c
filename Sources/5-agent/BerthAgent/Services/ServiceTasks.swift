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
        let reports = targetReports(r)
        return tasks.values.compactMap { t -> ObservedTask? in
            guard t.cluster == r.cluster, t.task.group == group else { return nil }
            guard t.lastStatus != .stopped || tracked.contains(t.id) else { return nil }
            var o = observedTask(t)
            o.loadBalancerHealth = loadBalancerHealth(t, r, reports: reports)
            return o
        }.sorted { ($0.createdAt, $0.taskArn) < ($1.createdAt, $1.taskArn) }
    }

    func observedTask(_ t: TaskRecord) -> ObservedTask {
        let defs = t.plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let essential = Set(defs.filter { $0["essential"]?.boolValue ?? true }.compactMap { $0["name"]?.stringValue })
        let hasHealthCheck = defs.contains { ($0["essential"]?.boolValue ?? true) && $0["healthCheck"] != nil }
        let exitCode = t.task.containers.first { essential.contains($0.name) && $0.exitCode != nil }?.exitCode
        return ObservedTask(
            taskArn: t.arn, deploymentId: t.task.startedBy, taskDefinitionArn: t.plan.taskDefinitionArn,
            lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, healthStatus: t.task.healthStatus,
            hasHealthCheck: hasHealthCheck, createdAt: t.task.createdAt, startedAt: t.task.startedAt, stoppedAt: t.task.stoppedAt,
            stopCode: t.task.stopCode, stoppedReason: t.task.stoppedReason,
            essentialExitCode: t.lastStatus == .stopped ? exitCode : nil)
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
                                  overrides: nil, region: config.region, accountId: config.accountId)
        var task = initialTask(plan: plan, overrides: nil, startedBy: o.deploymentId, group: o.group, launchType: r.launchType.rawValue)
        task.enableExecuteCommand = r.enableExecuteCommand
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
    /// With `send` false (a service behind a load balancer) the engine is told later, once the
    /// task's targets are deregistered and drained (`applyRegistrations`).
    func stopServiceTask(_ o: StopTaskOrder, send: Bool = true) {
        guard let (_, id) = arns.taskId(o.taskArn), var r = tasks[id], r.lastStatus != .stopped else { return }
        if r.desiredStatus == .stopped && (r.stopSent || !send) { return }
        r.task = TaskLifecycle.stopRequested(r.task, code: o.stopCode, reason: o.reason, at: clock())
        tasks[id] = r
        persist(task: r)
        if send { sendStop(id, intent: r.stopIntent ?? StopIntent(code: o.stopCode, reason: o.reason)) }
    }
}

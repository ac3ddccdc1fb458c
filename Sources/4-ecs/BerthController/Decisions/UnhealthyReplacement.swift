/// Replacing tasks that fail container health checks (ecs-semantics §2.4, §5.7, §5.9).
///
/// A RUNNING task whose health is UNHEALTHY is ignored during the service's
/// healthCheckGracePeriodSeconds after it started; after that it is "failing": it no longer
/// counts toward desiredCount, so `startForPrimary` starts its replacement while it keeps
/// running, as far as maximumPercent allows. A failing task is stopped
///  * as soon as the other tasks of the deployment are healthy enough to reach desiredCount
///    without it (replacement healthy), or
///  * when maximumPercent leaves no room for a replacement and nothing else is in flight:
///    then one at a time, to free capacity.
/// Failing tasks do not count as healthy, so neither rule can break minimumHealthyPercent.
extension Tick {
    mutating func findFailingHealthChecks(_ tasks: [ObservedTask]) {
        let grace = config.scaled(Double(state.healthCheckGracePeriodSeconds))
        for task in tasks where task.lastStatus == .running && !isStopping(task)
            && ((task.hasHealthCheck && task.healthStatus == .unhealthy) || task.loadBalancerHealth?.state == .unhealthy)
        {
            let startedAt = task.startedAt ?? task.createdAt
            guard now - startedAt >= grace else {
                wake(at: startedAt + grace)
                continue
            }
            failing.insert(task.taskId)
            if state.bookkeeping.tasks[task.taskId]?.unhealthySince == nil {
                let detectedAt = now
                state.bookkeeping.tasks[task.taskId]?.unhealthySince = detectedAt
                if task.hasHealthCheck && task.healthStatus == .unhealthy {
                    emit(EventMessage.failedHealthChecks(name, taskId: task.taskId))
                } else if let lb = task.loadBalancerHealth {
                    emit(EventMessage.failedELBHealthChecks(name, taskId: task.taskId, targetGroup: lb.targetGroupArn))
                }
            }
        }
    }

    mutating func stopUnhealthyPrimaryTasks(_ tasks: [ObservedTask]) {
        guard let primary = state.primary else { return }
        let failingTasks = active(tasks, deployment: primary.id)
            .filter { failing.contains($0.taskId) }
            .sorted { ($0.startedAt ?? 0, $0.taskArn) < ($1.startedAt ?? 0, $1.taskArn) }
        guard !failingTasks.isEmpty else { return }
        let others = serving(tasks, deployment: primary.id)
        let healthyOthers = others.filter(isHealthy).count
        var count = max(0, healthyOthers + failingTasks.count - state.desiredCount)
        let room = upperBound - live(tasks).count - state.bookkeeping.launches.count
        let inFlight = others.count - healthyOthers + launches(of: primary.id)
        let beingStopped = live(tasks).contains { state.bookkeeping.tasks[$0.taskId]?.stopKind == .unhealthy }
        if count == 0 && room <= 0 && inFlight == 0 && !beingStopped { count = 1 }
        for task in failingTasks.prefix(count) { stopForHealthChecks(task) }
    }

    mutating func stopForHealthChecks(_ task: ObservedTask) {
        if !(task.hasHealthCheck && task.healthStatus == .unhealthy), let lb = task.loadBalancerHealth, lb.state == .unhealthy {
            stop(task, kind: .unhealthy, reason: ReasonText.failedELBHealthChecks(lb.targetGroupArn))
            return
        }
        stop(task, kind: .unhealthy, reason: ReasonText.failedHealthChecks)
    }
}

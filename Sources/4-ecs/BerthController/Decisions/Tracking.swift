/// Following tasks between ticks: which ones are new, which became healthy, which stopped
/// and whether that stop was a failure (for the throttle and the circuit breaker).
extension Tick {
    mutating func track(_ tasks: [ObservedTask]) {
        let seen = Set(tasks.map(\.taskId))
        // A launch may already be STOPPED the first time it is seen: it is still ours.
        for launch in state.bookkeeping.launches where seen.contains(launch.taskId) {
            state.bookkeeping.tasks[launch.taskId] = state.bookkeeping.tasks[launch.taskId]
                ?? TrackedTask(deploymentId: launch.deploymentId, firstSeenAt: launch.orderedAt)
        }
        state.bookkeeping.launches.removeAll { seen.contains($0.taskId) }
        for task in tasks {
            let id = task.taskId
            if task.lastStatus.isLive {
                observeLive(task)
            } else if let tracked = state.bookkeeping.tasks.removeValue(forKey: id) {
                account(stopped: task, tracked: tracked)
            }
        }
        // Tracked tasks the agent no longer reports: treat as stopped without a reason.
        for (id, tracked) in state.bookkeeping.tasks.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            state.bookkeeping.tasks.removeValue(forKey: id)
            account(stopped: nil, tracked: tracked)
        }
        expireLaunches()
    }

    private mutating func observeLive(_ task: ObservedTask) {
        let id = task.taskId
        if state.bookkeeping.tasks[id] == nil {
            state.bookkeeping.tasks[id] = TrackedTask(deploymentId: task.deploymentId ?? "", firstSeenAt: now)
        }
        reissueLostStop(task)
        if isHealthy(task), state.bookkeeping.tasks[id]?.wasHealthy == false {
            state.bookkeeping.tasks[id]?.wasHealthy = true
            becameHealthy(deploymentId: task.deploymentId)
        }
    }

    /// A stop the controller ordered but the task still wants to run after the launch
    /// timeout: the agent lost the order (crash between persisting and applying); repeat it.
    private mutating func reissueLostStop(_ task: ObservedTask) {
        guard task.desiredStatus == .running, let tracked = state.bookkeeping.tasks[task.taskId],
            tracked.stopKind != nil, let orderedAt = tracked.stopOrderedAt
        else { return }
        let timeout = config.scaled(config.launchTimeoutSeconds)
        guard now - orderedAt >= timeout else {
            wake(at: orderedAt + timeout)
            return
        }
        let reissuedAt = now
        state.bookkeeping.tasks[task.taskId]?.stopOrderedAt = reissuedAt
        let reason = tracked.stopReason ?? ReasonText.scaling(tracked.deploymentId)
        actions.append(.stopTask(StopTaskOrder(taskArn: task.taskArn, reason: reason)))
    }

    /// A healthy task ends the restart throttle and the circuit breaker's watch of its
    /// deployment (`failedTasks` resets to 0 and stops being evaluated).
    private mutating func becameHealthy(deploymentId: String?) {
        state.throttle = ThrottleState()
        if let id = deploymentId, let index = deploymentIndex(id) {
            state.deployments[index].healthyTaskSeen = true
            state.deployments[index].failedTasks = 0
        }
    }

    /// Classify a stop. Not failures: stops the controller ordered for scaling, StopTask by a
    /// user, host events, and any stop of a task that had been healthy. Failures: a task that
    /// stopped before it was ever healthy (never RUNNING, or exited/crashed before passing the
    /// health rule) counts for the throttle and the breaker; one the controller stopped for
    /// failed health checks before it was ever healthy counts for the breaker only.
    private mutating func account(stopped task: ObservedTask?, tracked: TrackedTask) {
        if tracked.wasHealthy || tracked.stopKind == .scaling { return }
        if let code = task?.stopCode, tracked.stopKind == nil,
            [.userInitiated, .serviceSchedulerInitiated, .spotInterruption, .terminationNotice].contains(code)
        {
            return
        }
        breakerFailure(deploymentId: tracked.deploymentId)
        if tracked.stopKind == nil {
            throttleFailure(reason: failureReason(task))
        }
    }

    private func failureReason(_ task: ObservedTask?) -> String {
        guard let task else { return "Task disappeared before it became healthy" }
        var reason = task.stoppedReason ?? "Task stopped"
        if let code = task.essentialExitCode { reason += " (exit code \(code))" }
        return task.startedAt == nil ? reason : "\(reason), before it became healthy"
    }

    /// Launch orders the agent never turned into tasks count as failed starts.
    private mutating func expireLaunches() {
        let (timeout, now) = (config.scaled(config.launchTimeoutSeconds), self.now)
        let expired = state.bookkeeping.launches.filter { now - $0.orderedAt >= timeout }
        state.bookkeeping.launches.removeAll { now - $0.orderedAt >= timeout }
        for launch in expired {
            breakerFailure(deploymentId: launch.deploymentId)
            throttleFailure(reason: "Task \(launch.taskId) was not created by the agent")
        }
        for launch in state.bookkeeping.launches { wake(at: launch.orderedAt + timeout) }
    }

    mutating func breakerFailure(deploymentId: String) {
        guard let index = deploymentIndex(deploymentId), !state.deployments[index].healthyTaskSeen else { return }
        state.deployments[index].failedTasks += 1
        state.deployments[index].updatedAt = now
    }

    /// ecs-semantics §5.8: consecutive failures grow the delay before the next launch.
    mutating func throttleFailure(reason: String) {
        state.throttle.consecutiveFailures += 1
        state.throttle.reason = reason
        let delay = config.scaled(config.throttle.delay(afterFailures: state.throttle.consecutiveFailures))
        guard delay > 0 else { return }
        state.throttle.currentDelay = delay
        state.throttle.nextLaunchAt = max(state.throttle.nextLaunchAt ?? 0, now + delay)
        let interval = config.scaled(config.duplicateEventIntervalSeconds)
        if let last = state.throttle.eventEmittedAt, now - last < interval { return }
        state.throttle.eventEmittedAt = now
        emit(EventMessage.unableToStart(name))
    }
}

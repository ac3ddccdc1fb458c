/// Counts, rollout completion, steady state and the configuration-deadlock warning.
extension Tick {
    /// Per-deployment and service pendingCount/runningCount (by lastStatus, as ECS counts;
    /// launch orders in flight count as pending). Old deployments' desiredCount follows
    /// their remaining tasks; drained ones are dropped from the list (INACTIVE).
    mutating func updateCounts(_ tasks: [ObservedTask]) {
        let live = live(tasks)
        for index in state.deployments.indices {
            var d = state.deployments[index]
            let mine = live.filter { $0.deploymentId == d.id }
            d.runningCount = mine.filter { $0.lastStatus == .running }.count
            d.pendingCount = mine.filter { $0.lastStatus.isPending }.count + launches(of: d.id)
            if d.status != .primary {
                d.desiredCount = mine.filter { !isStopping($0) }.count
            }
            if d != state.deployments[index] {
                d.updatedAt = now
                state.deployments[index] = d
            }
        }
        let inFlight = Set(state.bookkeeping.launches.map(\.deploymentId))
        state.deployments.removeAll { d in
            d.status != .primary && !live.contains { $0.deploymentId == d.id } && !inFlight.contains(d.id)
        }
        state.runningCount = live.filter { $0.lastStatus == .running }.count
        state.pendingCount = live.filter { $0.lastStatus.isPending }.count + state.bookkeeping.launches.count
    }

    /// Only the PRIMARY is left, nothing else is live, and it has exactly D healthy tasks.
    func atDesiredState(_ tasks: [ObservedTask]) -> Bool {
        guard state.status == .active, state.deployments.count == 1, let primary = state.primary,
            state.bookkeeping.launches.isEmpty
        else { return false }
        let live = live(tasks)
        return live.count == state.desiredCount
            && live.allSatisfy { $0.deploymentId == primary.id && isHealthy($0) }
    }

    mutating func completeRollout(_ tasks: [ObservedTask]) {
        guard let index = primaryIndex, state.deployments[index].rolloutState == .inProgress,
            atDesiredState(tasks)
        else { return }
        let id = state.deployments[index].id
        state.deployments[index].rolloutState = .completed
        state.deployments[index].rolloutStateReason = ReasonText.completed(id)
        state.deployments[index].updatedAt = now
        state.lastCompleted = DeploymentRef(id: id, taskDefinition: state.deployments[index].taskDefinition)
        emit(EventMessage.deploymentCompleted(name, deploymentId: id))
    }

    /// "has reached a steady state." on entering steady state, then every 6 h (scaled).
    mutating func reportSteadyState(_ tasks: [ObservedTask]) {
        guard state.primary?.rolloutState == .completed, atDesiredState(tasks) else {
            state.bookkeeping.steadyStateEventAt = nil
            return
        }
        let interval = config.scaled(config.steadyStateEventIntervalSeconds)
        if let last = state.bookkeeping.steadyStateEventAt, now - last < interval {
            wake(at: last + interval)
            return
        }
        state.bookkeeping.steadyStateEventAt = now
        emit(EventMessage.steadyState(name))
        wake(at: now + interval)
    }

    /// Old deployments still have tasks, nothing is in flight, and neither a start
    /// (maximumPercent) nor a stop (minimumHealthyPercent) is allowed: ECS's
    /// configuration-deadlock event. An old deployment whose last task has just STOPPED is
    /// still listed here (`updateCounts` drops it later in the tick): that is a rollout
    /// finishing, not a deadlock.
    mutating func reportDeadlock(_ tasks: [ObservedTask], progressed: Bool) {
        let live = live(tasks)
        let oldTasksLeft = live.contains { $0.deploymentId != state.primary?.id }
        let stuck = !progressed && state.status == .active && state.deployments.count > 1 && oldTasksLeft
            && state.primary?.rolloutState == .inProgress && state.bookkeeping.launches.isEmpty
            && !state.throttledNow(now) && live.allSatisfy { !isStopping($0) && isHealthy($0) }
        guard stuck else {
            state.bookkeeping.deadlockEventAt = nil
            return
        }
        let interval = config.scaled(config.duplicateEventIntervalSeconds)
        if let last = state.bookkeeping.deadlockEventAt, now - last < interval { return }
        state.bookkeeping.deadlockEventAt = now
        emit(EventMessage.configurationDeadlock(name))
    }
}

extension ServiceState {
    func throttledNow(_ now: Timestamp) -> Bool { throttledUntil(now: now) != nil }
}

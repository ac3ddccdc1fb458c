/// The service controller: one pure decision step.
///
/// Given the persisted service state, every task of the service the agent knows about
/// (live ones and recently STOPPED ones), the current time and the timers, returns the
/// next state and the tasks to start or stop. No I/O and no clock: call it on every tick
/// and whenever a task of the service changes state.
public func reconcile(
    _ service: ServiceState, tasks: [ObservedTask], now: Timestamp,
    config: ControllerConfig = ControllerConfig(), ids: inout some IdentifierSource
) -> ReconcileResult {
    guard service.status != .inactive else {
        return ReconcileResult(state: service, actions: [], newEvents: [], wakeAt: nil)
    }
    var tick = Tick(state: service, now: now, config: config, ids: ids)
    defer { ids = tick.ids }
    tick.track(tasks)
    tick.evaluateCircuitBreaker()
    if tick.state.status == .draining {
        tick.stopAll(tasks)
    } else {
        tick.schedule(tasks)
    }
    tick.reportStops()
    tick.updateCounts(tasks)
    if tick.state.status == .draining {
        tick.finishDraining(tasks)
    } else {
        tick.completeRollout(tasks)
        tick.reportSteadyState(tasks)
    }
    tick.watchHealthTimers(tasks)
    let wakeAt = tick.wakeTimes.min()
    return ReconcileResult(state: tick.state, actions: tick.actions, newEvents: tick.newEvents, wakeAt: wakeAt)
}

extension Tick {
    /// One scheduling pass: orphans, start for PRIMARY (also replacing tasks that fail
    /// health checks), stop those as replacements allow, drain old deployments, scale in.
    mutating func schedule(_ tasks: [ObservedTask]) {
        findFailingHealthChecks(tasks)
        stopOrphans(tasks)
        let started = startForPrimary(tasks)
        stopUnhealthyPrimaryTasks(tasks)
        drainOldDeployments(tasks)
        scaleInPrimary(tasks)
        reportDeadlock(tasks, progressed: started > 0 || !stoppedIds.isEmpty)
    }

    mutating func reportStops() {
        guard !stoppedIds.isEmpty else { return }
        emit(EventMessage.stopped(name, taskIds: stoppedIds))
    }

    /// DRAINING → INACTIVE once no task is live (STOPPING/STOPPED do not hold it back).
    mutating func finishDraining(_ tasks: [ObservedTask]) {
        let remaining = tasks.filter { $0.lastStatus <= .deactivating }
        guard remaining.isEmpty, state.bookkeeping.launches.isEmpty else { return }
        state.status = .inactive
        for index in state.deployments.indices { state.deployments[index].updatedAt = now }
    }

    /// Timers that can make a not-yet-healthy task healthy (40 s rule).
    mutating func watchHealthTimers(_ tasks: [ObservedTask]) {
        let after = config.scaled(config.healthyAfterRunningSeconds)
        for task in tasks where task.lastStatus == .running && !task.hasHealthCheck && task.loadBalancerHealth == nil
            && !isStopping(task) {
            if let startedAt = task.startedAt { wake(at: startedAt + after) }
        }
    }
}

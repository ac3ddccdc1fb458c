/// Working memory of one reconcile: the state being built, the actions and events so far,
/// and the timers that may need another tick.
struct Tick<IDs: IdentifierSource> {
    var state: ServiceState
    let now: Timestamp
    let config: ControllerConfig
    var ids: IDs
    var actions: [ControllerAction] = []
    var newEvents: [ServiceEvent] = []
    var wakeTimes: [Timestamp] = []
    /// Tasks ordered to stop this tick (one "has stopped N running tasks" event).
    var stoppedIds: [String] = []
    /// Task ids failing container health checks past the grace period (set by `schedule`).
    var failing: Set<String> = []

    init(state: ServiceState, now: Timestamp, config: ControllerConfig, ids: IDs) {
        self.state = state
        self.now = now
        self.config = config
        self.ids = ids
    }

    var name: String { state.serviceName }

    mutating func emit(_ message: String) {
        let event = ServiceEvent(id: ids.newEventId(), createdAt: now, message: message)
        newEvents.append(event)
        state.events.insert(event, at: 0)
        if state.events.count > config.maxEvents {
            state.events.removeLast(state.events.count - config.maxEvents)
        }
    }

    mutating func wake(at time: Timestamp) {
        if time > now { wakeTimes.append(time) }
    }

    func deploymentIndex(_ id: String) -> Int? {
        state.deployments.firstIndex { $0.id == id }
    }

    var primaryIndex: Int? { state.deployments.firstIndex { $0.status == .primary } }

    /// The health rule of ecs-semantics §5.2: RUNNING, not being stopped, and HEALTHY if an
    /// essential container has a health check, else RUNNING for 40 s (scaled).
    /// Behind a load balancer the task's targets must be healthy instead of the 40 s rule.
    func isHealthy(_ task: ObservedTask) -> Bool {
        guard task.lastStatus == .running, !isStopping(task) else { return false }
        if let lb = task.loadBalancerHealth {
            return lb.state == .healthy && (!task.hasHealthCheck || task.healthStatus == .healthy)
        }
        if task.hasHealthCheck { return task.healthStatus == .healthy }
        guard let startedAt = task.startedAt else { return false }
        return now - startedAt >= config.scaled(config.healthyAfterRunningSeconds)
    }

    /// Told to stop (by anyone) but not STOPPED yet.
    func isStopping(_ task: ObservedTask) -> Bool {
        task.desiredStatus == .stopped || task.lastStatus > .running
            || state.bookkeeping.tasks[task.taskId]?.stopKind != nil
    }

    /// Order a stop and remember why, so the stop is not counted as a failure later.
    mutating func stop(_ task: ObservedTask, kind: StopKind, reason: String) {
        var tracked = state.bookkeeping.tasks[task.taskId]
            ?? TrackedTask(deploymentId: task.deploymentId ?? "", firstSeenAt: now)
        tracked.stopKind = kind
        tracked.stopOrderedAt = now
        tracked.stopReason = reason
        state.bookkeeping.tasks[task.taskId] = tracked
        actions.append(.stopTask(StopTaskOrder(taskArn: task.taskArn, reason: reason)))
        stoppedIds.append(task.taskId)
    }
}

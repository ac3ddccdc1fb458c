import BerthECS

/// Side effects the agent must carry out after a reconcile. Deployment and event changes
/// are not actions: they are in the returned `ServiceState`.
public enum ControllerAction: Sendable, Equatable {
    case startTask(StartTaskOrder)
    case stopTask(StopTaskOrder)
}

/// Create and start one task. The agent must use `taskId` as the task id (ARN
/// `.../task/<cluster>/<taskId>`), set `startedBy = deploymentId` and `group = group`.
public struct StartTaskOrder: Codable, Sendable, Equatable {
    public var taskId: String
    public var deploymentId: String
    public var taskDefinition: String
    public var group: String
    public init(taskId: String, deploymentId: String, taskDefinition: String, group: String) {
        self.taskId = taskId
        self.deploymentId = deploymentId
        self.taskDefinition = taskDefinition
        self.group = group
    }
}

/// Stop one task (desiredStatus STOPPED) with this stopCode and stoppedReason.
public struct StopTaskOrder: Codable, Sendable, Equatable {
    public var taskArn: String
    public var reason: String
    public var stopCode: StopCode
    public init(taskArn: String, reason: String, stopCode: StopCode = .serviceSchedulerInitiated) {
        self.taskArn = taskArn
        self.reason = reason
        self.stopCode = stopCode
    }
}

/// What `reconcile` returns.
public struct ReconcileResult: Sendable, Equatable {
    /// The new state: persist it before or after applying `actions` (both are safe, see
    /// Docs/services.md).
    public var state: ServiceState
    public var actions: [ControllerAction]
    /// Events added by this tick, oldest first (already inserted in `state.events`).
    public var newEvents: [ServiceEvent]
    /// The next time a timer could change a decision (throttle end, 40 s healthy rule,
    /// grace period, steady-state re-emit, launch timeout). The agent should tick no later
    /// than this, and on every task state change.
    public var wakeAt: Timestamp?
}

/// Controller memory between ticks. Codable like the rest so a restarted agent resumes
/// exactly where it stopped.
public struct Bookkeeping: Codable, Sendable, Equatable {
    /// Live tasks the controller has seen, by task id.
    public var tasks: [String: TrackedTask]
    /// Launches ordered but not yet observed (the agent creates them after the tick).
    public var launches: [PendingLaunch]
    /// When "has reached a steady state." was last emitted; nil while not steady.
    public var steadyStateEventAt: Timestamp?
    /// When the configuration-deadlock event was last emitted.
    public var deadlockEventAt: Timestamp?

    public init() {
        tasks = [:]
        launches = []
        steadyStateEventAt = nil
        deadlockEventAt = nil
    }
}

/// Why the controller asked a task to stop.
public enum StopKind: String, Codable, Sendable {
    /// Scale-in, deployment replacement, orphan clean-up or service deletion.
    case scaling
    /// Failed container health checks after the grace period.
    case unhealthy
}

public struct TrackedTask: Codable, Sendable, Equatable {
    public var deploymentId: String
    /// The task has counted as healthy at least once.
    public var wasHealthy: Bool
    /// Set when the controller ordered the stop.
    public var stopKind: StopKind?
    /// The first tick that saw the task (or its launch order).
    public var firstSeenAt: Timestamp
    /// When the task was first seen failing health checks past the grace period.
    public var unhealthySince: Timestamp?
    /// When and why the controller ordered the stop (to re-issue an order the agent lost).
    public var stopOrderedAt: Timestamp?
    public var stopReason: String?

    public init(deploymentId: String, firstSeenAt: Timestamp) {
        self.deploymentId = deploymentId
        self.wasHealthy = false
        self.stopKind = nil
        self.firstSeenAt = firstSeenAt
        self.unhealthySince = nil
        self.stopOrderedAt = nil
        self.stopReason = nil
    }
}

/// A `startTask` action not yet reflected in the observed tasks.
public struct PendingLaunch: Codable, Sendable, Equatable {
    public var taskId: String
    public var deploymentId: String
    public var taskDefinition: String
    public var orderedAt: Timestamp
    public init(taskId: String, deploymentId: String, taskDefinition: String, orderedAt: Timestamp) {
        self.taskId = taskId
        self.deploymentId = deploymentId
        self.taskDefinition = taskDefinition
        self.orderedAt = orderedAt
    }
}

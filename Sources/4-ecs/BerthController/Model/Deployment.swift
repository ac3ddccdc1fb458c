/// `Deployment.status` (ecs-semantics §5.4).
public enum DeploymentStatus: String, Codable, Sendable {
    case primary = "PRIMARY"
    case active = "ACTIVE"
    case inactive = "INACTIVE"
}

/// `Deployment.rolloutState`.
public enum RolloutState: String, Codable, Sendable {
    case inProgress = "IN_PROGRESS"
    case completed = "COMPLETED"
    case failed = "FAILED"
}

/// One entry of `Service.deployments`.
public struct Deployment: Codable, Sendable, Equatable {
    /// `ecs-svc/` + 19 digits; also the `startedBy` of every task of this deployment.
    public var id: String
    public var status: DeploymentStatus
    public var taskDefinition: String
    public var desiredCount: Int
    public var pendingCount: Int
    public var runningCount: Int
    /// Consecutive tasks that failed before any task of this deployment became healthy.
    public var failedTasks: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var rolloutState: RolloutState
    public var rolloutStateReason: String
    /// Set once a task of this deployment has been healthy: the circuit breaker stops
    /// evaluating it (`MONITORING_COMPLETE`) and `failedTasks` stays 0.
    public var healthyTaskSeen: Bool
    /// For a rollback deployment: the COMPLETED deployment whose configuration it restores.
    /// Such a deployment is not rolled back again if it fails.
    public var restoresDeploymentId: String?

    public init(
        id: String, status: DeploymentStatus, taskDefinition: String, desiredCount: Int,
        createdAt: Timestamp, rolloutStateReason: String, restoresDeploymentId: String? = nil
    ) {
        self.id = id
        self.status = status
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.pendingCount = 0
        self.runningCount = 0
        self.failedTasks = 0
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.rolloutState = .inProgress
        self.rolloutStateReason = rolloutStateReason
        self.healthyTaskSeen = false
        self.restoresDeploymentId = restoresDeploymentId
    }

    /// `ServiceDeploymentCircuitBreaker.status` as DescribeServiceDeployments reports it.
    public func circuitBreakerStatus(_ config: DeploymentConfiguration) -> String {
        guard config.deploymentCircuitBreaker?.enable == true else { return "DISABLED" }
        if rolloutState == .failed && failedTasks > 0 { return "TRIGGERED" }
        return healthyTaskSeen || rolloutState != .inProgress ? "MONITORING_COMPLETE" : "MONITORING"
    }
}

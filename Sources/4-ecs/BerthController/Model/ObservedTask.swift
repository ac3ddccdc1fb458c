import BerthECS

// TaskStatus, DesiredStatus, HealthStatus and StopCode are BerthECS's.

/// What the agent tells the controller about one task of the service.
public struct ObservedTask: Codable, Sendable, Equatable {
    public var taskArn: String
    /// The task's `startedBy`: the deployment id the controller launched it for.
    public var deploymentId: String?
    public var taskDefinitionArn: String
    public var lastStatus: TaskStatus
    public var desiredStatus: DesiredStatus
    public var healthStatus: HealthStatus
    /// True when at least one essential container has a health check.
    public var hasHealthCheck: Bool
    public var createdAt: Timestamp
    /// When the task reached RUNNING (nil if it never did).
    public var startedAt: Timestamp?
    public var stoppedAt: Timestamp?
    public var stopCode: StopCode?
    public var stoppedReason: String?
    /// Exit code of the essential container that stopped the task, if known.
    public var essentialExitCode: Int?
    /// For a service behind load balancers: the health of the task's targets (the worst of
    /// them); nil for a service without load balancers.
    public var loadBalancerHealth: TargetGroupHealth?

    public init(
        taskArn: String, deploymentId: String?, taskDefinitionArn: String, lastStatus: TaskStatus,
        desiredStatus: DesiredStatus = .running, healthStatus: HealthStatus = .unknown,
        hasHealthCheck: Bool = false, createdAt: Timestamp, startedAt: Timestamp? = nil,
        stoppedAt: Timestamp? = nil, stopCode: StopCode? = nil, stoppedReason: String? = nil,
        essentialExitCode: Int? = nil, loadBalancerHealth: TargetGroupHealth? = nil
    ) {
        self.taskArn = taskArn
        self.deploymentId = deploymentId
        self.taskDefinitionArn = taskDefinitionArn
        self.lastStatus = lastStatus
        self.desiredStatus = desiredStatus
        self.healthStatus = healthStatus
        self.hasHealthCheck = hasHealthCheck
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.stopCode = stopCode
        self.stoppedReason = stoppedReason
        self.essentialExitCode = essentialExitCode
        self.loadBalancerHealth = loadBalancerHealth
    }

    /// The bare task id (last ARN component), as used in events and `StartTaskOrder.taskId`.
    public var taskId: String { taskIdFromArn(taskArn) }
}

/// `arn:...:task/<cluster>/<id>` or a bare id -> `<id>`.
public func taskIdFromArn(_ arn: String) -> String {
    guard let slash = arn.lastIndex(of: "/") else { return arn }
    return String(arn[arn.index(after: slash)...])
}

/// The load balancer's view of one task of a service behind it.
public struct TargetGroupHealth: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Not registered yet, or registered and not yet checked healthy.
        case initial
        case healthy
        case unhealthy
    }
    public var state: State
    /// The ARN of the target group the state is from (the first unhealthy one, else the first).
    public var targetGroupArn: String
    public init(state: State, targetGroupArn: String) {
        self.state = state
        self.targetGroupArn = targetGroupArn
    }

    /// The worst of several groups' states (unhealthy before initial before healthy).
    public static func worst(_ items: [TargetGroupHealth]) -> TargetGroupHealth? {
        items.first { $0.state == .unhealthy } ?? items.first { $0.state == .initial } ?? items.first
    }
}

/// Seconds since the Unix epoch. Time always comes in as a parameter; the controller never
/// reads a clock.
public typealias Timestamp = Double

/// `Service.status` (ecs-semantics §5.1).
public enum ServiceStatus: String, Codable, Sendable {
    case active = "ACTIVE"
    case draining = "DRAINING"
    case inactive = "INACTIVE"
}

/// Everything the controller knows about one service. The agent persists it (JSON) after
/// every reconcile and hands it back on the next one; a restarted agent resumes deployments
/// with the same deployment ids, counters and timers.
public struct ServiceState: Codable, Sendable, Equatable {
    public var serviceName: String
    public var serviceArn: String
    public var clusterArn: String
    public var status: ServiceStatus
    public var desiredCount: Int
    public var deploymentConfiguration: DeploymentConfiguration
    public var healthCheckGracePeriodSeconds: Int
    public var createdAt: Timestamp
    /// PRIMARY first, then ACTIVE ones newest first (the order DescribeServices shows).
    /// Drained deployments are removed (they become INACTIVE and are no longer listed).
    public var deployments: [Deployment]
    /// Newest first, at most `ControllerConfig.maxEvents`.
    public var events: [ServiceEvent]
    /// Tasks RUNNING / PENDING across all deployments, as of the last reconcile.
    public var runningCount: Int
    public var pendingCount: Int
    /// Restart back-off (ecs-semantics §5.8).
    public var throttle: ThrottleState
    /// The most recent deployment that reached COMPLETED (target of a circuit-breaker rollback).
    public var lastCompleted: DeploymentRef?
    /// Bookkeeping the controller needs between ticks (not part of the ECS API shape).
    public var bookkeeping: Bookkeeping

    /// The PRIMARY deployment's task definition (`Service.taskDefinition`).
    public var taskDefinition: String { primary?.taskDefinition ?? "" }

    public var primary: Deployment? { deployments.first { $0.status == .primary } }

    /// `Service.deployments` as DescribeServices shows it: an INACTIVE service lists none
    /// (ecs-semantics §5.4: replaced deployments are no longer returned). `deployments` keeps
    /// them for `taskDefinition` and for when the service became INACTIVE.
    public var listedDeployments: [Deployment] { status == .inactive ? [] : deployments }

    /// Until when new launches are held back, if they are (for `berth service describe`).
    public func throttledUntil(now: Timestamp) -> Timestamp? {
        guard let until = throttle.nextLaunchAt, until > now else { return nil }
        return until
    }

    public init(
        serviceName: String, serviceArn: String, clusterArn: String, status: ServiceStatus = .active,
        desiredCount: Int, deploymentConfiguration: DeploymentConfiguration = .init(),
        healthCheckGracePeriodSeconds: Int = 0, createdAt: Timestamp, deployments: [Deployment] = [],
        events: [ServiceEvent] = [], runningCount: Int = 0, pendingCount: Int = 0,
        throttle: ThrottleState = .init(), lastCompleted: DeploymentRef? = nil,
        bookkeeping: Bookkeeping = .init()
    ) {
        self.serviceName = serviceName
        self.serviceArn = serviceArn
        self.clusterArn = clusterArn
        self.status = status
        self.desiredCount = desiredCount
        self.deploymentConfiguration = deploymentConfiguration
        self.healthCheckGracePeriodSeconds = healthCheckGracePeriodSeconds
        self.createdAt = createdAt
        self.deployments = deployments
        self.events = events
        self.runningCount = runningCount
        self.pendingCount = pendingCount
        self.throttle = throttle
        self.lastCompleted = lastCompleted
        self.bookkeeping = bookkeeping
    }
}

/// A pointer to a deployment that may no longer be listed.
public struct DeploymentRef: Codable, Sendable, Equatable {
    public var id: String
    public var taskDefinition: String
    public init(id: String, taskDefinition: String) {
        self.id = id
        self.taskDefinition = taskDefinition
    }
}

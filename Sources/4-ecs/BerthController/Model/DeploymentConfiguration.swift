/// `deploymentConfiguration` of a REPLICA service (ecs-semantics §5.2).
public struct DeploymentConfiguration: Codable, Sendable, Equatable {
    public var minimumHealthyPercent: Int
    public var maximumPercent: Int
    public var deploymentCircuitBreaker: CircuitBreakerConfiguration?

    public init(
        minimumHealthyPercent: Int = 100, maximumPercent: Int = 200,
        deploymentCircuitBreaker: CircuitBreakerConfiguration? = nil
    ) {
        self.minimumHealthyPercent = minimumHealthyPercent
        self.maximumPercent = maximumPercent
        self.deploymentCircuitBreaker = deploymentCircuitBreaker
    }

    /// Upper bound on live tasks: floor(desired × maximumPercent / 100).
    public func maximumTasks(desired: Int) -> Int {
        desired * maximumPercent / 100
    }

    /// Lower bound on healthy tasks: ceil(desired × minimumHealthyPercent / 100).
    public func minimumHealthyTasks(desired: Int) -> Int {
        (desired * minimumHealthyPercent + 99) / 100
    }
}

/// `deploymentConfiguration.deploymentCircuitBreaker` (ecs-semantics §5.5).
public struct CircuitBreakerConfiguration: Codable, Sendable, Equatable {
    public var enable: Bool
    public var rollback: Bool
    public init(enable: Bool, rollback: Bool) {
        self.enable = enable
        self.rollback = rollback
    }

    /// clamp(ceil(0.5 × desired), 3, 200).
    public static func threshold(desired: Int) -> Int {
        min(max((desired + 1) / 2, 3), 200)
    }
}

import BerthJSON

/// Nested shapes of CreateService/UpdateService ([M:CreateServiceRequest]).

public struct DeploymentCircuitBreaker: JSONShape, Sendable, Equatable {
    public var enable: Bool?
    public var rollback: Bool?
    public init(enable: Bool? = nil, rollback: Bool? = nil) { self.enable = enable; self.rollback = rollback }
    public init(reading r: ObjectReader) { enable = r.required("enable"); rollback = r.required("rollback") }
    public func write(to w: inout ObjectWriter) { w.set("enable", enable); w.set("rollback", rollback) }
}

public struct DeploymentAlarms: JSONShape, Sendable, Equatable {
    public var alarmNames: [String]?
    public var rollback: Bool?
    public var enable: Bool?
    public init() {}
    public init(reading r: ObjectReader) { alarmNames = r.required("alarmNames"); rollback = r.required("rollback"); enable = r.required("enable") }
    public func write(to w: inout ObjectWriter) { w.set("alarmNames", alarmNames); w.set("rollback", rollback); w.set("enable", enable) }
}

/// `deploymentConfiguration` of a service request (ECS shape `DeploymentConfiguration`; named
/// apart from BerthController.DeploymentConfiguration, the resolved form the controller uses).
public struct ServiceDeploymentConfiguration: JSONShape, Sendable, Equatable {
    public var deploymentCircuitBreaker: DeploymentCircuitBreaker?
    public var maximumPercent: Int?
    public var minimumHealthyPercent: Int?
    public var alarms: DeploymentAlarms?
    public var strategy: DeploymentStrategy?
    public var bakeTimeInMinutes: Int?
    /// Blue/green, linear and canary settings: read as given; ServiceValidator refuses them (Berth deploys with rolling updates only).
    public var lifecycleHooks: JSONValue?
    public var linearConfiguration: JSONValue?
    public var canaryConfiguration: JSONValue?

    public init(maximumPercent: Int? = nil, minimumHealthyPercent: Int? = nil, deploymentCircuitBreaker: DeploymentCircuitBreaker? = nil) {
        self.maximumPercent = maximumPercent
        self.minimumHealthyPercent = minimumHealthyPercent
        self.deploymentCircuitBreaker = deploymentCircuitBreaker
    }
    public init(reading r: ObjectReader) {
        deploymentCircuitBreaker = r("deploymentCircuitBreaker"); maximumPercent = r("maximumPercent")
        minimumHealthyPercent = r("minimumHealthyPercent"); alarms = r("alarms"); strategy = r("strategy")
        bakeTimeInMinutes = r("bakeTimeInMinutes"); lifecycleHooks = r.rawList("lifecycleHooks")
        linearConfiguration = r.rawObject("linearConfiguration"); canaryConfiguration = r.rawObject("canaryConfiguration")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("deploymentCircuitBreaker", deploymentCircuitBreaker); w.set("maximumPercent", maximumPercent)
        w.set("minimumHealthyPercent", minimumHealthyPercent); w.set("alarms", alarms); w.set("strategy", strategy)
        w.set("bakeTimeInMinutes", bakeTimeInMinutes); w.set("lifecycleHooks", lifecycleHooks)
        w.set("linearConfiguration", linearConfiguration); w.set("canaryConfiguration", canaryConfiguration)
    }

    /// With ECS defaults (§5.2): REPLICA 200/100, DAEMON 100/0.
    public func withDefaults(for strategy: SchedulingStrategy) -> ServiceDeploymentConfiguration {
        var c = self
        if c.maximumPercent == nil { c.maximumPercent = strategy == .daemon ? 100 : 200 }
        if c.minimumHealthyPercent == nil { c.minimumHealthyPercent = strategy == .daemon ? 0 : 100 }
        return c
    }
}

public struct DeploymentController: JSONShape, Sendable, Equatable {
    public var type: DeploymentControllerType?
    public init(type: DeploymentControllerType? = nil) { self.type = type }
    public init(reading r: ObjectReader) { type = r.required("type") }
    public func write(to w: inout ObjectWriter) { w.set("type", type) }
}

public struct AwsVpcConfiguration: JSONShape, Sendable, Equatable {
    public var subnets: [String]?
    public var securityGroups: [String]?
    public var assignPublicIp: AssignPublicIp?
    public init() {}
    public init(reading r: ObjectReader) { subnets = r.required("subnets"); securityGroups = r("securityGroups"); assignPublicIp = r("assignPublicIp") }
    public func write(to w: inout ObjectWriter) { w.set("subnets", subnets); w.set("securityGroups", securityGroups); w.set("assignPublicIp", assignPublicIp) }
}

public struct NetworkConfiguration: JSONShape, Sendable, Equatable {
    public var awsvpcConfiguration: AwsVpcConfiguration?
    public init() {}
    public init(reading r: ObjectReader) { awsvpcConfiguration = r("awsvpcConfiguration") }
    public func write(to w: inout ObjectWriter) { w.set("awsvpcConfiguration", awsvpcConfiguration) }
}

public struct LoadBalancer: JSONShape, Sendable, Equatable {
    public var targetGroupArn: String?
    public var loadBalancerName: String?
    public var containerName: String?
    public var containerPort: Int?
    public var advancedConfiguration: JSONValue?
    public init() {}
    public init(reading r: ObjectReader) {
        targetGroupArn = r("targetGroupArn"); loadBalancerName = r("loadBalancerName"); containerName = r("containerName")
        containerPort = r("containerPort"); advancedConfiguration = r.rawObject("advancedConfiguration")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("targetGroupArn", targetGroupArn); w.set("loadBalancerName", loadBalancerName); w.set("containerName", containerName)
        w.set("containerPort", containerPort); w.set("advancedConfiguration", advancedConfiguration)
    }
}

public struct ServiceRegistry: JSONShape, Sendable, Equatable {
    public var registryArn: String?
    public var port: Int?
    public var containerName: String?
    public var containerPort: Int?
    public init() {}
    public init(reading r: ObjectReader) { registryArn = r("registryArn"); port = r("port"); containerName = r("containerName"); containerPort = r("containerPort") }
    public func write(to w: inout ObjectWriter) {
        w.set("registryArn", registryArn); w.set("port", port); w.set("containerName", containerName); w.set("containerPort", containerPort)
    }
}

public struct CapacityProviderStrategyItem: JSONShape, Sendable, Equatable {
    public var capacityProvider: String?
    public var weight: Int?
    public var base: Int?
    public init() {}
    public init(reading r: ObjectReader) { capacityProvider = r.required("capacityProvider"); weight = r("weight"); base = r("base") }
    public func write(to w: inout ObjectWriter) { w.set("capacityProvider", capacityProvider); w.set("weight", weight); w.set("base", base) }
}

public struct PlacementConstraint: JSONShape, Sendable, Equatable {
    public var type: ServicePlacementConstraintType?
    public var expression: String?
    public init() {}
    public init(reading r: ObjectReader) { type = r("type"); expression = r("expression") }
    public func write(to w: inout ObjectWriter) { w.set("type", type); w.set("expression", expression) }
}

public struct PlacementStrategy: JSONShape, Sendable, Equatable {
    public var type: PlacementStrategyType?
    public var field: String?
    public init() {}
    public init(reading r: ObjectReader) { type = r("type"); field = r("field") }
    public func write(to w: inout ObjectWriter) { w.set("type", type); w.set("field", field) }
}

import BerthJSON

/// A CreateService request ([M:CreateServiceRequest], every member).
public struct CreateServiceRequest: JSONShape, Sendable, Equatable {
    public var cluster: String?
    public var serviceName: String?
    public var taskDefinition: String?
    public var availabilityZoneRebalancing: AvailabilityZoneRebalancing?
    public var loadBalancers: [LoadBalancer]?
    public var serviceRegistries: [ServiceRegistry]?
    public var desiredCount: Int?
    public var clientToken: String?
    public var launchType: LaunchType?
    public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
    public var platformVersion: String?
    public var role: String?
    public var deploymentConfiguration: ServiceDeploymentConfiguration?
    public var placementConstraints: [PlacementConstraint]?
    public var placementStrategy: [PlacementStrategy]?
    public var networkConfiguration: NetworkConfiguration?
    public var healthCheckGracePeriodSeconds: Int?
    public var schedulingStrategy: SchedulingStrategy?
    public var deploymentController: DeploymentController?
    public var tags: [Tag]?
    public var enableECSManagedTags: Bool?
    public var propagateTags: PropagateTags?
    public var enableExecuteCommand: Bool?
    /// Cloud-only configurations, kept as given and echoed.
    public var serviceConnectConfiguration: JSONValue?
    public var volumeConfigurations: JSONValue?
    public var vpcLatticeConfigurations: JSONValue?

    public init(serviceName: String? = nil, taskDefinition: String? = nil, desiredCount: Int? = nil) {
        self.serviceName = serviceName
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
    }

    public init(reading r: ObjectReader) {
        cluster = r("cluster"); serviceName = r.required("serviceName"); taskDefinition = r("taskDefinition")
        availabilityZoneRebalancing = r("availabilityZoneRebalancing"); loadBalancers = r("loadBalancers")
        serviceRegistries = r("serviceRegistries"); desiredCount = r("desiredCount"); clientToken = r("clientToken")
        launchType = r("launchType"); capacityProviderStrategy = r("capacityProviderStrategy"); platformVersion = r("platformVersion")
        role = r("role"); deploymentConfiguration = r("deploymentConfiguration"); placementConstraints = r("placementConstraints")
        placementStrategy = r("placementStrategy"); networkConfiguration = r("networkConfiguration")
        healthCheckGracePeriodSeconds = r("healthCheckGracePeriodSeconds"); schedulingStrategy = r("schedulingStrategy")
        deploymentController = r("deploymentController"); tags = r("tags"); enableECSManagedTags = r("enableECSManagedTags")
        propagateTags = r("propagateTags"); enableExecuteCommand = r("enableExecuteCommand")
        serviceConnectConfiguration = r.rawObject("serviceConnectConfiguration"); volumeConfigurations = r.rawList("volumeConfigurations")
        vpcLatticeConfigurations = r.rawList("vpcLatticeConfigurations")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("cluster", cluster); w.set("serviceName", serviceName); w.set("taskDefinition", taskDefinition)
        w.set("availabilityZoneRebalancing", availabilityZoneRebalancing); w.set("loadBalancers", loadBalancers)
        w.set("serviceRegistries", serviceRegistries); w.set("desiredCount", desiredCount); w.set("clientToken", clientToken)
        w.set("launchType", launchType); w.set("capacityProviderStrategy", capacityProviderStrategy); w.set("platformVersion", platformVersion)
        w.set("role", role); w.set("deploymentConfiguration", deploymentConfiguration); w.set("placementConstraints", placementConstraints)
        w.set("placementStrategy", placementStrategy); w.set("networkConfiguration", networkConfiguration)
        w.set("healthCheckGracePeriodSeconds", healthCheckGracePeriodSeconds); w.set("schedulingStrategy", schedulingStrategy)
        w.set("deploymentController", deploymentController); w.set("tags", tags); w.set("enableECSManagedTags", enableECSManagedTags)
        w.set("propagateTags", propagateTags); w.set("enableExecuteCommand", enableExecuteCommand)
        w.set("serviceConnectConfiguration", serviceConnectConfiguration); w.set("volumeConfigurations", volumeConfigurations)
        w.set("vpcLatticeConfigurations", vpcLatticeConfigurations)
    }

    // Defaults (§5.1, §5.2, §5.7).
    public var effectiveCluster: String { (cluster?.isEmpty ?? true) ? "default" : cluster! }
    public var effectiveSchedulingStrategy: SchedulingStrategy { schedulingStrategy ?? .replica }
    /// DAEMON on one host = exactly one task.
    public var effectiveDesiredCount: Int { effectiveSchedulingStrategy == .daemon ? 1 : (desiredCount ?? 0) }
    public var effectiveDeploymentConfiguration: ServiceDeploymentConfiguration {
        (deploymentConfiguration ?? ServiceDeploymentConfiguration()).withDefaults(for: effectiveSchedulingStrategy)
    }
    public var effectiveHealthCheckGracePeriodSeconds: Int { healthCheckGracePeriodSeconds ?? 0 }
    public var effectiveDeploymentController: DeploymentControllerType { deploymentController?.type ?? .ecs }
    public var effectivePropagateTags: PropagateTags { propagateTags ?? .none }
}

/// An UpdateService request ([M:UpdateServiceRequest]).
public struct UpdateServiceRequest: JSONShape, Sendable, Equatable {
    public var cluster: String?
    public var service: String?
    public var desiredCount: Int?
    public var taskDefinition: String?
    public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
    public var deploymentConfiguration: ServiceDeploymentConfiguration?
    public var availabilityZoneRebalancing: AvailabilityZoneRebalancing?
    public var networkConfiguration: NetworkConfiguration?
    public var placementConstraints: [PlacementConstraint]?
    public var placementStrategy: [PlacementStrategy]?
    public var platformVersion: String?
    public var forceNewDeployment: Bool?
    public var healthCheckGracePeriodSeconds: Int?
    public var deploymentController: DeploymentController?
    public var enableExecuteCommand: Bool?
    public var enableECSManagedTags: Bool?
    public var loadBalancers: [LoadBalancer]?
    public var propagateTags: PropagateTags?
    public var serviceRegistries: [ServiceRegistry]?
    public var serviceConnectConfiguration: JSONValue?
    public var volumeConfigurations: JSONValue?
    public var vpcLatticeConfigurations: JSONValue?

    public init(service: String? = nil) { self.service = service }

    public init(reading r: ObjectReader) {
        cluster = r("cluster"); service = r.required("service"); desiredCount = r("desiredCount"); taskDefinition = r("taskDefinition")
        capacityProviderStrategy = r("capacityProviderStrategy"); deploymentConfiguration = r("deploymentConfiguration")
        availabilityZoneRebalancing = r("availabilityZoneRebalancing"); networkConfiguration = r("networkConfiguration")
        placementConstraints = r("placementConstraints"); placementStrategy = r("placementStrategy"); platformVersion = r("platformVersion")
        forceNewDeployment = r("forceNewDeployment"); healthCheckGracePeriodSeconds = r("healthCheckGracePeriodSeconds")
        deploymentController = r("deploymentController"); enableExecuteCommand = r("enableExecuteCommand")
        enableECSManagedTags = r("enableECSManagedTags"); loadBalancers = r("loadBalancers"); propagateTags = r("propagateTags")
        serviceRegistries = r("serviceRegistries"); serviceConnectConfiguration = r.rawObject("serviceConnectConfiguration")
        volumeConfigurations = r.rawList("volumeConfigurations"); vpcLatticeConfigurations = r.rawList("vpcLatticeConfigurations")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("cluster", cluster); w.set("service", service); w.set("desiredCount", desiredCount); w.set("taskDefinition", taskDefinition)
        w.set("capacityProviderStrategy", capacityProviderStrategy); w.set("deploymentConfiguration", deploymentConfiguration)
        w.set("availabilityZoneRebalancing", availabilityZoneRebalancing); w.set("networkConfiguration", networkConfiguration)
        w.set("placementConstraints", placementConstraints); w.set("placementStrategy", placementStrategy); w.set("platformVersion", platformVersion)
        w.set("forceNewDeployment", forceNewDeployment); w.set("healthCheckGracePeriodSeconds", healthCheckGracePeriodSeconds)
        w.set("deploymentController", deploymentController); w.set("enableExecuteCommand", enableExecuteCommand)
        w.set("enableECSManagedTags", enableECSManagedTags); w.set("loadBalancers", loadBalancers); w.set("propagateTags", propagateTags)
        w.set("serviceRegistries", serviceRegistries); w.set("serviceConnectConfiguration", serviceConnectConfiguration)
        w.set("volumeConfigurations", volumeConfigurations); w.set("vpcLatticeConfigurations", vpcLatticeConfigurations)
    }

    /// Members present in this request that start a new deployment when they differ from the
    /// service's current values (§5.1): taskDefinition, networkConfiguration, platformVersion,
    /// loadBalancers, serviceRegistries, serviceConnectConfiguration, volumeConfigurations,
    /// vpcLatticeConfigurations. `forceNewDeployment: true` always starts one.
    public var deploymentMembers: [String] {
        var out: [String] = []
        if taskDefinition != nil { out.append("taskDefinition") }
        if networkConfiguration != nil { out.append("networkConfiguration") }
        if platformVersion != nil { out.append("platformVersion") }
        if loadBalancers != nil { out.append("loadBalancers") }
        if serviceRegistries != nil { out.append("serviceRegistries") }
        if serviceConnectConfiguration != nil { out.append("serviceConnectConfiguration") }
        if volumeConfigurations != nil { out.append("volumeConfigurations") }
        if vpcLatticeConfigurations != nil { out.append("vpcLatticeConfigurations") }
        return out
    }
}

/// Reads service requests (CreateService / UpdateService input JSON).
public enum ServiceDocument {
    public static func decodeCreate(_ json: JSONValue) -> (CreateServiceRequest?, [Problem]) { JSONRequest.decode(json) }
    public static func decodeUpdate(_ json: JSONValue) -> (UpdateServiceRequest?, [Problem]) { JSONRequest.decode(json) }
}

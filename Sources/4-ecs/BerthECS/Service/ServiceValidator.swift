import BerthJSON

/// Checks CreateService / UpdateService requests (§5.1, §5.2, §5.7) and says what Berth ignores;
/// the agent answers with the first error. Errors are InvalidParameterException (ECS's exception for
/// bad service parameters), or UnsupportedFeatureException for what Berth does not implement.
public enum ServiceValidator {
    public static func validate(_ request: CreateServiceRequest) -> [Problem] {
        let v = ServiceChecks()
        let r = request
        let strategy = r.effectiveSchedulingStrategy
        switch r.serviceName {
        case nil: break   // reported by the decoder
        case ""?: v.error("serviceName", "serviceName should not be null or empty.")
        case let name?:
            if !Names.isValidName(name) {
                v.error("serviceName", "Service name \(quoted(name)) is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
            }
        }
        v.cluster(r.cluster)
        if r.effectiveDeploymentController == .ecs, (r.taskDefinition ?? "").isEmpty {
            v.error("taskDefinition", "A task definition must be specified for a service that uses the ECS deployment controller.")
        }
        switch strategy {
        case .replica:
            if r.desiredCount == nil, r.effectiveDeploymentController == .ecs {
                v.error("desiredCount", "desiredCount is required for services with the REPLICA scheduling strategy.")
            }
        case .daemon:
            if r.desiredCount != nil { v.error("desiredCount", "The daemon scheduling strategy does not support a desired count for services.") }
            if r.launchType == .fargate { v.error("schedulingStrategy", "The daemon scheduling strategy is not supported with the FARGATE launch type.") }
            if let max = r.deploymentConfiguration?.maximumPercent, max != 100 {
                v.error("deploymentConfiguration.maximumPercent", "The maximumPercent of a service with the DAEMON scheduling strategy must be 100, got \(max).")
            }
        }
        v.desiredCount(r.desiredCount)
        if r.launchType != nil, !(r.capacityProviderStrategy ?? []).isEmpty {
            v.error("capacityProviderStrategy", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
        }
        if let token = r.clientToken, !(1...36).contains(token.count) || !token.utf8.allSatisfy({ (33...126).contains($0) }) {
            v.error("clientToken", "clientToken must be 1-36 printable ASCII characters.")
        }
        v.common(deploymentConfiguration: r.deploymentConfiguration, strategy: strategy, desiredCount: r.desiredCount,
                 controller: r.deploymentController, grace: r.healthCheckGracePeriodSeconds, network: r.networkConfiguration,
                 constraints: r.placementConstraints, placement: r.placementStrategy, capacity: r.capacityProviderStrategy)
        v.diag.append(contentsOf: placement(launchType: r.requestedLaunchType, constraints: r.placementConstraints, strategy: r.placementStrategy))
        if let tags = r.tags { TagRules.check(tags, at: .root / "tags", v.diag, exception: .invalidParameterException) }
        v.unsupported(r)
        v.ignored(exec: r.enableExecuteCommand, network: r.networkConfiguration, alarms: r.deploymentConfiguration?.alarms)
        if r.role != nil { v.warning("role", "role is stored and echoed as roleArn but has no effect: Berth's agent registers load balancer targets itself.") }
        return v.diag.problems
    }

    /// Placement on the service's launch type (§1.8): Fargate refuses constraints and strategies
    /// (ECS's texts); on one host every strategy is met, and constraints are not evaluated.
    public static func placement(launchType: LaunchType?, constraints: [PlacementConstraint]?, strategy: [PlacementStrategy]?) -> [Problem] {
        let v = ServiceChecks()
        if launchType == .fargate {
            if !(constraints ?? []).isEmpty { v.error("placementConstraints", "Placement constraints are not supported with FARGATE launch type.") }
            if !(strategy ?? []).isEmpty { v.error("placementStrategy", "Placement strategies are not supported with FARGATE launch type.") }
        } else if !(constraints ?? []).isEmpty {
            v.error("placementConstraints", "placementConstraints are not supported by Berth: memberOf and distinctInstance are not evaluated on a single host.",
                    exception: .unsupportedFeatureException)
        }
        return v.diag.problems
    }

    public static func validate(_ request: UpdateServiceRequest) -> [Problem] {
        let v = ServiceChecks()
        let r = request
        if let service = r.service, service.isEmpty { v.error("service", "service should not be null or empty.") }
        v.cluster(r.cluster)
        if let td = r.taskDefinition, td.isEmpty { v.error("taskDefinition", "taskDefinition should not be empty.") }
        v.desiredCount(r.desiredCount)
        v.common(deploymentConfiguration: r.deploymentConfiguration, strategy: nil, desiredCount: r.desiredCount,
                 controller: r.deploymentController, grace: r.healthCheckGracePeriodSeconds, network: r.networkConfiguration,
                 constraints: r.placementConstraints, placement: r.placementStrategy, capacity: r.capacityProviderStrategy)
        v.unsupported(r)
        v.ignored(exec: r.enableExecuteCommand, network: r.networkConfiguration, alarms: r.deploymentConfiguration?.alarms)
        return v.diag.problems
    }
}

/// Checks shared by CreateService and UpdateService.
final class ServiceChecks {
    let diag = Diagnostics()

    func error(_ path: String, _ message: String, exception: ECSExceptionName = .invalidParameterException) {
        diag.error(Self.path(path), message, exception: exception)
    }
    func warning(_ path: String, _ message: String) { diag.warning(Self.path(path), message) }

    static func path(_ dotted: String) -> JSONPath {
        JSONPath(dotted.split(separator: ".").map { .key(String($0)) })
    }

    func cluster(_ cluster: String?) {
        guard let cluster, !cluster.isEmpty, !cluster.hasPrefix("arn:") else { return }
        if !Names.isValidName(cluster) {
            error("cluster", "Cluster name \(quoted(cluster)) is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
        }
    }

    func desiredCount(_ count: Int?) {
        if let count, !(0...5000).contains(count) { error("desiredCount", "desiredCount must be between 0 and 5000, got \(count).") }
    }

    func common(
        deploymentConfiguration dc: ServiceDeploymentConfiguration?, strategy: SchedulingStrategy?, desiredCount: Int?,
        controller: DeploymentController?, grace: Int?, network: NetworkConfiguration?,
        constraints: [PlacementConstraint]?, placement: [PlacementStrategy]?, capacity: [CapacityProviderStrategyItem]?
    ) {
        if let type = controller?.type, type != .ecs {
            error("deploymentController.type", "deploymentController.type \(type.rawValue) is not supported by Berth: only ECS (rolling update).",
                  exception: .unsupportedFeatureException)
        }
        if let dc { deployment(dc, strategy: strategy, desiredCount: desiredCount) }
        capacityProviders(capacity)
        if let grace, grace < 0 {
            error("healthCheckGracePeriodSeconds", "healthCheckGracePeriodSeconds must be between 0 and 2147483647, got \(grace).")
        }
        if let vpc = network?.awsvpcConfiguration {
            if let subnets = vpc.subnets, subnets.isEmpty || subnets.count > 16 {
                error("networkConfiguration.awsvpcConfiguration.subnets", "awsvpcConfiguration needs 1 to 16 subnets, got \(subnets.count).")
            }
            if let groups = vpc.securityGroups, groups.count > 5 {
                error("networkConfiguration.awsvpcConfiguration.securityGroups", "awsvpcConfiguration allows at most 5 security groups, got \(groups.count).")
            }
        }
        if let constraints, constraints.count > 10 {
            error("placementConstraints", "At most 10 placement constraints are allowed, got \(constraints.count).")
        }
        if let placement, placement.count > 5 {
            error("placementStrategy", "At most 5 placement strategies are allowed, got \(placement.count).")
        }
    }

    /// `deploymentConfiguration` (§5.2); settings of the strategies Berth does not implement are refused by name.
    func deployment(_ dc: ServiceDeploymentConfiguration, strategy: SchedulingStrategy?, desiredCount: Int?) {
        if let min = dc.minimumHealthyPercent, !(0...100).contains(min) {
            error("deploymentConfiguration.minimumHealthyPercent", "minimumHealthyPercent must be between 0 and 100, got \(min).")
        }
        if let max = dc.maximumPercent, max < 100, strategy != .daemon {
            error("deploymentConfiguration.maximumPercent", "maximumPercent must be at least 100, got \(max).")
        }
        if let s = dc.strategy, s != .rolling {
            error("deploymentConfiguration.strategy", "deploymentConfiguration.strategy \(s.rawValue) is not supported by Berth: Berth implements ROLLING deployments only.",
                  exception: .unsupportedFeatureException)
        }
        if strategy == .replica, (dc.maximumPercent ?? 200) == 100, (dc.minimumHealthyPercent ?? 100) == 100, (desiredCount ?? 0) > 0 {
            warning("deploymentConfiguration", "With minimumHealthyPercent 100 and maximumPercent 100 a deployment can neither start nor stop a task: it will stall with the event 'unable to stop or start tasks during a deployment because of the service deployment configuration'.")
        }
        let strategyOnly: [(String, Bool)] = [
            ("bakeTimeInMinutes", dc.bakeTimeInMinutes != nil), ("lifecycleHooks", !(dc.lifecycleHooks?.arrayValue ?? []).isEmpty),
            ("linearConfiguration", dc.linearConfiguration != nil), ("canaryConfiguration", dc.canaryConfiguration != nil),
        ]
        for (key, given) in strategyOnly where given {
            error("deploymentConfiguration.\(key)", "deploymentConfiguration.\(key) is a setting of BLUE_GREEN, LINEAR and CANARY deployments, which Berth does not implement: Berth implements ROLLING deployments only.",
                  exception: .unsupportedFeatureException)
        }
        if dc.alarms?.enable == true {
            error("deploymentConfiguration.alarms", "deploymentConfiguration.alarms is not supported by Berth (no CloudWatch alarms).", exception: .unsupportedFeatureException)
        }
    }

    /// A one-host Fargate has the FARGATE and FARGATE_SPOT providers only.
    func capacityProviders(_ items: [CapacityProviderStrategyItem]?) {
        for (i, item) in (items ?? []).enumerated() {
            if let name = item.capacityProvider, !CapacityProviderStrategyItem.fargateProviders.contains(name) {
                error("capacityProviderStrategy", "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
            }
            if let weight = item.weight, !(0...1000).contains(weight) {
                error("capacityProviderStrategy", "capacityProviderStrategy[\(i)].weight must be between 0 and 1000, got \(weight).")
            }
            if let base = item.base, !(0...100000).contains(base) {
                error("capacityProviderStrategy", "capacityProviderStrategy[\(i)].base must be between 0 and 100000, got \(base).")
            }
        }
        if (items ?? []).filter({ ($0.base ?? 0) > 0 }).count > 1 {
            error("capacityProviderStrategy", "Only one capacity provider in a strategy can have a base defined.")
        }
    }

    /// Members that need EBS or VPC Lattice, which a one-host runner does not have: refused by
    /// name, never silently ignored. `serviceRegistries` (Cloud Map) and
    /// `serviceConnectConfiguration` are checked here by themselves and against the agent's
    /// Cloud Map and the task definition by the agent.
    func unsupported(_ r: some ServiceRequestMembers) {
        let given: [(String, Bool)] = [
            ("volumeConfigurations", !(r.volumeConfigurations?.arrayValue ?? []).isEmpty),
            ("vpcLatticeConfigurations", !(r.vpcLatticeConfigurations?.arrayValue ?? []).isEmpty),
        ]
        for (key, present) in given where present {
            error(key, "\(key) is not supported by Berth (a single host has no EBS volumes or VPC Lattice).", exception: .unsupportedFeatureException)
        }
        loadBalancers(r.loadBalancers ?? [])
        serviceRegistries(r.serviceRegistries ?? [])
        serviceConnectProxy(r.serviceConnectConfiguration)
    }

    /// Service Connect members that configure ECS's Envoy proxy, which Berth does not run
    /// (the rest of `serviceConnectConfiguration` is checked by the agent against Cloud Map).
    func serviceConnectProxy(_ config: JSONValue?) {
        func given(_ v: JSONValue?) -> Bool { v.map { !$0.isNull } ?? false }
        func refuse(_ at: String) {
            error(at, "\(at) configures the Service Connect proxy, which Berth does not run.", exception: .unsupportedFeatureException)
        }
        guard let o = config?.objectValue else { return }
        for k in ["logConfiguration", "accessLogConfiguration"] where given(o[k]) { refuse("serviceConnectConfiguration.\(k)") }
        for (i, s) in (o["services"]?.arrayValue ?? []).enumerated() {
            for k in ["ingressPortOverride", "timeout", "tls"] where given(s[k]) { refuse("serviceConnectConfiguration.services[\(i)].\(k)") }
            for (j, a) in (s["clientAliases"]?.arrayValue ?? []).enumerated() where given(a["testTrafficRules"]) {
                refuse("serviceConnectConfiguration.services[\(i)].clientAliases[\(j)].testTrafficRules")
            }
        }
    }

    /// `serviceRegistries[]` by itself: one Cloud Map service ARN, a port or a container name and port.
    func serviceRegistries(_ items: [ServiceRegistry]) {
        if items.count > 1 { error("serviceRegistries", "A service can have at most 1 service registry, got \(items.count).") }
        for (i, sr) in items.enumerated() {
            let at = "serviceRegistries[\(i)]"
            if (sr.registryArn ?? "").isEmpty {
                error(at + ".registryArn", "registryArn should not be null or empty.")
            } else if let arn = sr.registryArn, !(arn.hasPrefix("arn:aws:servicediscovery:") && arn.contains(":service/srv-")) {
                error(at + ".registryArn", "registryArn \(arn.prefix(256)) is not a Cloud Map service ARN (arn:aws:servicediscovery:REGION:ACCOUNT:service/srv-ID).")
            } else if (sr.containerName == nil) != (sr.containerPort == nil) {
                error(at, "containerName and containerPort must be specified together.")
            } else if sr.port != nil && sr.containerPort != nil {
                error(at, "port and containerPort cannot both be specified: port is for awsvpc tasks, containerName and containerPort for any network mode.")
            } else if let p = sr.port ?? sr.containerPort, !(1...65535).contains(p) {
                error(at, "The port must be between 1 and 65535, got \(p).")
            }
        }
    }

    /// `loadBalancers[]` by itself: target groups of application or network load balancers
    /// (whether the group exists and the container has the port is the agent's check).
    func loadBalancers(_ items: [LoadBalancer]) {
        if items.count > 5 { error("loadBalancers", "A service can have at most 5 load balancers, got \(items.count).") }
        for (i, lb) in items.enumerated() {
            let at = "loadBalancers[\(i)]"
            if let name = lb.loadBalancerName, !name.isEmpty {
                error(at + ".loadBalancerName", "Classic Load Balancers (loadBalancerName) are not supported by Berth: use the targetGroupArn of an application or network load balancer.",
                      exception: .unsupportedFeatureException)
            } else if (lb.targetGroupArn ?? "").isEmpty {
                error(at + ".targetGroupArn", "targetGroupArn should not be null or empty.")
            } else if let arn = lb.targetGroupArn, !(arn.hasPrefix("arn:aws:elasticloadbalancing:") && arn.contains(":targetgroup/")) {
                error(at + ".targetGroupArn", "targetGroupArn \(arn.prefix(256)) is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID).")
            } else if (lb.containerName ?? "").isEmpty {
                error(at + ".containerName", "containerName should not be null or empty.")
            } else if !(1...65535).contains(lb.containerPort ?? 0) {
                error(at + ".containerPort", "containerPort must be between 1 and 65535, got \(lb.containerPort.map(String.init) ?? "null").")
            } else if lb.advancedConfiguration != nil {
                error(at + ".advancedConfiguration", "advancedConfiguration (blue/green) is not supported by Berth: only rolling updates.",
                      exception: .unsupportedFeatureException)
            }
        }
    }

    func ignored(exec: Bool?, network: NetworkConfiguration?, alarms: DeploymentAlarms?) {
        if exec == true { warning("enableExecuteCommand", "enableExecuteCommand is stored but ECS Exec (SSM sessions) is not available in Berth.") }
        if network?.awsvpcConfiguration != nil {
            warning("networkConfiguration.awsvpcConfiguration", "Subnets, security groups and assignPublicIp are stored but not applied: each awsvpc task gets its own network namespace on this host.")
        }
        if alarms != nil, alarms?.enable != true {
            warning("deploymentConfiguration.alarms", "Disabled deployment alarms are accepted and not echoed: Berth has no CloudWatch alarms.")
        }
    }
}

/// The members CreateService and UpdateService share that Berth refuses when they ask for
/// something a single host does not have.
public protocol ServiceRequestMembers {
    var loadBalancers: [LoadBalancer]? { get }
    var serviceRegistries: [ServiceRegistry]? { get }
    var volumeConfigurations: JSONValue? { get }
    var vpcLatticeConfigurations: JSONValue? { get }
    var serviceConnectConfiguration: JSONValue? { get }
}

extension CreateServiceRequest: ServiceRequestMembers {}
extension UpdateServiceRequest: ServiceRequestMembers {}

extension CapacityProviderStrategyItem {
    /// The capacity providers every Berth cluster has (Fargate's).
    public static let fargateProviders: Set<String> = ["FARGATE", "FARGATE_SPOT"]
}

extension CreateServiceRequest {
    /// The launch type the request asks for: `launchType`, or FARGATE for a strategy of Fargate
    /// capacity providers; nil when the task definition decides.
    public var requestedLaunchType: LaunchType? {
        if let launchType { return launchType }
        guard let items = capacityProviderStrategy, !items.isEmpty else { return nil }
        return items.allSatisfy { CapacityProviderStrategyItem.fargateProviders.contains($0.capacityProvider ?? "") } ? .fargate : nil
    }
}

extension ECSValidation {
    /// Parses and checks a CreateService request.
    public static func validateCreateService(bytes: some Collection<UInt8>) -> (request: CreateServiceRequest?, problems: [Problem], syntaxError: JSONSyntaxError?) {
        do {
            let json = try JSONValue.parse(bytes: bytes)
            let (request, problems) = ServiceDocument.decodeCreate(json)
            return (request, problems + (request.map(ServiceValidator.validate) ?? []), nil)
        } catch {
            return (nil, [], error)
        }
    }
}

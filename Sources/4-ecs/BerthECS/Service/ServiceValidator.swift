import BerthJSON

/// Checks CreateService / UpdateService requests (§5.1, §5.2, §5.7) and says what Berth ignores.
/// Errors are InvalidParameterException (ECS's exception for bad service parameters).
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
        if let token = r.clientToken, token.count > 36 { v.error("clientToken", "clientToken must be at most 36 characters, got \(token.count).") }
        v.common(deploymentConfiguration: r.deploymentConfiguration, strategy: strategy, desiredCount: r.desiredCount,
                 controller: r.deploymentController, grace: r.healthCheckGracePeriodSeconds, network: r.networkConfiguration,
                 constraints: r.placementConstraints, placement: r.placementStrategy)
        if let tags = r.tags { TagRules.check(tags, at: .root / "tags", v.diag, exception: .invalidParameterException) }
        v.ignored(loadBalancers: r.loadBalancers, registries: r.serviceRegistries, capacity: r.capacityProviderStrategy,
                  constraints: r.placementConstraints, placement: r.placementStrategy, serviceConnect: r.serviceConnectConfiguration,
                  volumes: r.volumeConfigurations, lattice: r.vpcLatticeConfigurations, exec: r.enableExecuteCommand,
                  network: r.networkConfiguration, alarms: r.deploymentConfiguration?.alarms)
        if r.role != nil { v.warning("role", "role is stored but has no effect: Berth registers no load balancer targets.") }
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
                 constraints: r.placementConstraints, placement: r.placementStrategy)
        v.ignored(loadBalancers: r.loadBalancers, registries: r.serviceRegistries, capacity: r.capacityProviderStrategy,
                  constraints: r.placementConstraints, placement: r.placementStrategy, serviceConnect: r.serviceConnectConfiguration,
                  volumes: r.volumeConfigurations, lattice: r.vpcLatticeConfigurations, exec: r.enableExecuteCommand,
                  network: r.networkConfiguration, alarms: r.deploymentConfiguration?.alarms)
        return v.diag.problems
    }
}

/// Checks shared by CreateService and UpdateService.
final class ServiceChecks {
    let diag = Diagnostics()

    func error(_ path: String, _ message: String) { diag.error(Self.path(path), message, exception: .invalidParameterException) }
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
        constraints: [PlacementConstraint]?, placement: [PlacementStrategy]?
    ) {
        if let type = controller?.type, type != .ecs {
            error("deploymentController.type", "Berth supports only the rolling update (ECS) deployment controller; \(type.rawValue) deployments are not available.")
        }
        if let dc {
            if let min = dc.minimumHealthyPercent, !(0...100).contains(min) {
                error("deploymentConfiguration.minimumHealthyPercent", "minimumHealthyPercent must be between 0 and 100, got \(min).")
            }
            if let max = dc.maximumPercent, max < 100, strategy != .daemon {
                error("deploymentConfiguration.maximumPercent", "maximumPercent must be at least 100, got \(max).")
            }
            if let s = dc.strategy, s != .rolling {
                error("deploymentConfiguration.strategy", "Berth deploys services with rolling updates only; strategy \(s.rawValue) is not available.")
            }
            if strategy == .replica, (dc.maximumPercent ?? 200) == 100, (dc.minimumHealthyPercent ?? 100) == 100, (desiredCount ?? 0) > 0 {
                warning("deploymentConfiguration", "With minimumHealthyPercent 100 and maximumPercent 100 a deployment can neither start nor stop a task: it will stall with the event 'unable to stop or start tasks during a deployment because of the service deployment configuration'.")
            }
        }
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

    func ignored(
        loadBalancers: [LoadBalancer]?, registries: [ServiceRegistry]?, capacity: [CapacityProviderStrategyItem]?,
        constraints: [PlacementConstraint]?, placement: [PlacementStrategy]?, serviceConnect: JSONValue?, volumes: JSONValue?,
        lattice: JSONValue?, exec: Bool?, network: NetworkConfiguration?, alarms: DeploymentAlarms?
    ) {
        if !(loadBalancers ?? []).isEmpty {
            warning("loadBalancers", "loadBalancers are stored but no load balancer is used: tasks are not registered as targets, so only container health checks count.")
        }
        if !(registries ?? []).isEmpty { warning("serviceRegistries", "serviceRegistries are stored but tasks are not registered in Cloud Map.") }
        if !(capacity ?? []).isEmpty { warning("capacityProviderStrategy", "capacityProviderStrategy is stored but not used: every task runs on this host.") }
        if !(constraints ?? []).isEmpty || !(placement ?? []).isEmpty {
            warning((constraints ?? []).isEmpty ? "placementStrategy" : "placementConstraints", "Placement constraints and strategies are stored but not evaluated: every task runs on this host.")
        }
        if serviceConnect != nil { warning("serviceConnectConfiguration", "serviceConnectConfiguration is stored but ignored: Berth has no Service Connect proxy.") }
        if volumes != nil { warning("volumeConfigurations", "volumeConfigurations (EBS) are stored but ignored: volumes configured at launch get an empty task-scoped directory.") }
        if lattice != nil { warning("vpcLatticeConfigurations", "vpcLatticeConfigurations are stored but ignored: Berth has no VPC Lattice.") }
        if exec == true { warning("enableExecuteCommand", "enableExecuteCommand is stored but ECS Exec (SSM sessions) is not available in Berth.") }
        if network?.awsvpcConfiguration != nil {
            warning("networkConfiguration.awsvpcConfiguration", "Subnets, security groups and assignPublicIp are stored but not applied: each awsvpc task gets its own network namespace on this host.")
        }
        if alarms != nil { warning("deploymentConfiguration.alarms", "Deployment alarms are stored but not evaluated: Berth has no CloudWatch alarms.") }
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

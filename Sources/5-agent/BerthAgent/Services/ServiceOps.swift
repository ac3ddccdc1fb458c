import BerthJSON
import BerthSys
import BerthController
import BerthECS

/// CreateService, UpdateService, DeleteService, DescribeServices, ListServices. Decisions
/// (validation of counts/percentages, new deployments, draining) are BerthController's; this
/// file parses the wire input, keeps the members the controller does not model, persists,
/// and wakes the service loop.
extension ECSBackend {
    static let serviceOperations = ["CreateService", "UpdateService", "DeleteService", "DescribeServices", "ListServices"]

    func dispatchService(_ operation: String, _ p: Params) throws(APIError) -> JSONValue? {
        switch operation {
        case "CreateService": return try createServiceOp(p)
        case "UpdateService": return try updateServiceOp(p)
        case "DeleteService": return try deleteServiceOp(p)
        case "DescribeServices": return try describeServicesOp(p)
        case "ListServices": return try listServicesOp(p)
        default: return nil
        }
    }

    // MARK: CreateService

    func createServiceOp(_ p: Params) throws(APIError) -> JSONValue {
        let request: CreateServiceRequest = try Self.serviceRequest(p)
        if let strategy = request.schedulingStrategy, strategy != .replica {
            throw APIError("UnsupportedFeatureException", "schedulingStrategy \(strategy.rawValue) is not supported by Berth: only REPLICA.")
        }
        // Tags are checked as every other operation's tags are (TagResource, RunTask).
        let tags = try request.tags.map(validTags) ?? []
        try Self.refuse(ServiceValidator.validate(request))
        let cluster = try requireCluster(p)
        let name = request.serviceName ?? ""
        let clientToken = request.clientToken
        let key = ServiceRecord.key(cluster: cluster.name, name: name)
        if let existing = services[key] {
            switch existing.state.status {
            case .active:
                if let clientToken, existing.clientToken == clientToken {
                    return ["service": serviceJSON(existing, includeTags: true, now: clock())]
                }
                throw .invalidParameter("Creation of service was not idempotent.")
            case .draining: throw .invalidParameter("Unable to Start a service that is still Draining.")
            case .inactive: break
            }
        }
        let td = try lookupTaskDefinition(request.taskDefinition ?? "")
        guard td.status == "ACTIVE" else { throw .client("TaskDefinition is inactive") }
        // Neither a launch type nor a strategy: the cluster's default strategy, as in ECS.
        let clusterStrategy = request.launchType == nil && (request.capacityProviderStrategy ?? []).isEmpty ? defaultStrategyItems(cluster) : nil
        let launchType = request.requestedLaunchType ?? (clusterStrategy != nil ? .fargate : nil)
            ?? ((td.taskDefinition["requiresCompatibilities"]?.arrayValue ?? []).contains("FARGATE") ? .fargate : .ec2)
        try Self.refuse(ServiceValidator.placement(launchType: launchType, constraints: request.placementConstraints, strategy: request.placementStrategy))
        try checkLoadBalancers(request.loadBalancers ?? [], taskDefinition: td)
        try checkServiceRegistries(request.serviceRegistries ?? [], taskDefinition: td)
        let serviceConnect = try checkServiceConnect(request.serviceConnectConfiguration, cluster: cluster, taskDefinition: td)
        let input = CreateServiceInput(
            serviceName: name, serviceArn: arns.service(cluster: cluster.name, name: name), clusterArn: arns.cluster(cluster.name),
            taskDefinition: td.arn, desiredCount: request.desiredCount ?? 0,
            deploymentConfiguration: deploymentConfiguration(request.deploymentConfiguration, base: DeploymentConfiguration()),
            healthCheckGracePeriodSeconds: request.healthCheckGracePeriodSeconds ?? 0)
        let state: ServiceState
        do { state = try BerthController.createService(input, now: clock()) } catch { throw APIError(error) }
        var record = ServiceRecord(cluster: cluster.name, state: state, launchType: launchType)
        record.platformVersion = request.platformVersion ?? (launchType == .fargate ? "LATEST" : nil)
        record.networkConfiguration = request.networkConfiguration
        record.tags = tags
        record.propagateTags = request.propagateTags ?? .none
        record.enableECSManagedTags = request.enableECSManagedTags ?? false
        record.enableExecuteCommand = request.enableExecuteCommand ?? false
        record.clientToken = clientToken
        record.loadBalancers = request.loadBalancers ?? []
        record.serviceRegistries = request.serviceRegistries ?? []
        if let (spec, ns) = serviceConnect { try ensureServiceConnectServices(spec, ns) }
        record.serviceConnect = request.serviceConnectConfiguration
        record.serviceConnectNamespaceId = serviceConnect?.1.id
        record.capacityProviderStrategy = request.capacityProviderStrategy.flatMap { $0.isEmpty ? nil : $0 } ?? clusterStrategy
        record.placementStrategy = request.placementStrategy ?? []
        record.roleArn = request.role.map { $0.hasPrefix("arn:") ? $0 : "arn:aws:iam::\(config.accountId):role/\($0)" }
        // ECS's default since 2025-06-30, except for binpack services (ecs-extensions.md §1).
        record.availabilityZoneRebalancing = request.availabilityZoneRebalancing
            ?? (record.placementStrategy.contains { $0.type == .binpack } ? .disabled : .enabled)
        save(service: record)
        return ["service": serviceJSON(record, includeTags: true, now: clock())]
    }

    /// The request read once into its BerthECS model; the first problem (a member of the wrong
    /// type, an unknown member or enum value, a missing required member) is the answer.
    static func serviceRequest<Request: JSONShape>(_ p: Params) throws(APIError) -> Request {
        let (request, problems) = JSONRequest.decode(p.json, as: Request.self)
        try refuse(problems)
        guard let request else { throw .serialization("Request body must be a JSON object, got \(p.json.typeName).") }
        return request
    }

    /// The first error of BerthECS's checks is the answer (ServiceValidator decides what is refused).
    static func refuse(_ problems: [Problem]) throws(APIError) {
        if let error = problems.ecsError { throw APIError(error) }
    }

    /// `deploymentConfiguration` members over `base` (members not given keep their value); the
    /// request was checked by ServiceValidator.
    func deploymentConfiguration(_ d: ServiceDeploymentConfiguration?, base: DeploymentConfiguration) -> DeploymentConfiguration {
        guard let d else { return base }
        var config = base
        if let v = d.minimumHealthyPercent { config.minimumHealthyPercent = v }
        if let v = d.maximumPercent { config.maximumPercent = v }
        if let b = d.deploymentCircuitBreaker, let enable = b.enable, let rollback = b.rollback {
            config.deploymentCircuitBreaker = CircuitBreakerConfiguration(enable: enable, rollback: rollback)
        }
        return config
    }

    // MARK: UpdateService

    func updateServiceOp(_ p: Params) throws(APIError) -> JSONValue {
        let request: UpdateServiceRequest = try Self.serviceRequest(p)
        try Self.refuse(ServiceValidator.validate(request))
        let cluster = try requireCluster(p)
        var record = try requireService(request.service ?? "", cluster: cluster.name)
        if let items = request.capacityProviderStrategy, items.isEmpty != (record.capacityProviderStrategy == nil) {
            throw .invalidParameter(items.isEmpty
                ? "capacityProviderStrategy cannot be emptied: the cluster has no default capacity provider strategy."
                : "capacityProviderStrategy cannot be set on a service created with a launch type: Berth keeps launchType \(record.launchType.rawValue).")
        }
        try Self.refuse(ServiceValidator.placement(launchType: record.launchType, constraints: request.placementConstraints, strategy: request.placementStrategy))
        var taskDefinition: String?
        if let ref = request.taskDefinition {
            let td = try lookupTaskDefinition(ref)
            guard td.status == "ACTIVE" || td.arn == record.state.taskDefinition else { throw .client("TaskDefinition is inactive") }
            taskDefinition = td.arn
        }
        var force = request.forceNewDeployment ?? false
        if let lbs = request.loadBalancers {
            try checkLoadBalancers(lbs, taskDefinition: try lookupTaskDefinition(taskDefinition ?? record.state.taskDefinition))
            // As in ECS, changing the load balancers starts a new deployment.
            if lbs != record.loadBalancers { force = true }
        } else if let td = taskDefinition, !record.loadBalancers.isEmpty {
            try checkLoadBalancers(record.loadBalancers, taskDefinition: try lookupTaskDefinition(td))
        }
        // Discovery settings are checked against the task definition the service will run
        // (looked up only when there are some: a service's old definition may be deleted).
        let registries = request.serviceRegistries ?? record.serviceRegistries
        let connectJSON = request.serviceConnectConfiguration ?? record.serviceConnect
        var serviceConnect: (ServiceConnectSpec, CMNamespace)?
        if !registries.isEmpty || !(connectJSON?.isNull ?? true) {
            let td = try lookupTaskDefinition(taskDefinition ?? record.state.taskDefinition)
            try checkServiceRegistries(registries, taskDefinition: td)
            serviceConnect = try checkServiceConnect(connectJSON, cluster: cluster, taskDefinition: td,
                                                     keptNamespace: request.serviceConnectConfiguration == nil ? record.serviceConnectNamespaceId : nil)
        }
        // As in ECS, other registries or Service Connect settings start a new deployment.
        if registries != record.serviceRegistries { force = true }
        if request.serviceConnectConfiguration != nil && request.serviceConnectConfiguration != record.serviceConnect { force = true }
        if let network = request.networkConfiguration, network != record.networkConfiguration { force = true }
        if let platform = request.platformVersion, platform != record.platformVersion { force = true }
        let input = UpdateServiceInput(
            desiredCount: request.desiredCount, taskDefinition: taskDefinition,
            deploymentConfiguration: deploymentConfiguration(request.deploymentConfiguration, base: record.state.deploymentConfiguration),
            healthCheckGracePeriodSeconds: request.healthCheckGracePeriodSeconds, forceNewDeployment: force)
        do { record.state = try BerthController.updateService(record.state, input, now: clock()) } catch {
            throw APIError(error)
        }
        if let network = request.networkConfiguration { record.networkConfiguration = network }
        if let platform = request.platformVersion { record.platformVersion = platform }
        if let propagate = request.propagateTags { record.propagateTags = propagate }
        if let managed = request.enableECSManagedTags { record.enableECSManagedTags = managed }
        if let exec = request.enableExecuteCommand { record.enableExecuteCommand = exec }
        if let items = request.capacityProviderStrategy, !items.isEmpty { record.capacityProviderStrategy = items }
        if let placement = request.placementStrategy { record.placementStrategy = placement }
        if let rebalancing = request.availabilityZoneRebalancing { record.availabilityZoneRebalancing = rebalancing }
        if let lbs = request.loadBalancers { record.loadBalancers = lbs }
        if let registries = request.serviceRegistries { record.serviceRegistries = registries }
        if let (spec, ns) = serviceConnect { try ensureServiceConnectServices(spec, ns) }
        record.serviceConnect = connectJSON
        record.serviceConnectNamespaceId = serviceConnect?.1.id
        save(service: record)
        return ["service": serviceJSON(record, includeTags: false, now: clock())]
    }

    // MARK: DeleteService

    func deleteServiceOp(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        var record = try requireService(p, key: "service", cluster: cluster.name)
        let force = try p.bool("force") ?? false
        do { record.state = try BerthController.deleteService(record.state, force: force, now: clock()) } catch {
            throw APIError(error)
        }
        save(service: record)
        return ["service": serviceJSON(record, includeTags: false, now: clock())]
    }

    // MARK: DescribeServices, ListServices

    func describeServicesOp(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        guard let refs = try p.stringList("services"), !refs.isEmpty else { throw .invalidParameter("Services cannot be empty.") }
        guard refs.count <= 10 else { throw .invalidParameter("At most 10 services can be described at once.") }
        let include = try p.stringList("include") ?? []
        for i in include where i != "TAGS" { throw .invalidParameter("Invalid include value '\(i)'.") }
        let now = clock()
        var found: [JSONValue] = []
        var failures: [JSONValue] = []
        for ref in refs {
            if let r = findService(ref, cluster: cluster.name) {
                found.append(serviceJSON(r, includeTags: include.contains("TAGS"), now: now))
            } else {
                let arn = ref.hasPrefix("arn:") ? ref : arns.service(cluster: cluster.name, name: ref)
                failures.append(["arn": .string(arn), "reason": "MISSING"])
            }
        }
        return ["services": .array(found), "failures": .array(failures)]
    }

    func listServicesOp(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        let launchType = try p.string("launchType")
        if let launchType, !Self.launchTypes.contains(launchType) { throw .invalidParameter("Invalid launchType '\(launchType)'.") }
        let strategy = try p.string("schedulingStrategy")
        if let strategy, !["REPLICA", "DAEMON"].contains(strategy) { throw .invalidParameter("Invalid schedulingStrategy '\(strategy)'.") }
        _ = try p.string("resourceManagementType")
        let arnList = services.values.filter { r in
            r.cluster == cluster.name && r.state.status == .active && (launchType == nil || r.launchType.rawValue == launchType)
                && (strategy == nil || strategy == "REPLICA")
        }.map(\.state.serviceArn).sorted()
        let (page, next) = try Pagination.page(arnList, params: p, list: "services:\(cluster.name)", defaultMax: 10)
        return .obj([("serviceArns", .array(page.map(JSONValue.string))), ("nextToken", next.map(JSONValue.string))])
    }

    // MARK: lookups and persistence

    func findService(_ ref: String, cluster: String) -> ServiceRecord? {
        guard let (c, name) = arns.serviceRef(ref), c == nil || c == cluster else { return nil }
        return services[ServiceRecord.key(cluster: cluster, name: name)]
    }

    func requireService(_ p: Params, key: String, cluster: String) throws(APIError) -> ServiceRecord {
        try requireService(try p.requiredString(key), cluster: cluster)
    }

    func requireService(_ ref: String, cluster: String) throws(APIError) -> ServiceRecord {
        guard let r = findService(ref, cluster: cluster) else {
            throw APIError("ServiceNotFoundException", "Service not found.")
        }
        return r
    }

    func save(service r: ServiceRecord) {
        services[r.key] = r
        do { try store.save("services", r.key, r.json) } catch { log("could not persist services/\(r.key): \(error)") }
        serviceSignal.poke()
    }

    /// Services of a cluster that keep it from being deleted (ACTIVE or DRAINING).
    func activeServiceCount(_ cluster: String) -> Int {
        services.values.filter { $0.cluster == cluster && $0.state.status != .inactive }.count
    }

    func loadServices() {
        try? Files.makeDirectories("\(store.root)/services", mode: 0o700)
        for j in store.loadAll("services") {
            do {
                let r = try ServiceRecord(json: j)
                services[r.key] = r
            } catch {
                log("ignoring a service file that does not decode: \(error)")
            }
        }
        clusterDeletionGuard = { [unowned self] name in
            lock.withLock { activeServiceCount(name) > 0 } ? "The Cluster cannot be deleted while Services are active." : nil
        }
    }
}

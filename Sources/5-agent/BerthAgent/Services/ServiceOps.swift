import BerthJSON
import BerthSys
import BerthController

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
        let cluster = try requireCluster(p)
        let name = try p.requiredString("serviceName")
        guard isValidName(name) else {
            throw .invalidParameter("serviceName must be 1-255 characters: letters, digits, hyphens and underscores.")
        }
        try rejectUnsupported(p)
        if let strategy = try p.string("schedulingStrategy"), strategy != "REPLICA" {
            throw APIError("UnsupportedFeatureException", "schedulingStrategy \(strategy) is not supported by Berth: only REPLICA.")
        }
        let clientToken = try p.string("clientToken")
        if let clientToken, !(1...36).contains(clientToken.count) || !clientToken.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 }) {
            throw .invalidParameter("clientToken must be 1-36 printable ASCII characters.")
        }
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
        let td = try lookupTaskDefinition(try p.requiredString("taskDefinition"))
        guard td.status == "ACTIVE" else { throw .client("TaskDefinition is inactive") }
        guard let desired = try p.int("desiredCount") else {
            throw .invalidParameter("desiredCount is required for a service with the REPLICA scheduling strategy.")
        }
        let launchType = try p.string("launchType")
            ?? ((td.taskDefinition["requiresCompatibilities"]?.arrayValue ?? []).contains("FARGATE") ? "FARGATE" : "EC2")
        guard Self.launchTypes.contains(launchType) else { throw .invalidParameter("Invalid launchType '\(launchType)'.") }
        let config = try deploymentConfiguration(p, base: DeploymentConfiguration())
        let grace = try p.int("healthCheckGracePeriodSeconds") ?? 0
        let input = CreateServiceInput(
            serviceName: name, serviceArn: arns.service(cluster: cluster.name, name: name), clusterArn: arns.cluster(cluster.name),
            taskDefinition: td.arn, desiredCount: desired, deploymentConfiguration: config, healthCheckGracePeriodSeconds: grace)
        let state: ServiceState
        do { state = try BerthController.createService(input, now: clock()) } catch { throw APIError(error.type, error.message) }
        var record = ServiceRecord(cluster: cluster.name, state: state, launchType: launchType)
        record.platformVersion = try p.string("platformVersion") ?? (launchType == "FARGATE" ? "LATEST" : nil)
        record.networkConfiguration = try p.object("networkConfiguration")?.json
        record.tags = try p.tags() ?? []
        record.propagateTags = try propagateTags(p) ?? "NONE"
        record.enableECSManagedTags = try p.bool("enableECSManagedTags") ?? false
        record.enableExecuteCommand = try p.bool("enableExecuteCommand") ?? false
        record.clientToken = clientToken
        save(service: record)
        return ["service": serviceJSON(record, includeTags: true, now: clock())]
    }

    /// Members that need load balancers, Cloud Map, other controllers or placement a
    /// one-host runner does not have: refused with the member named, never silently ignored.
    func rejectUnsupported(_ p: Params) throws(APIError) {
        for key in ["loadBalancers", "serviceRegistries", "volumeConfigurations", "vpcLatticeConfigurations"] {
            if let items = try p.list(key), !items.isEmpty {
                throw APIError("UnsupportedFeatureException", "\(key) is not supported by Berth (a single host has no load balancers or service discovery).")
            }
        }
        if let sc = try p.object("serviceConnectConfiguration"), try sc.bool("enabled") == true {
            throw APIError("UnsupportedFeatureException", "serviceConnectConfiguration is not supported by Berth.")
        }
        if let controller = try p.object("deploymentController"), let type = try controller.string("type"), type != "ECS" {
            throw APIError("UnsupportedFeatureException", "deploymentController.type \(type) is not supported by Berth: only ECS (rolling update).")
        }
    }

    func propagateTags(_ p: Params) throws(APIError) -> String? {
        guard let value = try p.string("propagateTags") else { return nil }
        guard ["TASK_DEFINITION", "SERVICE", "NONE"].contains(value) else {
            throw .invalidParameter("propagateTags must be TASK_DEFINITION, SERVICE or NONE.")
        }
        return value
    }

    /// `deploymentConfiguration` members over `base` (members not given keep their value).
    func deploymentConfiguration(_ p: Params, base: DeploymentConfiguration) throws(APIError) -> DeploymentConfiguration {
        guard let d = try p.object("deploymentConfiguration") else { return base }
        var config = base
        if let v = try d.int("minimumHealthyPercent") { config.minimumHealthyPercent = v }
        if let v = try d.int("maximumPercent") { config.maximumPercent = v }
        if let b = try d.object("deploymentCircuitBreaker") {
            guard let enable = try b.bool("enable"), let rollback = try b.bool("rollback") else {
                throw .invalidParameter("deploymentConfiguration.deploymentCircuitBreaker needs both enable and rollback.")
            }
            config.deploymentCircuitBreaker = CircuitBreakerConfiguration(enable: enable, rollback: rollback)
        }
        if let strategy = try d.string("strategy"), strategy != "ROLLING" {
            throw APIError("UnsupportedFeatureException", "deploymentConfiguration.strategy \(strategy) is not supported by Berth: only ROLLING.")
        }
        if let alarms = try d.object("alarms"), try alarms.bool("enable") == true {
            throw APIError("UnsupportedFeatureException", "deploymentConfiguration.alarms is not supported by Berth (no CloudWatch alarms).")
        }
        return config
    }

    // MARK: UpdateService

    func updateServiceOp(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        var record = try requireService(p, key: "service", cluster: cluster.name)
        try rejectUnsupported(p)
        var taskDefinition: String?
        if let ref = try p.string("taskDefinition") {
            let td = try lookupTaskDefinition(ref)
            guard td.status == "ACTIVE" || td.arn == record.state.taskDefinition else { throw .client("TaskDefinition is inactive") }
            taskDefinition = td.arn
        }
        var force = try p.bool("forceNewDeployment") ?? false
        let network = try p.object("networkConfiguration")?.json
        if let network, network != record.networkConfiguration { force = true }
        let platform = try p.string("platformVersion")
        if let platform, platform != record.platformVersion { force = true }
        let input = UpdateServiceInput(
            desiredCount: try p.int("desiredCount"), taskDefinition: taskDefinition,
            deploymentConfiguration: try deploymentConfiguration(p, base: record.state.deploymentConfiguration),
            healthCheckGracePeriodSeconds: try p.int("healthCheckGracePeriodSeconds"), forceNewDeployment: force)
        let propagate = try propagateTags(p)
        let managed = try p.bool("enableECSManagedTags")
        let exec = try p.bool("enableExecuteCommand")
        do { record.state = try BerthController.updateService(record.state, input, now: clock()) } catch {
            throw APIError(error.type, error.message)
        }
        if let network { record.networkConfiguration = network }
        if let platform { record.platformVersion = platform }
        if let propagate { record.propagateTags = propagate }
        if let managed { record.enableECSManagedTags = managed }
        if let exec { record.enableExecuteCommand = exec }
        save(service: record)
        return ["service": serviceJSON(record, includeTags: false, now: clock())]
    }

    // MARK: DeleteService

    func deleteServiceOp(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        var record = try requireService(p, key: "service", cluster: cluster.name)
        let force = try p.bool("force") ?? false
        do { record.state = try BerthController.deleteService(record.state, force: force, now: clock()) } catch {
            throw APIError(error.type, error.message)
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
            r.cluster == cluster.name && r.state.status == .active && (launchType == nil || r.launchType == launchType)
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
        guard let r = findService(try p.requiredString(key), cluster: cluster) else {
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
            guard let r = ServiceRecord(json: j) else { log("ignoring a service file that does not decode"); continue }
            services[r.key] = r
        }
        clusterDeletionGuard = { [unowned self] name in
            lock.withLock { activeServiceCount(name) > 0 } ? "The Cluster cannot be deleted while Services are active." : nil
        }
    }
}

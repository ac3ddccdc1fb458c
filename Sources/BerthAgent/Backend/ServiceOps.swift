import BerthController
import Foundation

/// One service: the controller's state plus the members the agent keeps for the API.
struct ServiceRecord {
    var state: ServiceState
    /// launchType, platformVersion, networkConfiguration, tags, propagateTags, ... as given.
    var extras: JSON
    var cluster: String
    var name: String { state.serviceName }
    var key: String { "\(cluster)/\(name)" }

    var json: JSON {
        let encoded = (try? JSONEncoder().encode(state)).flatMap { try? JSONParser.parse(Array($0)) } ?? [:]
        return ["cluster": .string(cluster), "state": encoded, "extras": extras]
    }

    init(state: ServiceState, extras: JSON, cluster: String) {
        self.state = state
        self.extras = extras
        self.cluster = cluster
    }

    init?(json: JSON) {
        guard let cluster = json["cluster"]?.stringValue, let stateJSON = json["state"],
              let state = try? JSONDecoder().decode(ServiceState.self, from: Data(stateJSON.bytes)) else { return nil }
        self.init(state: state, extras: json["extras"] ?? [:], cluster: cluster)
    }
}

/// CreateService, UpdateService, DeleteService, DescribeServices, ListServices, and the
/// controller tick that turns its decisions into tasks (Docs/services.md, "What the agent does").
extension ECSBackend {
    static let serviceOperations: Set<String> = ["CreateService", "UpdateService", "DeleteService", "DescribeServices", "ListServices"]

    func dispatchService(_ operation: String, _ p: Params) throws(APIError) -> JSON {
        switch operation {
        case "CreateService": return try createService(p)
        case "UpdateService": return try updateService(p)
        case "DeleteService": return try deleteService(p)
        case "DescribeServices": return try describeServices(p)
        default: return try listServices(p)
        }
    }

    func persist(service s: ServiceRecord) { saveObject("services", s.key, s.json) }

    func loadServices() {
        for j in store.loadAll("services") {
            if let s = ServiceRecord(json: j) { services[s.key] = s } else { log("ignoring an unreadable service file") }
        }
    }

    func serviceError(_ e: ServiceError) -> APIError { APIError(e.type, e.message) }

    func deploymentConfiguration(_ p: Params?) throws(APIError) -> DeploymentConfiguration? {
        guard let p else { return nil }
        var c = DeploymentConfiguration()
        if let v = try p.int("minimumHealthyPercent") { c.minimumHealthyPercent = v }
        if let v = try p.int("maximumPercent") { c.maximumPercent = v }
        if let b = try p.object("deploymentCircuitBreaker") {
            c.deploymentCircuitBreaker = CircuitBreakerConfiguration(enable: try b.bool("enable") ?? false, rollback: try b.bool("rollback") ?? false)
        }
        return c
    }

    func resolveActiveTaskDefinition(_ ref: String) throws(APIError) -> TaskDefRecord {
        let td = try lookupTaskDefinition(ref)
        guard td.status == "ACTIVE" else { throw .client("TaskDefinition is inactive") }
        return td
    }

    func createService(_ p: Params) throws(APIError) -> JSON {
        let cluster = try requireCluster(p)
        let name = try p.requiredString("serviceName")
        guard isValidName(name) else { throw .invalidParameter("serviceName must be 1-255 letters, digits, hyphens and underscores.") }
        let key = "\(cluster.name)/\(name)"
        if let existing = services[key], existing.state.status != .inactive {
            throw .invalidParameter("Creation of service was not idempotent.")
        }
        let td = try resolveActiveTaskDefinition(try p.requiredString("taskDefinition"))
        let scheduling = try p.string("schedulingStrategy") ?? "REPLICA"
        guard scheduling == "REPLICA" else { throw .invalidParameter("Berth supports the REPLICA scheduling strategy only.") }
        if let controller = try p.object("deploymentController"), let type = try controller.string("type"), type != "ECS" {
            throw .invalidParameter("Berth supports the ECS deployment controller only (got \(type)).")
        }
        let launchType = try p.string("launchType")
        if let launchType, !Self.launchTypes.contains(launchType) { throw .invalidParameter("Invalid launchType '\(launchType)'.") }
        let tags = try p.tags() ?? []
        let propagate = try p.string("propagateTags") ?? "NONE"
        guard ["NONE", "SERVICE", "TASK_DEFINITION"].contains(propagate) else { throw .invalidParameter("Invalid propagateTags '\(propagate)'.") }
        let input = CreateServiceInput(
            serviceName: name, serviceArn: arns.service(cluster: cluster.name, name: name), clusterArn: arns.cluster(cluster.name),
            taskDefinition: td.arn, desiredCount: try p.int("desiredCount") ?? 0,
            deploymentConfiguration: try deploymentConfiguration(try p.object("deploymentConfiguration")) ?? DeploymentConfiguration(),
            healthCheckGracePeriodSeconds: try p.int("healthCheckGracePeriodSeconds") ?? 0)
        let state: ServiceState
        do { state = try BerthController.createService(input, now: clock()) } catch { throw serviceError(error) }
        let fargate = (td.taskDefinition["requiresCompatibilities"]?.arrayValue ?? []).contains("FARGATE")
        let extras = JSON.obj([
            ("launchType", .string(launchType ?? (fargate ? "FARGATE" : "EC2"))), ("platformVersion", try p.string("platformVersion").map(JSON.string)),
            ("networkConfiguration", try p.object("networkConfiguration")?.json), ("tags", tagsJSON(tags)),
            ("propagateTags", .string(propagate)), ("enableECSManagedTags", .bool(try p.bool("enableECSManagedTags") ?? false)),
            ("enableExecuteCommand", .bool(try p.bool("enableExecuteCommand") ?? false)),
            ("loadBalancers", try p.list("loadBalancers").map(JSON.array)), ("serviceRegistries", try p.list("serviceRegistries").map(JSON.array)),
            ("placementConstraints", try p.list("placementConstraints").map(JSON.array)), ("placementStrategy", try p.list("placementStrategy").map(JSON.array)),
        ])
        let record = ServiceRecord(state: state, extras: extras, cluster: cluster.name)
        services[key] = record
        persist(service: record)
        tickService(key)
        return ["service": serviceJSON(services[key]!, includeTags: true)]
    }

    func requireService(_ p: Params) throws(APIError) -> (ClusterRecord, ServiceRecord) {
        let cluster = try requireCluster(p)
        let ref = try p.requiredString("service")
        let name = ref.hasPrefix("arn:") ? String(ref.split(separator: "/").last ?? "") : ref
        guard let s = services["\(cluster.name)/\(name)"], s.state.status != .inactive else {
            throw APIError("ServiceNotFoundException", "Service not found.")
        }
        return (cluster, s)
    }

    func updateService(_ p: Params) throws(APIError) -> JSON {
        var (_, record) = try requireService(p)
        var tdArn: String?
        if let ref = try p.string("taskDefinition") { tdArn = try resolveActiveTaskDefinition(ref).arn }
        var force = try p.bool("forceNewDeployment") ?? false
        if let nc = try p.object("networkConfiguration"), nc.json != record.extras["networkConfiguration"] {
            record.extras["networkConfiguration"] = nc.json
            force = true
        }
        if let pv = try p.string("platformVersion"), JSON.string(pv) != record.extras["platformVersion"] {
            record.extras["platformVersion"] = .string(pv)
            force = true
        }
        if let e = try p.bool("enableExecuteCommand") { record.extras["enableExecuteCommand"] = .bool(e) }
        if let t = try p.string("propagateTags") { record.extras["propagateTags"] = .string(t) }
        let input = UpdateServiceInput(
            desiredCount: try p.int("desiredCount"), taskDefinition: tdArn,
            deploymentConfiguration: try deploymentConfiguration(try p.object("deploymentConfiguration")),
            healthCheckGracePeriodSeconds: try p.int("healthCheckGracePeriodSeconds"), forceNewDeployment: force)
        do { record.state = try BerthController.updateService(record.state, input, now: clock()) } catch { throw serviceError(error) }
        services[record.key] = record
        persist(service: record)
        tickService(record.key)
        return ["service": serviceJSON(services[record.key]!, includeTags: false)]
    }

    func deleteService(_ p: Params) throws(APIError) -> JSON {
        var (_, record) = try requireService(p)
        let force = try p.bool("force") ?? false
        do { record.state = try BerthController.deleteService(record.state, force: force, now: clock()) } catch {
            throw serviceError(error)
        }
        services[record.key] = record
        persist(service: record)
        tickService(record.key)
        return ["service": serviceJSON(services[record.key]!, includeTags: false)]
    }

    func describeServices(_ p: Params) throws(APIError) -> JSON {
        let cluster = try requireCluster(p)
        guard let refs = try p.stringList("services"), !refs.isEmpty else { throw .invalidParameter("services is required.") }
        guard refs.count <= 10 else { throw .invalidParameter("At most 10 services can be described at once.") }
        let includeTags = (try p.stringList("include") ?? []).contains("TAGS")
        var found: [JSON] = []
        var failures: [JSON] = []
        for ref in refs {
            let name = ref.hasPrefix("arn:") ? String(ref.split(separator: "/").last ?? "") : ref
            if let s = services["\(cluster.name)/\(name)"] {
                found.append(serviceJSON(s, includeTags: includeTags))
            } else {
                failures.append(["arn": .string(ref.hasPrefix("arn:") ? ref : arns.service(cluster: cluster.name, name: ref)), "reason": "MISSING"])
            }
        }
        return ["services": .array(found), "failures": .array(failures)]
    }

    func listServices(_ p: Params) throws(APIError) -> JSON {
        let cluster = try requireCluster(p)
        let launchType = try p.string("launchType")
        let scheduling = try p.string("schedulingStrategy")
        let arnsList = services.values.filter { s in
            s.cluster == cluster.name && s.state.status != .inactive
                && (launchType == nil || s.extras["launchType"]?.stringValue == launchType) && (scheduling == nil || scheduling == "REPLICA")
        }.map(\.state.serviceArn).sorted()
        let (page, next) = try Pagination.page(arnsList, params: p, list: "services:\(cluster.name)", defaultMax: 10)
        return .obj([("serviceArns", .array(page.map(JSON.string))), ("nextToken", next.map(JSON.string))])
    }

    func serviceJSON(_ r: ServiceRecord, includeTags: Bool) -> JSON {
        let s = r.state
        let e = r.extras
        let dc = s.deploymentConfiguration
        let breaker = dc.deploymentCircuitBreaker ?? CircuitBreakerConfiguration(enable: false, rollback: false)
        let deploymentConfiguration: JSON = [
            "deploymentCircuitBreaker": ["enable": .bool(breaker.enable), "rollback": .bool(breaker.rollback)],
            "maximumPercent": .int(dc.maximumPercent), "minimumHealthyPercent": .int(dc.minimumHealthyPercent),
        ]
        let deployments: [JSON] = s.deployments.map { d in
            .obj([("id", .string(d.id)), ("status", .string(d.status.rawValue)), ("taskDefinition", .string(d.taskDefinition)),
                  ("desiredCount", .int(d.desiredCount)), ("pendingCount", .int(d.pendingCount)), ("runningCount", .int(d.runningCount)),
                  ("failedTasks", .int(d.failedTasks)), ("createdAt", .timestamp(d.createdAt)), ("updatedAt", .timestamp(d.updatedAt)),
                  ("launchType", e["launchType"]), ("platformVersion", e["platformVersion"]), ("networkConfiguration", e["networkConfiguration"]),
                  ("rolloutState", .string(d.rolloutState.rawValue)), ("rolloutStateReason", .string(d.rolloutStateReason))])
        }
        return .obj([
            ("serviceArn", .string(s.serviceArn)), ("serviceName", .string(s.serviceName)), ("clusterArn", .string(s.clusterArn)),
            ("loadBalancers", e["loadBalancers"] ?? []), ("serviceRegistries", e["serviceRegistries"] ?? []),
            ("status", .string(s.status.rawValue)), ("desiredCount", .int(s.desiredCount)), ("runningCount", .int(s.runningCount)),
            ("pendingCount", .int(s.pendingCount)), ("launchType", e["launchType"]), ("platformVersion", e["platformVersion"]),
            ("taskDefinition", .string(s.taskDefinition)), ("deploymentConfiguration", deploymentConfiguration),
            ("deployments", .array(deployments)),
            ("events", .array(s.events.map { ["id": .string($0.id), "createdAt": .timestamp($0.createdAt), "message": .string($0.message)] })),
            ("createdAt", .timestamp(s.createdAt)), ("placementConstraints", e["placementConstraints"] ?? []),
            ("placementStrategy", e["placementStrategy"] ?? []), ("networkConfiguration", e["networkConfiguration"]),
            ("healthCheckGracePeriodSeconds", .int(s.healthCheckGracePeriodSeconds)), ("schedulingStrategy", "REPLICA"),
            ("deploymentController", ["type": "ECS"]), ("tags", includeTags ? tagsJSON(tagsFrom(e["tags"])) : nil),
            ("createdBy", .string("arn:aws:iam::\(config.accountId):root")), ("enableECSManagedTags", e["enableECSManagedTags"] ?? false),
            ("propagateTags", e["propagateTags"] ?? "NONE"), ("enableExecuteCommand", e["enableExecuteCommand"] ?? false),
        ])
    }

    // MARK: controller ticks

    /// Run the controller for every ACTIVE or DRAINING service (called by the agent's poller).
    public func tickServices() {
        lock.lock()
        for key in services.keys.sorted() where services[key]?.state.status != .inactive { tickService(key) }
        let work = deferred
        deferred = []
        lock.unlock()
        for w in work { w() }
    }

    /// One reconcile of one service; actions become tasks (launched after the lock is released).
    func tickService(_ key: String) {
        guard var record = services[key] else { return }
        let group = "service:\(record.name)"
        let observed: [ObservedTask] = tasks.values.filter { $0.cluster == record.cluster && $0.task["group"]?.stringValue == group }.map(observe)
        var ids = RandomIdentifiers()
        let result = reconcile(record.state, tasks: observed, now: clock(), ids: &ids)
        for action in result.actions {
            switch action {
            case .startTask(let order): startServiceTask(order, record: record)
            case .stopTask(let order):
                guard let (_, id) = arns.taskId(order.taskArn), let t = tasks[id] else { continue }
                requestStop(t, reason: order.reason, stopCode: order.stopCode.rawValue)
            }
        }
        if result.state != record.state {
            record.state = result.state
            services[key] = record
            persist(service: record)
        }
    }

    func startServiceTask(_ order: StartTaskOrder, record: ServiceRecord) {
        guard tasks[order.taskId] == nil else { return }
        guard let td = try? lookupTaskDefinition(order.taskDefinition) else {
            log("service \(record.name): task definition \(order.taskDefinition) is gone; cannot start a task")
            return
        }
        var tags: [(String, String)] = []
        switch record.extras["propagateTags"]?.stringValue {
        case "SERVICE": tags = tagsFrom(record.extras["tags"])
        case "TASK_DEFINITION": tags = td.tags
        default: break
        }
        createTask(cluster: record.cluster, id: order.taskId, td: td, effective: td.taskDefinition, overrides: nil,
                   startedBy: order.deploymentId, group: order.group, launchType: record.extras["launchType"]?.stringValue ?? "EC2",
                   tags: tags, clientToken: nil)
    }

    /// What the controller needs to know about a task (Docs/services.md, ObservedTask).
    func observe(_ r: TaskRecord) -> ObservedTask {
        let t = r.task
        let defs = r.plan.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        let essential = Set(defs.filter { $0["essential"]?.boolValue ?? true }.compactMap { $0["name"]?.stringValue })
        let hasHealthCheck = defs.contains { ($0["essential"]?.boolValue ?? true) && $0["healthCheck"] != nil }
        let exit = (t["containers"]?.arrayValue ?? []).first { essential.contains($0["name"]?.stringValue ?? "") && $0["exitCode"] != nil }?["exitCode"]?.intValue
        return ObservedTask(
            taskArn: r.arn, deploymentId: t["startedBy"]?.stringValue, taskDefinitionArn: r.plan.taskDefinitionArn,
            lastStatus: TaskStatus(rawValue: r.lastStatus) ?? .provisioning, desiredStatus: r.desiredStatus == "STOPPED" ? .stopped : .running,
            healthStatus: HealthStatus(rawValue: t["healthStatus"]?.stringValue ?? "UNKNOWN") ?? .unknown, hasHealthCheck: hasHealthCheck,
            createdAt: t["createdAt"]?.doubleValue ?? 0, startedAt: t["startedAt"]?.doubleValue, stoppedAt: t["stoppedAt"]?.doubleValue,
            stopCode: t["stopCode"]?.stringValue.flatMap(StopCode.init(rawValue:)), stoppedReason: t["stoppedReason"]?.stringValue,
            essentialExitCode: exit)
    }

    /// Active services in a cluster block its deletion.
    func activeServices(in cluster: String) -> Int {
        services.values.filter { $0.cluster == cluster && $0.state.status == .active }.count
    }
}

import BerthJSON
import BerthController
import BerthECS

extension ARNFormat {
    /// `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`.
    public func service(cluster: String, name: String) -> String { prefix + "service/\(cluster)/\(name)" }

    /// A `service` parameter: a name, or an ARN (`service/<cluster>/<name>` or legacy `service/<name>`).
    public func serviceRef(_ value: String) -> (cluster: String?, name: String)? {
        guard value.hasPrefix("arn:") else { return (nil, value) }
        guard let r = resource(of: value), r.type == "service" else { return nil }
        if r.path.count == 2 { return (r.path[0], r.path[1]) }
        if r.path.count == 1 { return (nil, r.path[0]) }
        return nil
    }
}

/// ECS `Service` / `Deployment` / `ServiceEvent` shapes (botocore's service-2.json) from a
/// `ServiceRecord`; with a capacity provider strategy ECS shows it instead of `launchType`. Throttle details, which ECS does not expose, go in the Berth extension
/// member `berthThrottle` (present only while launches are held back; SDKs ignore it).
extension ECSBackend {
    func serviceJSON(_ r: ServiceRecord, includeTags: Bool, now: Double) -> JSONValue {
        let s = r.state
        var members: [(String, JSONValue?)] = [
            ("serviceArn", .string(s.serviceArn)), ("serviceName", .string(s.serviceName)), ("clusterArn", .string(s.clusterArn)),
            ("loadBalancers", r.loadBalancers.jsonValue), ("serviceRegistries", r.serviceRegistries.jsonValue), ("status", .string(s.status.rawValue)),
            ("desiredCount", .int(s.desiredCount)), ("runningCount", .int(s.runningCount)), ("pendingCount", .int(s.pendingCount)),
            ("launchType", r.capacityProviderStrategy == nil ? r.launchType.jsonValue : nil),
            ("capacityProviderStrategy", r.capacityProviderStrategy?.jsonValue),
            ("platformVersion", r.platformVersion.map(JSONValue.string)),
            ("platformFamily", r.launchType == .fargate ? "Linux" : nil),
            ("taskDefinition", .string(s.taskDefinition)),
            ("deploymentConfiguration", deploymentConfigurationJSON(s.deploymentConfiguration)),
            ("deployments", .array(s.listedDeployments.map { deploymentJSON($0, r) })),
            ("events", .array(s.events.map { ["id": .string($0.id), "createdAt": .timestamp($0.createdAt), "message": .string($0.message)] })),
            ("createdAt", .timestamp(s.createdAt)), ("placementConstraints", []), ("placementStrategy", r.placementStrategy.jsonValue),
            ("networkConfiguration", r.networkConfiguration?.jsonValue),
            ("healthCheckGracePeriodSeconds", .int(s.healthCheckGracePeriodSeconds)), ("schedulingStrategy", "REPLICA"),
            ("deploymentController", ["type": "ECS"]), ("tags", includeTags ? tagsJSON(r.tags) : nil),
            ("enableECSManagedTags", .bool(r.enableECSManagedTags)), ("propagateTags", r.propagateTags.jsonValue),
            ("enableExecuteCommand", .bool(r.enableExecuteCommand)), ("roleArn", r.roleArn.map(JSONValue.string)),
            ("availabilityZoneRebalancing", (r.availabilityZoneRebalancing ?? .disabled).jsonValue),
        ]
        if let t = s.throttleStatus(now: now) {
            members.append(("berthThrottle", .obj([
                ("until", .timestamp(t.until)), ("delaySeconds", .double(t.delaySeconds)),
                ("consecutiveFailures", .int(t.consecutiveFailures)), ("reason", .string(t.reason)),
                ("message", .string(t.description)),
            ])))
        }
        return .obj(members)
    }

    func deploymentConfigurationJSON(_ c: DeploymentConfiguration) -> JSONValue {
        let breaker = c.deploymentCircuitBreaker ?? CircuitBreakerConfiguration(enable: false, rollback: false)
        return .obj([
            ("deploymentCircuitBreaker", ["enable": .bool(breaker.enable), "rollback": .bool(breaker.rollback)]),
            ("maximumPercent", .int(c.maximumPercent)), ("minimumHealthyPercent", .int(c.minimumHealthyPercent)),
        ])
    }

    func deploymentJSON(_ d: Deployment, _ r: ServiceRecord) -> JSONValue {
        .obj([
            ("id", .string(d.id)), ("status", .string(d.status.rawValue)), ("taskDefinition", .string(d.taskDefinition)),
            ("desiredCount", .int(d.desiredCount)), ("pendingCount", .int(d.pendingCount)), ("runningCount", .int(d.runningCount)),
            ("failedTasks", .int(d.failedTasks)), ("createdAt", .timestamp(d.createdAt)), ("updatedAt", .timestamp(d.updatedAt)),
            ("launchType", r.capacityProviderStrategy == nil ? r.launchType.jsonValue : nil),
            ("capacityProviderStrategy", r.capacityProviderStrategy?.jsonValue), ("platformVersion", r.platformVersion.map(JSONValue.string)),
            ("platformFamily", r.launchType == .fargate ? "Linux" : nil), ("networkConfiguration", r.networkConfiguration?.jsonValue),
            ("rolloutState", .string(d.rolloutState.rawValue)), ("rolloutStateReason", .string(d.rolloutStateReason)),
            ("serviceConnectConfiguration", r.serviceConnect), ("serviceConnectResources", serviceConnectResources(r)),
        ])
    }
}

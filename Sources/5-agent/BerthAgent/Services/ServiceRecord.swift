import BerthJSON
import BerthController
import BerthECS

/// One service the agent owns: the controller's `ServiceState` plus the CreateService members
/// the controller does not model (launch type, tags, ...), typed as the request gave them.
/// Persisted as one JSON file `services/<cluster>@<name>.json`, rewritten atomically on every change.
struct ServiceRecord {
    var cluster: String
    var state: ServiceState
    var launchType: LaunchType
    var platformVersion: String?
    var networkConfiguration: NetworkConfiguration?
    var tags: [(String, String)]
    var propagateTags: PropagateTags
    var enableECSManagedTags: Bool
    var enableExecuteCommand: Bool
    var clientToken: String?
    /// Fargate capacity providers instead of a launch type (then `launchType` is FARGATE).
    var capacityProviderStrategy: [CapacityProviderStrategyItem]?
    /// Echoed; on one host every strategy is met (ServiceValidator.placement).
    var placementStrategy: [PlacementStrategy]
    var roleArn: String?
    /// nil in files of versions before it was kept: ECS treats such a service as DISABLED.
    var availabilityZoneRebalancing: AvailabilityZoneRebalancing?
    /// `loadBalancers[]` as validated (target groups of the agent's ELB).
    var loadBalancers: [LoadBalancer] = []
    /// `serviceRegistries[]` as validated (Cloud Map services of the agent).
    var serviceRegistries: [ServiceRegistry] = []
    /// `serviceConnectConfiguration` as the request gave it (checked by ServiceConnectSpec).
    var serviceConnect: JSONValue?
    /// The Cloud Map namespace id Service Connect uses (the request's or the cluster's default).
    var serviceConnectNamespaceId: String?

    var name: String { state.serviceName }
    var key: String { ServiceRecord.key(cluster: cluster, name: name) }
    static func key(cluster: String, name: String) -> String { "\(cluster)@\(name)" }

    init(cluster: String, state: ServiceState, launchType: LaunchType) {
        self.cluster = cluster
        self.state = state
        self.launchType = launchType
        self.platformVersion = nil
        self.networkConfiguration = nil
        self.tags = []
        self.propagateTags = .none
        self.enableECSManagedTags = false
        self.enableExecuteCommand = false
        self.clientToken = nil
        self.capacityProviderStrategy = nil
        self.placementStrategy = []
        self.roleArn = nil
        self.availabilityZoneRebalancing = nil
    }

    var json: JSONValue {
        .obj([
            ("cluster", .string(cluster)), ("state", state.jsonValue), ("launchType", launchType.jsonValue),
            ("platformVersion", platformVersion.map(JSONValue.string)), ("networkConfiguration", networkConfiguration?.jsonValue),
            ("tags", tagsJSON(tags)), ("propagateTags", propagateTags.jsonValue),
            ("enableECSManagedTags", .bool(enableECSManagedTags)), ("enableExecuteCommand", .bool(enableExecuteCommand)),
            ("clientToken", clientToken.map(JSONValue.string)),
            ("capacityProviderStrategy", capacityProviderStrategy?.jsonValue),
            ("placementStrategy", placementStrategy.isEmpty ? nil : placementStrategy.jsonValue),
            ("roleArn", roleArn.map(JSONValue.string)), ("availabilityZoneRebalancing", availabilityZoneRebalancing?.jsonValue),
            ("loadBalancers", loadBalancers.isEmpty ? nil : loadBalancers.jsonValue),
            ("serviceRegistries", serviceRegistries.isEmpty ? nil : serviceRegistries.jsonValue),
            ("serviceConnectConfiguration", serviceConnect), ("serviceConnectNamespaceId", serviceConnectNamespaceId.map(JSONValue.string)),
        ])
    }

    /// A record file; members the agent wrote without a value read as their defaults.
    init(json: JSONValue) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: .root)
        self.init(cluster: try o.required("cluster"), state: try o.required("state"),
                  launchType: o.raw("launchType")?.stringValue.flatMap(LaunchType.init(rawValue:)) ?? .ec2)
        platformVersion = try o.optional("platformVersion")
        networkConfiguration = Self.member(o, "networkConfiguration")
        tags = tagsFrom(o.raw("tags"))
        propagateTags = o.raw("propagateTags")?.stringValue.flatMap(PropagateTags.init(rawValue:)) ?? .none
        enableECSManagedTags = try o.optional("enableECSManagedTags") ?? false
        enableExecuteCommand = try o.optional("enableExecuteCommand") ?? false
        clientToken = try o.optional("clientToken")
        capacityProviderStrategy = Self.member(o, "capacityProviderStrategy")
        placementStrategy = Self.member(o, "placementStrategy") ?? []
        roleArn = try o.optional("roleArn")
        availabilityZoneRebalancing = Self.member(o, "availabilityZoneRebalancing")
        loadBalancers = Self.member(o, "loadBalancers") ?? []
        serviceRegistries = Self.member(o, "serviceRegistries") ?? []
        serviceConnect = o.raw("serviceConnectConfiguration")
        serviceConnectNamespaceId = try o.optional("serviceConnectNamespaceId")
    }

    /// The service's target group bindings.
    var targetBindings: [TargetBinding] {
        loadBalancers.compactMap { lb in
            guard let g = lb.targetGroupArn, let c = lb.containerName, let p = lb.containerPort else { return nil }
            return TargetBinding(targetGroupArn: g, containerName: c, containerPort: p)
        }
    }

    /// The enabled Service Connect configuration and its namespace id.
    var serviceConnectSpec: (ServiceConnectSpec, String)? {
        guard let json = serviceConnect, let ns = serviceConnectNamespaceId, let spec = try? ServiceConnectSpec.parse(json), spec.enabled else { return nil }
        return (spec, ns)
    }

    /// A member in its BerthECS shape, as the request gave it.
    static func member<T: JSONDecodable>(_ o: JSONObjectReader, _ key: String) -> T? {
        o.raw(key).flatMap { T.decode($0, at: .root / key, Diagnostics()) }
    }
}

import BerthJSON

/// The agent's Elastic Load Balancing v2 resources, persisted as one JSON document
/// (`<state>/elb/resources.json`). ARNs are the resources' ids everywhere.
public struct ELBLoadBalancer: Sendable, Equatable {
    public var arn = ""
    public var name = ""
    /// application | network
    public var type = "application"
    public var scheme = "internet-facing"
    public var dnsName = ""
    public var createdAt = 0.0
}

public struct ELBHealthSettings: Sendable, Equatable {
    public var enabled = true
    public var proto = "HTTP"
    public var port = "traffic-port"
    public var path = "/"
    public var interval = 30
    public var timeout = 5
    public var healthyThreshold = 5
    public var unhealthyThreshold = 2
    public var matcher = "200"
}

public struct ELBTarget: Hashable, Sendable {
    public var id: String
    public var port: Int
    public init(id: String, port: Int) { self.id = id; self.port = port }
    public var address: TargetAddress { TargetAddress(host: id, port: port) }
}

public struct ELBTargetGroup: Sendable, Equatable {
    public var arn = ""
    public var name = ""
    public var proto = "HTTP"
    public var port = 80
    public var targetType = "ip"
    public var health = ELBHealthSettings()
    public var deregistrationDelay = 300
    public var algorithm = "round_robin"
    public var targets: [ELBTarget] = []
    public var createdAt = 0.0
}

public struct ELBListener: Sendable, Equatable {
    public var arn = ""
    public var loadBalancerArn = ""
    public var port = 0
    public var proto = "HTTP"
    public var targetGroupArn = ""
}

public struct ELBRule: Sendable, Equatable {
    public var arn = ""
    public var listenerArn = ""
    public var priority = 0
    public var paths: [String] = []
    public var hosts: [String] = []
    public var targetGroupArn = ""
}

public struct ELBResources: Sendable, Equatable {
    public var loadBalancers: [ELBLoadBalancer] = []
    public var targetGroups: [ELBTargetGroup] = []
    public var listeners: [ELBListener] = []
    public var rules: [ELBRule] = []
    public init() {}

    /// The load balancers whose listeners or rules forward to a group.
    public func loadBalancerArns(of group: String) -> [String] {
        let listenerArns = Set(rules.filter { $0.targetGroupArn == group }.map(\.listenerArn))
        let lbs = listeners.filter { $0.targetGroupArn == group || listenerArns.contains($0.arn) }.map(\.loadBalancerArn)
        return loadBalancers.map(\.arn).filter { lbs.contains($0) }
    }

    /// What the data plane must serve (pure): every listener with its rules (priority order),
    /// every target group with its registered targets, its timers on the agent's time scale.
    public func dataPlaneSpec(host: String, timeScale: Double = 1) -> ([DataPlaneListener], [DataPlaneGroup]) {
        let listeners = self.listeners.map { l in
            DataPlaneListener(
                id: l.arn, host: host, port: l.port, kind: l.proto == "TCP" ? .tcp : .http, defaultGroup: l.targetGroupArn,
                rules: rules.filter { $0.listenerArn == l.arn }.sorted { $0.priority < $1.priority }.map {
                    DataPlaneRule(priority: $0.priority, pathPatterns: $0.paths, hostPatterns: $0.hosts, group: $0.targetGroupArn)
                })
        }
        let groups = targetGroups.map { g -> DataPlaneGroup in
            let timers = ELBTimeScale.health(intervalSeconds: g.health.interval, timeoutSeconds: g.health.timeout, scale: timeScale)
            return DataPlaneGroup(
                id: g.arn, kind: g.proto == "TCP" ? .tcp : .http, targets: g.targets.map(\.address),
                health: DataPlaneHealthCheck(kind: g.health.proto == "TCP" ? .tcp : .http, path: g.health.path, port: g.health.port,
                                             intervalSeconds: timers.interval, timeoutSeconds: timers.timeout,
                                             healthyThreshold: g.health.healthyThreshold, unhealthyThreshold: g.health.unhealthyThreshold,
                                             matcher: g.health.matcher),
                deregistrationDelaySeconds: ELBTimeScale.delay(g.deregistrationDelay, scale: timeScale),
                algorithm: LoadBalancingAlgorithm(rawValue: g.algorithm) ?? .roundRobin)
        }
        return (listeners, groups)
    }
}

// MARK: JSON

extension ELBLoadBalancer: JSONRecord {
    public static let blank = ELBLoadBalancer()
    public static let members: [JSONMember<ELBLoadBalancer>] = [
        .required("arn", { $1(&$0.arn) }), .required("name", { $1(&$0.name) }), .required("type", { $1(&$0.type) }),
        .required("scheme", { $1(&$0.scheme) }), .required("dnsName", { $1(&$0.dnsName) }),
        .required("createdAt", { $1(&$0.createdAt) }),
    ]
}

extension ELBHealthSettings: JSONRecord {
    public static let blank = ELBHealthSettings()
    public static let members: [JSONMember<ELBHealthSettings>] = [
        .required("enabled", { $1(&$0.enabled) }), .required("protocol", { $1(&$0.proto) }), .required("port", { $1(&$0.port) }),
        .required("path", { $1(&$0.path) }), .required("interval", { $1(&$0.interval) }),
        .required("timeout", { $1(&$0.timeout) }), .required("healthyThreshold", { $1(&$0.healthyThreshold) }),
        .required("unhealthyThreshold", { $1(&$0.unhealthyThreshold) }), .required("matcher", { $1(&$0.matcher) }),
    ]
}

extension ELBTarget: JSONRecord {
    public static let blank = ELBTarget(id: "", port: 0)
    public static let members: [JSONMember<ELBTarget>] = [.required("id", { $1(&$0.id) }), .required("port", { $1(&$0.port) })]
}

extension ELBTargetGroup: JSONRecord {
    public static let blank = ELBTargetGroup()
    public static let members: [JSONMember<ELBTargetGroup>] = [
        .required("arn", { $1(&$0.arn) }), .required("name", { $1(&$0.name) }), .required("protocol", { $1(&$0.proto) }),
        .required("port", { $1(&$0.port) }), .required("targetType", { $1(&$0.targetType) }),
        .required("health", { $1(&$0.health) }), .required("deregistrationDelay", { $1(&$0.deregistrationDelay) }),
        .required("algorithm", { $1(&$0.algorithm) }), .required("targets", { $1(&$0.targets) }),
        .required("createdAt", { $1(&$0.createdAt) }),
    ]
}

extension ELBListener: JSONRecord {
    public static let blank = ELBListener()
    public static let members: [JSONMember<ELBListener>] = [
        .required("arn", { $1(&$0.arn) }), .required("loadBalancerArn", { $1(&$0.loadBalancerArn) }),
        .required("port", { $1(&$0.port) }), .required("protocol", { $1(&$0.proto) }),
        .required("targetGroupArn", { $1(&$0.targetGroupArn) }),
    ]
}

extension ELBRule: JSONRecord {
    public static let blank = ELBRule()
    public static let members: [JSONMember<ELBRule>] = [
        .required("arn", { $1(&$0.arn) }), .required("listenerArn", { $1(&$0.listenerArn) }),
        .required("priority", { $1(&$0.priority) }), .required("paths", { $1(&$0.paths) }), .required("hosts", { $1(&$0.hosts) }),
        .required("targetGroupArn", { $1(&$0.targetGroupArn) }),
    ]
}

extension ELBResources: JSONRecord {
    public static let blank = ELBResources()
    public static let members: [JSONMember<ELBResources>] = [
        .required("loadBalancers", { $1(&$0.loadBalancers) }), .required("targetGroups", { $1(&$0.targetGroups) }),
        .required("listeners", { $1(&$0.listeners) }), .required("rules", { $1(&$0.rules) }),
    ]
}

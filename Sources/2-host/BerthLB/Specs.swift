/// The load balancer's desired state, as the ELBv2 API hands it to the data plane.

public enum LBProtocol: String, Sendable, Hashable { case http, tcp }

public enum LBAlgorithm: String, Sendable, Hashable { case roundRobin, leastOutstanding }

/// An ALB listener rule: every non-empty pattern list must match (ELB: conditions are ANDed,
/// values within one condition ORed); `*` any run of characters, `?` one character.
public struct LBRule: Sendable, Hashable {
    public var priority: Int
    public var pathPatterns: [String]
    public var hostPatterns: [String]
    public var group: String
    public init(priority: Int, pathPatterns: [String] = [], hostPatterns: [String] = [], group: String) {
        self.priority = priority
        self.pathPatterns = pathPatterns
        self.hostPatterns = hostPatterns
        self.group = group
    }
}

public struct LBListenerSpec: Sendable, Hashable {
    public var id: String
    public var host: String
    /// 0 picks a free port (see `LBDataPlane.port(ofListener:)`).
    public var port: Int
    public var kind: LBProtocol
    public var defaultGroup: String
    public var rules: [LBRule]
    public init(id: String, host: String = "127.0.0.1", port: Int, kind: LBProtocol, defaultGroup: String, rules: [LBRule] = []) {
        self.id = id
        self.host = host
        self.port = port
        self.kind = kind
        self.defaultGroup = defaultGroup
        self.rules = rules
    }
}

public struct LBTarget: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    public var description: String { "\(host):\(port)" }
}

public typealias LBTargetKey = LBTarget

public enum LBHealthCheckPort: Sendable, Hashable {
    case trafficPort
    case number(Int)
}

public struct LBHealthCheck: Sendable, Hashable {
    public var protocolKind: LBProtocol
    public var path: String
    public var port: LBHealthCheckPort
    public var intervalSeconds: Double
    public var timeoutSeconds: Double
    public var healthyThreshold: Int
    public var unhealthyThreshold: Int
    /// HTTP codes that count as healthy: "200", "200,204", "200-399".
    public var matcher: String
    public init(protocolKind: LBProtocol = .http, path: String = "/", port: LBHealthCheckPort = .trafficPort, intervalSeconds: Double = 30,
                timeoutSeconds: Double = 5, healthyThreshold: Int = 5, unhealthyThreshold: Int = 2, matcher: String = "200") {
        self.protocolKind = protocolKind
        self.path = path
        self.port = port
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.matcher = matcher
    }
}

public struct LBTargetGroupSpec: Sendable, Hashable {
    public var id: String
    public var protocolKind: LBProtocol
    public var targets: [LBTarget]
    public var health: LBHealthCheck
    public var deregistrationDelaySeconds: Double
    public var algorithm: LBAlgorithm
    public init(id: String, protocolKind: LBProtocol, targets: [LBTarget], health: LBHealthCheck = LBHealthCheck(),
                deregistrationDelaySeconds: Double = 300, algorithm: LBAlgorithm = .roundRobin) {
        self.id = id
        self.protocolKind = protocolKind
        self.targets = targets
        self.health = health
        self.deregistrationDelaySeconds = deregistrationDelaySeconds
        self.algorithm = algorithm
    }
}

public enum LBTargetState: String, Sendable, Hashable { case initial, healthy, unhealthy, draining, unused }

public struct LBTargetHealth: Sendable, Hashable {
    public var state: LBTargetState
    /// ELB's reason code (`Elb.InitialHealthChecking`, `Target.ResponseCodeMismatch`...); nil when healthy.
    public var reason: String?
    public var description: String?
    public init(state: LBTargetState, reason: String? = nil, description: String? = nil) {
        self.state = state
        self.reason = reason
        self.description = description
    }
}

public struct LBConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

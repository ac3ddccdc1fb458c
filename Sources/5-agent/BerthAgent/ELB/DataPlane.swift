import Foundation

/// The load balancers' data plane as the agent drives it: the desired listeners and target
/// groups in, target health out. The agent depends only on this protocol; BerthLB's proxy
/// (wired in BerthCLI) and `MemoryDataPlane` (tests, `--engine fake`) implement it.
public protocol LoadBalancerDataPlane: AnyObject, Sendable {
    /// Make the proxy serve exactly these (idempotent desired state). A target that is no
    /// longer in its group drains for the group's deregistration delay.
    func apply(listeners: [DataPlaneListener], groups: [DataPlaneGroup]) throws
    /// Health of every target the proxy knows, by group id, including draining ones.
    func health() -> [String: [TargetAddress: TargetHealthReport]]
    /// Traffic counters, cumulative since each listener or group appeared (the agent turns
    /// their differences into the AWS/ApplicationELB and AWS/NetworkELB metrics).
    func counters() -> DataPlaneCounters
    func stop()
}

/// One target's share of its group's traffic.
public struct TargetCounters: Sendable, Equatable {
    public var requests: UInt64
    public var newFlows: UInt64
    public init(requests: UInt64 = 0, newFlows: UInt64 = 0) { self.requests = requests; self.newFlows = newFlows }
}

/// A target group's traffic: requests forwarded (HTTP) or flows opened (TCP), the targets'
/// response classes and response time.
public struct GroupCounters: Sendable, Equatable {
    public var requests: UInt64 = 0
    public var newFlows: UInt64 = 0
    /// Target responses by class 2XX, 3XX, 4XX, 5XX.
    public var targetCodes: [UInt64] = [0, 0, 0, 0]
    public var responseTimeSum: Double = 0
    public var responseTimeCount: UInt64 = 0
    public var targets: [TargetAddress: TargetCounters] = [:]
    public init(requests: UInt64 = 0, newFlows: UInt64 = 0, targetCodes: [UInt64] = [0, 0, 0, 0], responseTimeSum: Double = 0,
                responseTimeCount: UInt64 = 0, targets: [TargetAddress: TargetCounters] = [:]) {
        self.requests = requests; self.newFlows = newFlows; self.targetCodes = targetCodes; self.responseTimeSum = responseTimeSum
        self.responseTimeCount = responseTimeCount; self.targets = targets
    }
}

/// A listener's traffic and the answers the load balancer made itself.
public struct ListenerCounters: Sendable, Equatable {
    public var requests: UInt64 = 0
    public var newFlows: UInt64 = 0
    public var elb4xx: UInt64 = 0
    public var elb5xx: UInt64 = 0
    public init(requests: UInt64 = 0, newFlows: UInt64 = 0, elb4xx: UInt64 = 0, elb5xx: UInt64 = 0) {
        self.requests = requests; self.newFlows = newFlows; self.elb4xx = elb4xx; self.elb5xx = elb5xx
    }
}

public struct DataPlaneCounters: Sendable, Equatable {
    /// By listener ARN.
    public var listeners: [String: ListenerCounters]
    /// By target group ARN.
    public var groups: [String: GroupCounters]
    public init(listeners: [String: ListenerCounters] = [:], groups: [String: GroupCounters] = [:]) {
        self.listeners = listeners; self.groups = groups
    }
}

public enum DataPlaneProtocol: String, Sendable, Equatable { case http, tcp }

public struct DataPlaneRule: Sendable, Equatable {
    public var priority: Int
    public var pathPatterns: [String]
    public var hostPatterns: [String]
    public var group: String
    public init(priority: Int, pathPatterns: [String], hostPatterns: [String], group: String) {
        self.priority = priority; self.pathPatterns = pathPatterns; self.hostPatterns = hostPatterns; self.group = group
    }
}

public struct DataPlaneListener: Sendable, Equatable {
    /// The listener ARN.
    public var id: String
    public var host: String
    public var port: Int
    public var kind: DataPlaneProtocol
    public var defaultGroup: String
    /// HTTP only, in priority order.
    public var rules: [DataPlaneRule]
    public init(id: String, host: String, port: Int, kind: DataPlaneProtocol, defaultGroup: String, rules: [DataPlaneRule]) {
        self.id = id; self.host = host; self.port = port; self.kind = kind; self.defaultGroup = defaultGroup; self.rules = rules
    }
}

public struct TargetAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }
    public var description: String { "\(host):\(port)" }
}

public struct DataPlaneHealthCheck: Sendable, Equatable {
    public var kind: DataPlaneProtocol
    public var path: String
    /// "traffic-port" or a port number.
    public var port: String
    /// Seconds on the agent's time scale (`ELBTimeScale`).
    public var intervalSeconds: Double
    public var timeoutSeconds: Double
    public var healthyThreshold: Int
    public var unhealthyThreshold: Int
    /// HTTP codes, e.g. "200-399" or "200,204".
    public var matcher: String
    public init(kind: DataPlaneProtocol, path: String, port: String, intervalSeconds: Double, timeoutSeconds: Double,
                healthyThreshold: Int, unhealthyThreshold: Int, matcher: String) {
        self.kind = kind; self.path = path; self.port = port; self.intervalSeconds = intervalSeconds; self.timeoutSeconds = timeoutSeconds
        self.healthyThreshold = healthyThreshold; self.unhealthyThreshold = unhealthyThreshold; self.matcher = matcher
    }
}

public enum LoadBalancingAlgorithm: String, Sendable, Equatable {
    case roundRobin = "round_robin"
    case leastOutstanding = "least_outstanding_requests"
}

public struct DataPlaneGroup: Sendable, Equatable {
    /// The target group ARN.
    public var id: String
    public var kind: DataPlaneProtocol
    public var targets: [TargetAddress]
    public var health: DataPlaneHealthCheck
    /// Seconds on the agent's time scale (`ELBTimeScale`).
    public var deregistrationDelaySeconds: Double
    public var algorithm: LoadBalancingAlgorithm
    public init(id: String, kind: DataPlaneProtocol, targets: [TargetAddress], health: DataPlaneHealthCheck,
                deregistrationDelaySeconds: Double, algorithm: LoadBalancingAlgorithm) {
        self.id = id; self.kind = kind; self.targets = targets; self.health = health
        self.deregistrationDelaySeconds = deregistrationDelaySeconds; self.algorithm = algorithm
    }
}

/// ELB's target states (DescribeTargetHealth `TargetHealth.State`).
public enum TargetState: String, Sendable, Equatable {
    case initial, healthy, unhealthy, unused, draining, unavailable
}

public struct TargetHealthReport: Sendable, Equatable {
    public var state: TargetState
    /// ELB's reason code (`Elb.InitialHealthChecking`, `Target.FailedHealthChecks`, ...); nil when healthy.
    public var reason: String?
    public var description: String?
    public init(state: TargetState, reason: String? = nil, description: String? = nil) {
        self.state = state; self.reason = reason; self.description = description
    }
}

/// An in-memory data plane that proxies nothing: it records what it was told and reports
/// targets healthy once applied (unless marked otherwise) and removed targets draining for
/// their group's delay. The agent's `--engine fake` and the tests use it.
public final class MemoryDataPlane: LoadBalancerDataPlane, @unchecked Sendable {
    private let lock = NSLock()
    private let clock: @Sendable () -> Double
    public private(set) var listeners: [DataPlaneListener] = []
    public private(set) var groups: [DataPlaneGroup] = []
    public private(set) var applyCount = 0
    private var draining: [String: [TargetAddress: Double]] = [:]
    private var forced: [TargetAddress: TargetHealthReport] = [:]
    private var traffic = DataPlaneCounters()

    public init(clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) { self.clock = clock }

    public func apply(listeners: [DataPlaneListener], groups: [DataPlaneGroup]) throws {
        lock.lock(); defer { lock.unlock() }
        let now = clock()
        let byId = Dictionary(groups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for old in self.groups {
            let kept = Set(byId[old.id]?.targets ?? [])
            for t in old.targets where !kept.contains(t) {
                draining[old.id, default: [:]][t] = now + (byId[old.id]?.deregistrationDelaySeconds ?? old.deregistrationDelaySeconds)
            }
        }
        for g in groups { for t in g.targets { draining[g.id]?[t] = nil } }
        self.listeners = listeners
        self.groups = groups
        applyCount += 1
    }

    /// Make a target report this health from now on (nil: back to healthy).
    public func force(_ target: TargetAddress, _ report: TargetHealthReport?) {
        lock.lock(); defer { lock.unlock() }
        forced[target] = report
    }

    public func health() -> [String: [TargetAddress: TargetHealthReport]] {
        lock.lock(); defer { lock.unlock() }
        let now = clock()
        var out: [String: [TargetAddress: TargetHealthReport]] = [:]
        for g in groups {
            var m: [TargetAddress: TargetHealthReport] = [:]
            for t in g.targets { m[t] = forced[t] ?? TargetHealthReport(state: .healthy) }
            for (t, until) in draining[g.id] ?? [:] where until > now {
                m[t] = TargetHealthReport(state: .draining, reason: "Target.DeregistrationInProgress",
                                          description: "Target deregistration is in progress")
            }
            out[g.id] = m
        }
        return out
    }

    /// Count `n` requests (HTTP group) or flows (TCP group) to `target` through `listener`,
    /// each answered `status` after `seconds`: the traffic a test pretends went through.
    public func serve(listener: String, group: String, target: TargetAddress, requests n: UInt64, status: Int = 200, seconds: Double = 0.01) {
        lock.lock(); defer { lock.unlock() }
        let tcp = groups.first { $0.id == group }?.kind == .tcp
        var g = traffic.groups[group] ?? GroupCounters()
        var l = traffic.listeners[listener] ?? ListenerCounters()
        if tcp {
            g.newFlows += n; l.newFlows += n
            g.targets[target, default: TargetCounters()].newFlows += n
        } else {
            g.requests += n; l.requests += n
            g.targets[target, default: TargetCounters()].requests += n
            if (2...5).contains(status / 100) { g.targetCodes[status / 100 - 2] += n }
            g.responseTimeSum += seconds * Double(n)
            g.responseTimeCount += n
        }
        traffic.groups[group] = g
        traffic.listeners[listener] = l
    }

    public func counters() -> DataPlaneCounters {
        lock.lock(); defer { lock.unlock() }
        return traffic
    }

    public func stop() {}
}

/// The data plane of an agent built without a proxy: target groups and registrations are
/// kept, but a listener is refused (nothing would serve its port), and no target is ever
/// reported healthy.
public final class UnavailableDataPlane: LoadBalancerDataPlane, @unchecked Sendable {
    public init() {}
    public func apply(listeners: [DataPlaneListener], groups: [DataPlaneGroup]) throws {
        if let l = listeners.first {
            throw DataPlaneUnavailable(message: "no load balancer proxy is built into this agent, so port \(l.port) cannot be served")
        }
    }
    public func health() -> [String: [TargetAddress: TargetHealthReport]] { [:] }
    /// Nothing is served, so nothing is counted.
    public func counters() -> DataPlaneCounters { DataPlaneCounters() }
    public func stop() {}
}

public struct DataPlaneUnavailable: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

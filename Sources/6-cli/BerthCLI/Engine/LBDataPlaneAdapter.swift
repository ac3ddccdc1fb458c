import BerthAgent
import BerthLB

/// The agent's `LoadBalancerDataPlane` served by BerthLB's proxy: desired listeners and target
/// groups are translated to BerthLB's specs, target health is translated back to ELB's states.
public final class LBDataPlaneAdapter: LoadBalancerDataPlane, @unchecked Sendable {
    private let proxy: LBDataPlane

    public init(proxy: LBDataPlane) { self.proxy = proxy }

    public convenience init() throws { try self.init(proxy: LBDataPlane()) }

    public func apply(listeners: [DataPlaneListener], groups: [DataPlaneGroup]) throws {
        let specs = try LBSpecMapping.specs(listeners: listeners, groups: groups)
        try proxy.apply(listeners: specs.listeners, groups: specs.groups)
    }

    public func health() -> [String: [TargetAddress: TargetHealthReport]] {
        LBSpecMapping.reports(proxy.health())
    }

    public func counters() -> DataPlaneCounters {
        LBSpecMapping.counters(proxy.counters())
    }

    public func stop() { proxy.stop() }
}

/// Pure translations between the agent's data plane model and BerthLB's specs.
public enum LBSpecMapping {
    public static func specs(listeners: [DataPlaneListener], groups: [DataPlaneGroup]) throws
        -> (listeners: [LBListenerSpec], groups: [LBTargetGroupSpec]) {
        (listeners.map(listener), try groups.map(group))
    }

    public static func listener(_ l: DataPlaneListener) -> LBListenerSpec {
        LBListenerSpec(id: l.id, host: l.host, port: l.port, kind: kind(l.kind), defaultGroup: l.defaultGroup,
                       rules: l.rules.map { LBRule(priority: $0.priority, pathPatterns: $0.pathPatterns, hostPatterns: $0.hostPatterns, group: $0.group) })
    }

    public static func group(_ g: DataPlaneGroup) throws -> LBTargetGroupSpec {
        LBTargetGroupSpec(id: g.id, protocolKind: kind(g.kind), targets: g.targets.map { LBTarget(host: $0.host, port: $0.port) },
                          health: try health(g.health, group: g.id), deregistrationDelaySeconds: g.deregistrationDelaySeconds,
                          algorithm: algorithm(g.algorithm))
    }

    public static func health(_ h: DataPlaneHealthCheck, group: String) throws -> LBHealthCheck {
        LBHealthCheck(protocolKind: kind(h.kind), path: h.path, port: try port(h.port, group: group),
                      intervalSeconds: h.intervalSeconds, timeoutSeconds: h.timeoutSeconds,
                      healthyThreshold: h.healthyThreshold, unhealthyThreshold: h.unhealthyThreshold, matcher: h.matcher)
    }

    /// "traffic-port" or a port number 1-65535.
    public static func port(_ text: String, group: String) throws -> LBHealthCheckPort {
        if text == "traffic-port" { return .trafficPort }
        guard let n = Int(text), (1...65535).contains(n) else {
            throw LBConfigError("target group \(group): health check port \(text.debugDescription) is neither traffic-port nor a port 1-65535")
        }
        return .number(n)
    }

    public static func kind(_ k: DataPlaneProtocol) -> LBProtocol {
        switch k {
        case .http: return .http
        case .tcp: return .tcp
        }
    }

    public static func algorithm(_ a: LoadBalancingAlgorithm) -> LBAlgorithm {
        switch a {
        case .roundRobin: return .roundRobin
        case .leastOutstanding: return .leastOutstanding
        }
    }

    public static func state(_ s: LBTargetState) -> TargetState {
        switch s {
        case .initial: return .initial
        case .healthy: return .healthy
        case .unhealthy: return .unhealthy
        case .draining: return .draining
        case .unused: return .unused
        }
    }

    public static func counters(_ c: LBCounters) -> DataPlaneCounters {
        DataPlaneCounters(
            listeners: c.listeners.mapValues { ListenerCounters(requests: $0.requests, newFlows: $0.newFlows, elb4xx: $0.elb4xx, elb5xx: $0.elb5xx) },
            groups: c.groups.mapValues { g in
                var targets: [TargetAddress: TargetCounters] = [:]
                for (t, n) in g.targets { targets[TargetAddress(host: t.host, port: t.port)] = TargetCounters(requests: n.requests, newFlows: n.newFlows) }
                return GroupCounters(requests: g.requests, newFlows: g.newFlows, targetCodes: [g.target2xx, g.target3xx, g.target4xx, g.target5xx],
                                     responseTimeSum: g.responseTimeSum, responseTimeCount: g.responseTimeCount, targets: targets)
            })
    }

    public static func reports(_ health: [String: [LBTargetKey: LBTargetHealth]]) -> [String: [TargetAddress: TargetHealthReport]] {
        health.mapValues { targets in
            var out: [TargetAddress: TargetHealthReport] = [:]
            for (t, h) in targets {
                out[TargetAddress(host: t.host, port: t.port)] = TargetHealthReport(state: state(h.state), reason: h.reason, description: h.description)
            }
            return out
        }
    }
}

import BerthAgent
import BerthCLI
import BerthLB
import Testing

/// The agent's data plane model mapped to BerthLB's specs and back (`LBSpecMapping`), and the
/// adapter driving a real `LBDataPlane`.
@Suite struct LBDataPlaneAdapterTests {
    static func check(port: String = "traffic-port", kind: DataPlaneProtocol = .http) -> DataPlaneHealthCheck {
        DataPlaneHealthCheck(kind: kind, path: "/health", port: port, intervalSeconds: 7, timeoutSeconds: 3,
                             healthyThreshold: 4, unhealthyThreshold: 2, matcher: "200-299")
    }

    @Test func listenerRulesAndGroupFieldsMapToBerthLBSpecs() throws {
        let listener = DataPlaneListener(id: "arn:l", host: "127.0.0.1", port: 8080, kind: .http, defaultGroup: "arn:g1",
                                         rules: [DataPlaneRule(priority: 5, pathPatterns: ["/api/*"], hostPatterns: ["a.example"], group: "arn:g2")])
        let group = DataPlaneGroup(id: "arn:g1", kind: .http, targets: [TargetAddress(host: "10.0.0.2", port: 80)], health: Self.check(),
                                   deregistrationDelaySeconds: 12, algorithm: .leastOutstanding)
        let tcp = DataPlaneGroup(id: "arn:g2", kind: .tcp, targets: [], health: Self.check(port: "9000", kind: .tcp),
                                 deregistrationDelaySeconds: 300, algorithm: .roundRobin)
        let specs = try LBSpecMapping.specs(listeners: [listener], groups: [group, tcp])
        #expect(specs.listeners == [LBListenerSpec(id: "arn:l", host: "127.0.0.1", port: 8080, kind: .http, defaultGroup: "arn:g1",
                                                   rules: [LBRule(priority: 5, pathPatterns: ["/api/*"], hostPatterns: ["a.example"], group: "arn:g2")])])
        #expect(specs.groups[0] == LBTargetGroupSpec(
            id: "arn:g1", protocolKind: .http, targets: [LBTarget(host: "10.0.0.2", port: 80)],
            health: LBHealthCheck(protocolKind: .http, path: "/health", port: .trafficPort, intervalSeconds: 7, timeoutSeconds: 3,
                                  healthyThreshold: 4, unhealthyThreshold: 2, matcher: "200-299"),
            deregistrationDelaySeconds: 12, algorithm: .leastOutstanding))
        #expect(specs.groups[1].protocolKind == .tcp && specs.groups[1].health.protocolKind == .tcp)
        #expect(specs.groups[1].health.port == .number(9000))
        #expect(specs.groups[1].algorithm == .roundRobin)
    }

    @Test func aBadHealthCheckPortIsRefusedNamingTheGroup() {
        #expect(throws: LBConfigError.self) { try LBSpecMapping.port("http", group: "arn:g") }
        do {
            _ = try LBSpecMapping.port("70000", group: "arn:g")
            Issue.record("port 70000 accepted")
        } catch {
            #expect("\(error)".contains("arn:g") && "\(error)".contains("\"70000\""), "\(error)")
        }
    }

    @Test func healthStatesAndReasonsMapBack() {
        let reports = LBSpecMapping.reports([
            "arn:g": [
                LBTarget(host: "10.0.0.2", port: 80): LBTargetHealth(state: .unhealthy, reason: "Target.ResponseCodeMismatch", description: "Health checks failed with these codes: [404]"),
                LBTarget(host: "10.0.0.3", port: 80): LBTargetHealth(state: .healthy),
                LBTarget(host: "10.0.0.4", port: 80): LBTargetHealth(state: .draining, reason: "Target.DeregistrationInProgress"),
                LBTarget(host: "10.0.0.5", port: 80): LBTargetHealth(state: .initial, reason: "Elb.InitialHealthChecking"),
                LBTarget(host: "10.0.0.6", port: 80): LBTargetHealth(state: .unused),
            ],
        ])
        let g = reports["arn:g"] ?? [:]
        #expect(g[TargetAddress(host: "10.0.0.2", port: 80)]
                == TargetHealthReport(state: .unhealthy, reason: "Target.ResponseCodeMismatch", description: "Health checks failed with these codes: [404]"))
        #expect(g[TargetAddress(host: "10.0.0.3", port: 80)] == TargetHealthReport(state: .healthy))
        #expect(g[TargetAddress(host: "10.0.0.4", port: 80)] == TargetHealthReport(state: .draining, reason: "Target.DeregistrationInProgress"))
        #expect(g[TargetAddress(host: "10.0.0.5", port: 80)] == TargetHealthReport(state: .initial, reason: "Elb.InitialHealthChecking"))
        #expect(g[TargetAddress(host: "10.0.0.6", port: 80)]?.state == .unused)
    }

    @Test func theAdapterDrivesTheRealProxy() throws {
        let adapter = try LBDataPlaneAdapter()
        defer { adapter.stop() }
        let target = TargetAddress(host: "127.0.0.1", port: 1)
        let group = DataPlaneGroup(id: "arn:g", kind: .http, targets: [target], health: Self.check(),
                                   deregistrationDelaySeconds: 0, algorithm: .roundRobin)
        try adapter.apply(listeners: [DataPlaneListener(id: "arn:l", host: "127.0.0.1", port: 0, kind: .http, defaultGroup: "arn:g", rules: [])],
                          groups: [group])
        let report = adapter.health()["arn:g"]?[target]
        #expect(report != nil && report?.state != .healthy, "the proxy reports the registered target, not yet healthy: \(String(describing: report))")
        // An invalid group is refused by BerthLB naming it; the last good state stays.
        var bad = group
        bad.health.healthyThreshold = 0
        #expect(throws: (any Error).self) { try adapter.apply(listeners: [], groups: [bad]) }
        #expect(adapter.health()["arn:g"]?[target] != nil)
        adapter.stop()
        #expect(throws: (any Error).self) { try adapter.apply(listeners: [], groups: [group]) }
    }
}

@Suite struct LBCounterMappingTests {
    @Test func countersMapToTheAgentsShape() {
        var g = LBGroupCounters()
        g.requests = 5
        g.target2xx = 4
        g.target5xx = 1
        g.responseTimeSum = 0.5
        g.responseTimeCount = 5
        g.targets[LBTarget(host: "127.0.0.1", port: 9)] = LBTargetCounters(requests: 5)
        var l = LBListenerCounters()
        l.requests = 5
        l.elb5xx = 2
        let c = LBSpecMapping.counters(LBCounters(listeners: ["arn:l": l], groups: ["arn:g": g]))
        #expect(c.listeners["arn:l"] == ListenerCounters(requests: 5, elb5xx: 2))
        #expect(c.groups["arn:g"] == GroupCounters(requests: 5, targetCodes: [4, 0, 0, 1], responseTimeSum: 0.5, responseTimeCount: 5,
                                                   targets: [TargetAddress(host: "127.0.0.1", port: 9): TargetCounters(requests: 5)]))
    }
}

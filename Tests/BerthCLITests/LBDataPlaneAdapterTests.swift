import BerthAgent
import BerthCLI
import BerthLB
import XCTest

final class LBDataPlaneAdapterTests: XCTestCase {
    func testListenerRulesAndGroupFieldsMapToBerthLBSpecs() throws {
        let listener = DataPlaneListener(id: "arn:l", host: "127.0.0.1", port: 8080, kind: .http, defaultGroup: "arn:g1",
                                         rules: [DataPlaneRule(priority: 5, pathPatterns: ["/api/*"], hostPatterns: ["a.example"], group: "arn:g2")])
        let group = DataPlaneGroup(id: "arn:g1", kind: .http, targets: [TargetAddress(host: "10.0.0.2", port: 80)],
                                   health: DataPlaneHealthCheck(kind: .http, path: "/health", port: "traffic-port", intervalSeconds: 7,
                                                                timeoutSeconds: 3, healthyThreshold: 4, unhealthyThreshold: 2, matcher: "200-299"),
                                   deregistrationDelaySeconds: 12, algorithm: .leastOutstanding)
        let tcp = DataPlaneGroup(id: "arn:g2", kind: .tcp, targets: [],
                                 health: DataPlaneHealthCheck(kind: .tcp, path: "", port: "9000", intervalSeconds: 30,
                                                              timeoutSeconds: 10, healthyThreshold: 5, unhealthyThreshold: 2, matcher: ""),
                                 deregistrationDelaySeconds: 300, algorithm: .roundRobin)
        let specs = try LBSpecMapping.specs(listeners: [listener], groups: [group, tcp])
        XCTAssertEqual(specs.listeners, [LBListenerSpec(id: "arn:l", host: "127.0.0.1", port: 8080, kind: .http, defaultGroup: "arn:g1",
                                                        rules: [LBRule(priority: 5, pathPatterns: ["/api/*"], hostPatterns: ["a.example"], group: "arn:g2")])])
        XCTAssertEqual(specs.groups[0], LBTargetGroupSpec(
            id: "arn:g1", protocolKind: .http, targets: [LBTarget(host: "10.0.0.2", port: 80)],
            health: LBHealthCheck(protocolKind: .http, path: "/health", port: .trafficPort, intervalSeconds: 7, timeoutSeconds: 3,
                                  healthyThreshold: 4, unhealthyThreshold: 2, matcher: "200-299"),
            deregistrationDelaySeconds: 12, algorithm: .leastOutstanding))
        XCTAssertEqual(specs.groups[1].protocolKind, .tcp)
        XCTAssertEqual(specs.groups[1].health.port, .number(9000))
        XCTAssertEqual(specs.groups[1].algorithm, .roundRobin)
    }

    func testABadHealthCheckPortIsRefusedNamingTheGroup() {
        XCTAssertThrowsError(try LBSpecMapping.port("http", group: "arn:g")) { error in
            XCTAssertTrue("\(error)".contains("arn:g") && "\(error)".contains("\"http\""), "\(error)")
        }
        XCTAssertThrowsError(try LBSpecMapping.port("70000", group: "arn:g"))
    }

    func testHealthStatesAndReasonsMapBack() {
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
        XCTAssertEqual(g[TargetAddress(host: "10.0.0.2", port: 80)],
                       TargetHealthReport(state: .unhealthy, reason: "Target.ResponseCodeMismatch", description: "Health checks failed with these codes: [404]"))
        XCTAssertEqual(g[TargetAddress(host: "10.0.0.3", port: 80)], TargetHealthReport(state: .healthy))
        XCTAssertEqual(g[TargetAddress(host: "10.0.0.4", port: 80)]?.state, .draining)
        XCTAssertEqual(g[TargetAddress(host: "10.0.0.5", port: 80)]?.reason, "Elb.InitialHealthChecking")
        XCTAssertEqual(g[TargetAddress(host: "10.0.0.6", port: 80)]?.state, .unused)
    }

    func testAdapterServesAListenerThroughTheRealProxy() throws {
        let adapter = try LBDataPlaneAdapter()
        defer { adapter.stop() }
        let group = DataPlaneGroup(id: "arn:g", kind: .http, targets: [TargetAddress(host: "127.0.0.1", port: 1)],
                                   health: DataPlaneHealthCheck(kind: .http, path: "/", port: "traffic-port", intervalSeconds: 5,
                                                                timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2, matcher: "200"),
                                   deregistrationDelaySeconds: 0, algorithm: .roundRobin)
        try adapter.apply(listeners: [DataPlaneListener(id: "arn:l", host: "127.0.0.1", port: 0, kind: .http, defaultGroup: "arn:g", rules: [])],
                          groups: [group])
        let report = adapter.health()["arn:g"]?[TargetAddress(host: "127.0.0.1", port: 1)]
        XCTAssertNotNil(report, "the proxy reports the registered target")
        XCTAssertNotEqual(report?.state, .healthy)
    }
}

import BerthSys
import Foundation
import Testing
@testable import BerthLB

/// A target registered next to a healthy one gets no request until its own health checks make
/// it healthy (what a rolling update relies on: new tasks take traffic only once healthy).
@Suite(.serialized) struct JoiningTargetTests {
    @Test func aNewTargetGetsNoTrafficUntilHealthy() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let listener = LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [a])])
        #expect(ProxyTests.allHealthy(lb, "g", 1))
        // b needs 5 successful checks 0.2 s apart: about 0.8 s in `initial`.
        let slowToTrust = LBHealthCheck(protocolKind: .http, path: "/health", intervalSeconds: 0.2, timeoutSeconds: 0.2, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200-399")
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [a, b], health: slowToTrust)])
        let tb = LBTarget(host: "127.0.0.1", port: b.port)
        var whileInitial: [String] = []
        while lb.health()["g"]?[tb]?.state == .initial {
            let body = try get(try #require(lb.port(ofListener: "web")), "/")?.body ?? "failed"
            // Only requests answered while b was initial before and after count.
            if lb.health()["g"]?[tb]?.state == .initial { whileInitial.append(body) }
        }
        #expect(whileInitial.count >= 4 && Set(whileInitial) == ["a"], "\(whileInitial)")
        #expect(lb.health()["g"]?[tb]?.state == .healthy)
        let after = try (0..<4).map { _ in try get(try #require(lb.port(ofListener: "web")), "/")?.body ?? "failed" }
        #expect(Set(after) == ["a", "b"], "\(after)")
    }
}

import BerthSys
import Foundation
import Testing
@testable import BerthLB
#if canImport(Glibc)
import Glibc
#endif

/// A target that went away while the load balancer still counts it healthy (its health checks
/// have not noticed yet): a request whose connect fails, so that nothing reached the target, is
/// sent to another target instead of being answered 502.
@Suite(.serialized) struct ConnectRetryTests {
    /// Both targets healthy, then health checks slowed down so that a stopped target stays
    /// healthy for the rest of the test.
    func twoHealthyThenSlowChecks() throws -> (LBDataPlane, Int, TestBackend, TestBackend) {
        let a = try TestBackend("a"), b = try TestBackend("b")
        let lb = try LBDataPlane()
        let listener = LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [a, b])])
        #expect(ProxyTests.allHealthy(lb, "g", 2))
        let slow = LBHealthCheck(protocolKind: .http, path: "/health", intervalSeconds: 60, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2, matcher: "200-399")
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [a, b], health: slow)])
        usleep(300_000)  // probes already under way finish
        return (lb, try #require(lb.port(ofListener: "web")), a, b)
    }

    @Test func aFailedConnectIsRetriedOnAnotherTarget() throws {
        let (lb, port, a, b) = try twoHealthyThenSlowChecks()
        defer { lb.stop(); a.stop() }
        b.stop()  // nothing listens on b's port any more
        #expect(lb.health()["g"]?[LBTarget(host: "127.0.0.1", port: b.port)]?.state == .healthy)
        for _ in 0..<6 {
            let r = try #require(try get(port, "/"))
            #expect(r.status == 200 && r.body == "a")
        }
        // A request with a body (nothing of it reached b either) and one on a keep-alive client connection.
        let c = try RawClient(port: port)
        for _ in 0..<4 {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            let r = try #require(c.response())
            #expect(r.status == 200 && r.body == "hello")
        }
    }

    @Test func withNoTargetLeftTheAnswerIs502() throws {
        let (lb, port, a, b) = try twoHealthyThenSlowChecks()
        defer { lb.stop() }
        a.stop()
        b.stop()
        for _ in 0..<3 { #expect(try get(port, "/")?.status == 502) }
    }
}

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

    /// NLB: a flow whose connect to a target that stopped listening fails goes to another target.
    @Test func aFlowWhoseConnectFailsMovesToAnotherTarget() throws {
        let s1 = try ShoutBackend("one"), s2 = try ShoutBackend("two")
        defer { s1.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let fast = LBHealthCheck(protocolKind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.1, healthyThreshold: 2, unhealthyThreshold: 2)
        let slow = LBHealthCheck(protocolKind: .tcp, intervalSeconds: 60, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2)
        let listener = LBListenerSpec(id: "nlb", port: 0, kind: .tcp, defaultGroup: "t")
        func group(_ h: LBHealthCheck) -> LBTargetGroupSpec {
            LBTargetGroupSpec(id: "t", protocolKind: .tcp, targets: [LBTarget(host: "127.0.0.1", port: s1.port), LBTarget(host: "127.0.0.1", port: s2.port)],
                              health: h, deregistrationDelaySeconds: 0)
        }
        try lb.apply(listeners: [listener], groups: [group(fast)])
        #expect(ProxyTests.allHealthy(lb, "t", 2))
        try lb.apply(listeners: [listener], groups: [group(slow)])
        usleep(300_000)
        s2.stop()
        #expect(lb.health()["t"]?[LBTarget(host: "127.0.0.1", port: s2.port)]?.state == .healthy)
        let port = try #require(lb.port(ofListener: "nlb"))
        for i in 0..<8 {
            let fd = try Socket.connectTCP(host: "127.0.0.1", port: UInt16(port))
            defer { close(fd) }
            _ = Socket.sendAll(fd, Array("hello \(i)".utf8))
            shutdown(fd, Int32(SHUT_WR))
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                all += chunk[0..<n]
            }
            #expect(String(decoding: all, as: UTF8.self) == "one:HELLO \(i)")
        }
    }
}

import BerthSys
import Foundation
import Testing
@testable import BerthLB
#if canImport(Glibc)
import Glibc
#endif

/// The traffic counters against real loopback sockets: requests per group and per target,
/// the targets' response classes and response time, the load balancer's own 5XX answers, and
/// new TCP flows.
@Suite(.serialized) struct CounterTests {
    @Test func httpRequestsAreCountedPerGroupAndTarget() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane(idleTimeoutSeconds: 5)
        defer { lb.stop() }
        try lb.apply(listeners: [
            LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "main"),
            LBListenerSpec(id: "empty", port: 0, kind: .http, defaultGroup: "none"),
        ], groups: [ProxyTests.group("main", [a, b]), ProxyTests.group("none", [])])
        let port = try #require(lb.port(ofListener: "web")), emptyPort = try #require(lb.port(ofListener: "empty"))
        #expect(ProxyTests.allHealthy(lb, "main", 2))
        #expect(lb.counters().groups["main"]?.requests == 0)
        for _ in 0..<6 { #expect(try get(port, "/")?.status == 200) }
        #expect(try get(port, "/slow?ms=200")?.status == 200)
        #expect(try get(port, "/reset")?.status == 502)
        #expect(try get(emptyPort, "/")?.status == 503)
        #expect(eventually(5) { lb.counters().groups["main"]?.requests == 8 })
        let c = lb.counters()
        let g = try #require(c.groups["main"])
        let ta = LBTarget(host: "127.0.0.1", port: a.port), tb = LBTarget(host: "127.0.0.1", port: b.port)
        #expect(g.targets[ta]?.requests == 4 && g.targets[tb]?.requests == 4, "round robin: \(g.targets)")
        #expect(g.target2xx == 7 && g.target3xx == 0 && g.target4xx == 0 && g.target5xx == 0)
        #expect(g.responseTimeCount == 7)
        #expect(g.responseTimeSum >= 0.2 && g.responseTimeSum < 5, "\(g.responseTimeSum)")
        // The 502 (the target reset) was a request to a chosen target; the 503 (no target) is not.
        #expect(c.listeners["web"]?.requests == 8 && c.listeners["web"]?.elb5xx == 1)
        #expect(c.listeners["empty"]?.requests == 0 && c.listeners["empty"]?.elb5xx == 1)
        #expect(c.groups["none"]?.requests == 0)
    }

    @Test func tcpFlowsAreCountedPerTarget() throws {
        let s1 = try ShoutBackend("one")
        defer { s1.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let health = LBHealthCheck(protocolKind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.1, healthyThreshold: 2, unhealthyThreshold: 2)
        let target = LBTarget(host: "127.0.0.1", port: s1.port)
        try lb.apply(listeners: [LBListenerSpec(id: "nlb", port: 0, kind: .tcp, defaultGroup: "t")],
                     groups: [LBTargetGroupSpec(id: "t", protocolKind: .tcp, targets: [target], health: health, deregistrationDelaySeconds: 0)])
        let port = try #require(lb.port(ofListener: "nlb"))
        #expect(ProxyTests.allHealthy(lb, "t", 1))
        for i in 0..<3 {
            let fd = try Socket.connectTCP(host: "127.0.0.1", port: UInt16(port))
            _ = Socket.sendAll(fd, Array("hi \(i)".utf8))
            shutdown(fd, Int32(SHUT_WR))
            var chunk = [UInt8](repeating: 0, count: 256)
            while recv(fd, &chunk, chunk.count, 0) > 0 {}
            close(fd)
        }
        #expect(eventually(5) { lb.counters().groups["t"]?.newFlows == 3 })
        #expect(lb.counters().groups["t"]?.targets[target]?.newFlows == 3)
        #expect(lb.counters().listeners["nlb"]?.newFlows == 3)
        #expect(lb.counters().groups["t"]?.requests == 0)
    }
}

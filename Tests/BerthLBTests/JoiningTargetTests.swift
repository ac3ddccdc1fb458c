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

/// A target that leaves while a request is in flight on a keep-alive connection: the request is
/// answered, the connection to the target is then closed instead of going back to the pool
/// (never mid-request), and the client's own keep-alive connection stays open, its next request
/// going to the remaining target.
@Suite(.serialized) struct LeavingTargetTests {
    @Test func aDrainingTargetsConnectionClosesAfterTheResponseWhileTheClientStays() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let listener = LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [a], delay: 30)])
        #expect(ProxyTests.allHealthy(lb, "g", 1))
        let port = try #require(lb.port(ofListener: "web"))
        let client = try RawClient(port: port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.response()?.body == "a")
        #expect(a.openConnections == 1)  // pooled
        client.send("GET /slow?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(150_000)
        try lb.apply(listeners: [listener], groups: [ProxyTests.group("g", [b], delay: 30)])
        #expect(lb.health()["g"]?[LBTarget(host: "127.0.0.1", port: a.port)]?.state == .draining)
        #expect(a.openConnections == 1)  // still serving the request
        let slow = try #require(client.response())
        #expect(slow.status == 200 && slow.body == "a slow")
        #expect(eventually(2) { a.openConnections == 0 })  // not pooled again
        #expect(ProxyTests.allHealthy(lb, "g", 1))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.response()?.body == "b")  // the same client connection, now to b
    }
}

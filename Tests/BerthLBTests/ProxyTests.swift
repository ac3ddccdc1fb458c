import BerthSys
import Foundation
import Testing
@testable import BerthLB
#if canImport(Glibc)
import Glibc
#endif

/// The data plane against real loopback sockets: backends are small servers in this process.
@Suite(.serialized) struct ProxyTests {
    static func fastHealth(path: String = "/health", healthy: Int = 2, unhealthy: Int = 2) -> LBHealthCheck {
        LBHealthCheck(protocolKind: .http, path: path, intervalSeconds: 0.1, timeoutSeconds: 0.1, healthyThreshold: healthy, unhealthyThreshold: unhealthy, matcher: "200-399")
    }

    static func group(_ id: String, _ backends: [TestBackend], delay: Double = 0, algorithm: LBAlgorithm = .roundRobin, health: LBHealthCheck = fastHealth()) -> LBTargetGroupSpec {
        LBTargetGroupSpec(id: id, protocolKind: .http, targets: backends.map { LBTarget(host: "127.0.0.1", port: $0.port) },
                          health: health, deregistrationDelaySeconds: delay, algorithm: algorithm)
    }

    static func allHealthy(_ lb: LBDataPlane, _ group: String, _ count: Int) -> Bool {
        eventually(15) { (lb.health()[group] ?? [:]).values.filter { $0.state == .healthy }.count == count }
    }

    @Test func routesRoundRobinAndRules() throws {
        let a = try TestBackend("a"), b = try TestBackend("b"), api = try TestBackend("api")
        defer { a.stop(); b.stop(); api.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "main", rules: [
            LBRule(priority: 1, pathPatterns: ["/api/*"], group: "api"),
            LBRule(priority: 2, hostPatterns: ["api.*"], group: "api"),
        ])], groups: [Self.group("main", [a, b]), Self.group("api", [api])])
        let port = try #require(lb.port(ofListener: "web"))
        #expect(Self.allHealthy(lb, "main", 2))
        let names = try (0..<4).map { _ in try get(port, "/")?.body ?? "" }
        #expect(Set(names) == ["a", "b"] && names.filter { $0 == "a" }.count == 2)
        #expect(try get(port, "/api/users")?.headers["x-backend"] == "api")
        #expect(try get(port, "/", host: "api.example.com:8080")?.headers["x-backend"] == "api")
    }

    @Test func forwardedHeadersAndKeepAliveReuse() throws {
        let a = try TestBackend("a")
        defer { a.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")], groups: [Self.group("g", [a])])
        let port = try #require(lb.port(ofListener: "web"))
        #expect(Self.allHealthy(lb, "g", 1))
        let c = try RawClient(port: port)
        for _ in 0..<5 {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(c.response()?.body == "a")
        }
        c.send("GET /headers HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n")
        let head = try #require(c.response()).body
        #expect(head.contains("X-Forwarded-For: 10.0.0.1, 127.0.0.1"))
        #expect(head.contains("X-Forwarded-Proto: http"))
        #expect(head.contains("X-Forwarded-Port: \(port)"))
        // Health checks open their own connections; the six requests shared one.
        let before = a.connections
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(c.response()?.body == "a")
        #expect(a.connections - before <= 1)
        // A second client's requests reuse the pooled backend connection too.
        let proxied = a.requests
        _ = try get(port, "/")
        #expect(a.requests > proxied)
        // An HTTP/1.0 client's request reaches the target as 1.0 and its connection closes after the answer.
        let old = try RawClient(port: port)
        old.send("GET /headers HTTP/1.0\r\nHost: x\r\n\r\n")
        let oldAnswer = try #require(old.response())
        #expect(oldAnswer.body.hasPrefix("GET /headers HTTP/1.0\n") && oldAnswer.headers["connection"] == "close")
        #expect(old.closedByPeer())
        // Connection: close is honoured.
        c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let last = try #require(c.response())
        #expect(last.headers["connection"] == "close")
        #expect(c.closedByPeer())
    }

    @Test func chunkedAndPipelined() throws {
        let a = try TestBackend("a")
        defer { a.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")], groups: [Self.group("g", [a])])
        let port = try #require(lb.port(ofListener: "web"))
        let c = try RawClient(port: port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        #expect(c.response()?.body == "abcdefg")
        c.send("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz")
        let chunked = try #require(c.response())
        #expect(chunked.headers["transfer-encoding"] == "chunked" && chunked.body == "hello, world")
        #expect(c.response()?.body == "xyz")
        // A large body streams through.
        let big = String(repeating: "0123456789", count: 200_000)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(big.utf8.count)\r\n\r\n" + big)
        let echoed = c.response()?.body
        #expect(echoed?.utf8.count == big.utf8.count)
        #expect(echoed == big, "the echoed body differs")
    }

    @Test func answers502503And504() throws {
        let a = try TestBackend("a")
        defer { a.stop() }
        let dead = try TestBackend("dead")
        dead.stop()  // nothing listens on its port now
        let lb = try LBDataPlane(idleTimeoutSeconds: 0.5)
        defer { lb.stop() }
        try lb.apply(listeners: [
            LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g"),
            LBListenerSpec(id: "empty", port: 0, kind: .http, defaultGroup: "none"),
            LBListenerSpec(id: "dead", port: 0, kind: .http, defaultGroup: "dead"),
        ], groups: [Self.group("g", [a]), Self.group("none", []), Self.group("dead", [dead])])
        let port = try #require(lb.port(ofListener: "web"))
        let emptyPort = try #require(lb.port(ofListener: "empty")), deadPort = try #require(lb.port(ofListener: "dead"))
        let r503 = try #require(try get(emptyPort, "/"))
        #expect(r503.status == 503 && r503.body.contains("503 Service Temporarily Unavailable"))
        #expect(try get(deadPort, "/")?.status == 502)
        #expect(try get(port, "/reset")?.status == 502)
        let r504 = try #require(try get(port, "/slow?ms=1500"))
        #expect(r504.status == 504 && r504.headers["server"] == "awselb/2.0")
        #expect(try get(port, "/")?.body == "a")
    }

    @Test func leastOutstandingAvoidsTheBusyTarget() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")],
                     groups: [Self.group("g", [a, b], algorithm: .leastOutstanding)])
        let port = try #require(lb.port(ofListener: "web"))
        #expect(Self.allHealthy(lb, "g", 2))
        // Two slow requests in flight, one on each target; then one more on whichever target.
        let slow = try (0..<3).map { _ in try RawClient(port: port) }
        for c in slow.prefix(2) { c.send("GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n") }
        usleep(100_000)
        slow[2].send("GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)
        // One target has two outstanding requests, the other one: quick requests go to the other.
        let quick = try (0..<3).map { _ in try get(port, "/")?.body ?? "" }
        #expect(Set(quick).count == 1, "every quick request goes to the less busy target: \(quick)")
        let answers = slow.map { $0.response()?.body ?? "" }
        let slowOn = answers.filter { $0 == "\(quick[0]) slow" }.count
        #expect(slowOn == 1, "the less busy target had one slow request: \(answers)")
    }

    @Test func healthTransitionsAndFailOpen() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")],
                     groups: [Self.group("g", [a, b], health: Self.fastHealth(healthy: 3, unhealthy: 2))])
        let port = try #require(lb.port(ofListener: "web"))
        let ta = LBTarget(host: "127.0.0.1", port: a.port), tb = LBTarget(host: "127.0.0.1", port: b.port)
        #expect(lb.health()["g"]?[ta]?.state == .initial)
        #expect(lb.health()["g"]?[ta]?.reason == "Elb.InitialHealthChecking")
        #expect(Self.allHealthy(lb, "g", 2))
        a.healthStatus = 500
        #expect(eventually { lb.health()["g"]?[ta]?.state == .unhealthy })
        #expect(lb.health()["g"]?[ta]?.reason == "Target.ResponseCodeMismatch")
        #expect(lb.health()["g"]?[tb]?.state == .healthy)
        let names = try (0..<4).map { _ in try get(port, "/")?.body ?? "" }
        #expect(names == ["b", "b", "b", "b"])
        // All unhealthy: ALB fails open and routes to every target.
        b.healthStatus = 404
        #expect(eventually { lb.health()["g"]?[tb]?.state == .unhealthy })
        let open = try (0..<4).map { _ in try get(port, "/")?.body ?? "" }
        #expect(Set(open) == ["a", "b"])
        a.healthStatus = 200
        #expect(eventually { lb.health()["g"]?[ta]?.state == .healthy })
        // A target that stops answering times out.
        a.stop()
        #expect(eventually { lb.health()["g"]?[ta]?.state == .unhealthy })
        #expect(lb.health()["g"]?[ta]?.reason == "Target.FailedHealthChecks")
    }

    @Test func drainingFinishesInFlightWhileNewRequestsGoElsewhere() throws {
        let a = try TestBackend("a"), b = try TestBackend("b")
        defer { a.stop(); b.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let listener = LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")
        try lb.apply(listeners: [listener], groups: [Self.group("g", [a, b], delay: 1.5)])
        let port = try #require(lb.port(ofListener: "web"))
        #expect(Self.allHealthy(lb, "g", 2))
        // Find a request that lands on a slowly.
        let slow = try RawClient(port: port)
        let idle = try RawClient(port: port)
        idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = idle.response()?.body
        if first == "b" {
            idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(idle.response()?.body == "a")
        }
        // Now the next request goes to b; the one after to a: make that the slow one.
        _ = try get(port, "/")
        slow.send("GET /slow?ms=700 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(150_000)
        try lb.apply(listeners: [listener], groups: [Self.group("g", [b], delay: 1.5)])
        let ta = LBTarget(host: "127.0.0.1", port: a.port)
        #expect(lb.health()["g"]?[ta]?.state == .draining)
        #expect(lb.health()["g"]?[ta]?.reason == "Target.DeregistrationInProgress")
        for _ in 0..<4 { #expect(try get(port, "/")?.body == "b") }
        let r = try #require(slow.response())
        #expect(r.status == 200 && r.body == "a slow")
        #expect(eventually(3) { lb.health()["g"]?[ta] == nil })
        // A request still in flight when the delay ends is cut off.
        try lb.apply(listeners: [listener], groups: [Self.group("g", [a, b], delay: 0.3)])
        #expect(Self.allHealthy(lb, "g", 2))
        let cut = try RawClient(port: port)
        var sawA = false
        for _ in 0..<2 where !sawA {
            cut.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            sawA = cut.response()?.body == "a"
        }
        #expect(sawA)
        _ = try get(port, "/")  // b; the next one goes to a
        cut.send("GET /slow?ms=2000 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)
        try lb.apply(listeners: [listener], groups: [Self.group("g", [b], delay: 0.3)])
        #expect(cut.response() == nil)
    }

    @Test func drainingClosesIdleKeepAliveConnectionsAtOnce() throws {
        let a = try TestBackend("a")
        defer { a.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let listener = LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")
        try lb.apply(listeners: [listener], groups: [Self.group("g", [a], delay: 30)])
        let port = try #require(lb.port(ofListener: "web"))
        #expect(try get(port, "/")?.body == "a")
        #expect(a.openConnections >= 1)  // the pooled keep-alive connection
        try lb.apply(listeners: [listener], groups: [Self.group("g", [], delay: 30)])
        #expect(lb.health()["g"]?[LBTarget(host: "127.0.0.1", port: a.port)]?.state == .draining)
        #expect(eventually(2) { a.openConnections == 0 })
        #expect(try get(port, "/")?.status == 503)
    }

    @Test func tcpFlowsWithHalfClose() throws {
        let s1 = try ShoutBackend("one"), s2 = try ShoutBackend("two")
        defer { s1.stop(); s2.stop() }
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let health = LBHealthCheck(protocolKind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.1, healthyThreshold: 2, unhealthyThreshold: 2)
        try lb.apply(listeners: [LBListenerSpec(id: "nlb", port: 0, kind: .tcp, defaultGroup: "t")],
                     groups: [LBTargetGroupSpec(id: "t", protocolKind: .tcp, targets: [LBTarget(host: "127.0.0.1", port: s1.port), LBTarget(host: "127.0.0.1", port: s2.port)], health: health, deregistrationDelaySeconds: 0)])
        let port = try #require(lb.port(ofListener: "nlb"))
        #expect(Self.allHealthy(lb, "t", 2))
        var seen = Set<String>()
        for i in 0..<12 {
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
            let text = String(decoding: all, as: UTF8.self)
            #expect(text.hasSuffix(":HELLO \(i)"))
            seen.insert(String(text.prefix(while: { $0 != ":" })))
        }
        #expect(seen == ["one", "two"])
    }

    @Test func applyIsIdempotentAndRefusesBadInput() throws {
        let lb = try LBDataPlane()
        defer { lb.stop() }
        let spec = [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "g")]
        try lb.apply(listeners: spec, groups: [LBTargetGroupSpec(id: "g", protocolKind: .http, targets: [])])
        let port = lb.port(ofListener: "web")
        try lb.apply(listeners: spec, groups: [LBTargetGroupSpec(id: "g", protocolKind: .http, targets: [])])
        #expect(lb.port(ofListener: "web") == port)
        #expect(throws: LBConfigError.self) {
            try lb.apply(listeners: [LBListenerSpec(id: "web", port: 0, kind: .http, defaultGroup: "missing")], groups: [])
        }
        #expect(lb.port(ofListener: "web") == port)
        // A group no listener forwards to: its targets are unused.
        try lb.apply(listeners: spec, groups: [LBTargetGroupSpec(id: "g", protocolKind: .http, targets: []),
                                               LBTargetGroupSpec(id: "spare", protocolKind: .http, targets: [LBTarget(host: "127.0.0.1", port: 9)])])
        let spare = lb.health()["spare"]?[LBTarget(host: "127.0.0.1", port: 9)]
        #expect(spare?.state == .unused && spare?.reason == "Target.NotInUse")
        // A port in use is refused, naming the listener.
        do {
            try lb.apply(listeners: spec + [LBListenerSpec(id: "clash", port: port!, kind: .http, defaultGroup: "g")],
                         groups: [LBTargetGroupSpec(id: "g", protocolKind: .http, targets: [])])
            Issue.record("expected an error")
        } catch let e as LBConfigError {
            #expect(e.message.contains("listener clash"))
        }
    }
}

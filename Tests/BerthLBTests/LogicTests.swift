import Testing
@testable import BerthLB

@Suite struct LogicTests {
    @Test func globPatterns() {
        #expect(Glob.matches("/api/*", "/api/users/1"))
        #expect(Glob.matches("/img/??.png", "/img/ab.png"))
        #expect(!Glob.matches("/img/??.png", "/img/abc.png"))
        #expect(!Glob.matches("/api/*", "/apx/1"))
        #expect(Glob.matches("*.example.com", "WWW.Example.com", caseInsensitive: true))
        #expect(Glob.matches("*", ""))
    }

    @Test func rulesByPriority() {
        let l = LBListenerSpec(id: "l", port: 80, kind: .http, defaultGroup: "d", rules: [
            LBRule(priority: 20, pathPatterns: ["/api/*"], group: "api"),
            LBRule(priority: 10, pathPatterns: ["/api/admin*"], group: "admin"),
            LBRule(priority: 30, pathPatterns: ["/api/*"], hostPatterns: ["b.*"], group: "never"),
            LBRule(priority: 5, hostPatterns: ["static.*"], group: "static"),
        ])
        #expect(Router.group(for: l, host: "a", path: "/api/x") == "api")
        #expect(Router.group(for: l, host: "a", path: "/api/admin/1") == "admin")
        #expect(Router.group(for: l, host: "static.example", path: "/api/x") == "static")
        #expect(Router.group(for: l, host: "a", path: "/") == "d")
        #expect(Router.hostName("example.com:8080") == "example.com")
    }

    @Test func matcherCodes() throws {
        let m = try Matcher.parse("200-299,302")
        #expect(m.accepts(204) && m.accepts(302) && !m.accepts(301) && !m.accepts(500))
        #expect(throws: LBConfigError.self) { try Matcher.parse("abc") }
        #expect(throws: LBConfigError.self) { try Matcher.parse("300-200") }
    }

    @Test func healthThresholds() {
        var r = HealthRecord()
        #expect(r.state == .initial && r.reason == "Elb.InitialHealthChecking")
        r = r.after(.success, healthyThreshold: 3, unhealthyThreshold: 2)
        r = r.after(.success, healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.state == .initial)
        r = r.after(.success, healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.state == .healthy && r.reason == nil)
        r = r.after(.codeMismatch(500), healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.state == .healthy)
        r = r.after(.codeMismatch(500), healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.state == .unhealthy && r.reason == "Target.ResponseCodeMismatch" && r.description == "Health checks failed with these codes: [500]")
        r = r.after(.timeout, healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.reason == "Target.Timeout")
        r = r.after(.success, healthyThreshold: 3, unhealthyThreshold: 2)
        #expect(r.state == .unhealthy)
    }

    @Test func failOpenAndLeastOutstanding() {
        let a = LBTarget(host: "127.0.0.1", port: 1), b = LBTarget(host: "127.0.0.1", port: 2)
        var healthy = HealthRecord(); healthy.state = .healthy
        var sick = HealthRecord(); sick.state = .unhealthy
        #expect(Balance.candidates([a, b], health: [a: healthy, b: sick]) == [a])
        #expect(Balance.candidates([a, b], health: [a: sick, b: sick]) == [a, b])
        #expect(Balance.leastOutstanding([a, b], outstanding: [a: 3, b: 1], cursor: 0) == b)
        let h1 = Balance.flowHash([a, b], clientHost: "127.0.0.1", clientPort: 5000, listenerPort: 80)
        #expect(h1 == Balance.flowHash([a, b], clientHost: "127.0.0.1", clientPort: 5000, listenerPort: 80))
    }

    @Test func chunkedCounterAcrossPieces() {
        let body = Array("4\r\nwiki\r\n5;x=1\r\npedia\r\n0\r\nTrailer: t\r\n\r\nNEXT".utf8)
        var c = BodyCounter(.chunked)
        var taken = 0
        for i in stride(from: 0, to: body.count, by: 3) where !c.done {
            taken += c.take(Array(body[0..<min(i + 3, body.count)]), from: taken)
        }
        #expect(c.done && !c.invalid)
        #expect(taken == body.count - 4)
        var bad = BodyCounter(.chunked)
        _ = bad.take(Array("zz\r\n".utf8), from: 0)
        #expect(bad.invalid)
    }

    @Test func responseHeadFraming() throws {
        let raw = Array("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello".utf8)
        let end = try #require(ResponseHead.headEnd(raw, from: 0))
        let h = try #require(ResponseHead.parse(raw, from: 0, end: end, requestMethod: "GET", closeClient: true))
        #expect(h.framing == .length(5) && !h.backendCloses)
        #expect(String(decoding: h.forward, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
        let head = try #require(ResponseHead.parse(raw, from: 0, end: end, requestMethod: "HEAD", closeClient: false))
        #expect(head.framing == .length(0))
    }

    @Test func keepAliveByVersionAndConnection() {
        #expect(Hop.keepAlive(version: "HTTP/1.1", connection: nil))
        #expect(!Hop.keepAlive(version: "HTTP/1.1", connection: "Close"))
        #expect(!Hop.keepAlive(version: "HTTP/1.0", connection: nil))
        #expect(Hop.keepAlive(version: "HTTP/1.0", connection: "Keep-Alive"))
        #expect(Hop.classify("X-Forwarded-For") == .forwardedFor && Hop.classify("connection") == .drop && Hop.classify("Host") == .keep)
    }

    @Test func validationNamesTheProblem() {
        let g = LBTargetGroupSpec(id: "g", protocolKind: .http, targets: [])
        func message(_ l: [LBListenerSpec], _ gs: [LBTargetGroupSpec]) -> String {
            do { try Validate.config(listeners: l, groups: gs); return "" } catch { return error.message }
        }
        #expect(message([LBListenerSpec(id: "l", port: 80, kind: .http, defaultGroup: "nope")], [g]).contains("target group nope does not exist"))
        #expect(message([LBListenerSpec(id: "l", port: 80, kind: .tcp, defaultGroup: "g")], [g]).contains("has protocol http"))
        var bad = g
        bad.health.matcher = "x"
        #expect(message([], [bad]).contains("matcher"))
        bad = g
        bad.targets = [LBTarget(host: "web.local", port: 80)]
        #expect(message([], [bad]).contains("not an IPv4 address"))
        #expect(message([], [g, g]).contains("defined twice"))
    }
}

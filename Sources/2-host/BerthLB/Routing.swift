import Foundation

/// Pure decisions of the data plane: rule matching, health matcher codes, health state, target choice.

enum Glob {
    /// ELB's wildcard match: `*` any run of characters (also none), `?` exactly one; case-insensitive for hosts.
    static func matches(_ pattern: String, _ text: String, caseInsensitive: Bool = false) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).utf8)
        let t = Array((caseInsensitive ? text.lowercased() : text).utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

enum Router {
    /// The group for a request: the rule with the lowest priority number whose conditions all
    /// match, else the listener's default. `host` is the Host header without its port.
    static func group(for listener: LBListenerSpec, host: String, path: String) -> String {
        for rule in listener.rules.sorted(by: { $0.priority < $1.priority }) {
            if !rule.pathPatterns.isEmpty, !rule.pathPatterns.contains(where: { Glob.matches($0, path) }) { continue }
            if !rule.hostPatterns.isEmpty, !rule.hostPatterns.contains(where: { Glob.matches($0, host, caseInsensitive: true) }) { continue }
            return rule.group
        }
        return listener.defaultGroup
    }

    /// `example.com:8080` -> `example.com`.
    static func hostName(_ header: String?) -> String {
        guard let header else { return "" }
        if header.hasPrefix("[") { return String(header.prefix(while: { $0 != "]" })) + "]" }
        return String(header.prefix(while: { $0 != ":" }))
    }
}

/// ELB's success codes: "200", "200,202", "200-299".
struct Matcher: Equatable {
    var ranges: [ClosedRange<Int>]

    static func parse(_ text: String) throws(LBConfigError) -> Matcher {
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let lo = bounds.first!, let hi = bounds.last!, 100 <= lo, lo <= hi, hi <= 599 else {
                throw LBConfigError("health check matcher \(text.debugDescription): expected codes like 200, 200,202 or 200-399 (100-599)")
            }
            ranges.append(lo...hi)
        }
        return Matcher(ranges: ranges)
    }

    func accepts(_ code: Int) -> Bool { ranges.contains { $0.contains(code) } }
}

/// The outcome of one health check.
enum ProbeResult: Equatable {
    case success
    case timeout
    case codeMismatch(Int)
    case failed(String)
}

/// One registered target's health, driven by probe results (pure).
struct HealthRecord: Equatable {
    var state: LBTargetState = .initial
    var successes = 0
    var failures = 0
    var reason: String? = "Elb.InitialHealthChecking"
    var description: String? = "Initial health checking in progress"

    /// The record after `result` with the group's thresholds: `healthyThreshold` consecutive
    /// successes make a target healthy, `unhealthyThreshold` consecutive failures unhealthy.
    func after(_ result: ProbeResult, healthyThreshold: Int, unhealthyThreshold: Int) -> HealthRecord {
        var r = self
        if result == .success {
            r.successes += 1
            r.failures = 0
            if r.state != .healthy, r.successes >= healthyThreshold {
                r.state = .healthy
                r.reason = nil
                r.description = nil
            }
            return r
        }
        r.failures += 1
        r.successes = 0
        if r.failures >= unhealthyThreshold {
            r.state = .unhealthy
            switch result {
            case .timeout: (r.reason, r.description) = ("Target.Timeout", "Request timed out")
            case .codeMismatch(let code): (r.reason, r.description) = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [\(code)]")
            case .failed(let why): (r.reason, r.description) = ("Target.FailedHealthChecks", "Health checks failed: \(why)")
            case .success: break
            }
        }
        return r
    }

    var routable: Bool { state == .healthy }
}

enum Balance {
    /// Candidates for new requests: healthy targets; when none is healthy, every registered
    /// (not draining) target: ALB fails open.
    static func candidates(_ targets: [LBTarget], health: [LBTarget: HealthRecord]) -> [LBTarget] {
        let healthy = targets.filter { health[$0]?.routable == true }
        return healthy.isEmpty ? targets : healthy
    }

    /// Least outstanding requests, ties broken by the round-robin cursor.
    static func leastOutstanding(_ candidates: [LBTarget], outstanding: [LBTarget: Int], cursor: Int) -> LBTarget? {
        guard !candidates.isEmpty else { return nil }
        var best: LBTarget?
        var bestCount = Int.max
        for i in 0..<candidates.count {
            let t = candidates[(cursor + i) % candidates.count]
            let n = outstanding[t] ?? 0
            if n < bestCount { best = t; bestCount = n }
        }
        return best
    }

    /// NLB's flow hash: the same client address and port always reach the same target while the set stands.
    static func flowHash(_ candidates: [LBTarget], clientHost: String, clientPort: Int, listenerPort: Int) -> LBTarget? {
        guard !candidates.isEmpty else { return nil }
        var h: UInt64 = 0xcbf29ce484222325
        for b in "\(clientHost):\(clientPort)>\(listenerPort)".utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return candidates[Int(h % UInt64(candidates.count))]
    }
}

enum Validate {
    static func config(listeners: [LBListenerSpec], groups: [LBTargetGroupSpec]) throws(LBConfigError) {
        var groupKinds: [String: LBProtocol] = [:]
        for g in groups {
            guard groupKinds[g.id] == nil else { throw LBConfigError("target group \(g.id): defined twice") }
            groupKinds[g.id] = g.protocolKind
            let h = g.health
            guard h.intervalSeconds > 0, h.timeoutSeconds > 0, h.timeoutSeconds <= h.intervalSeconds else {
                throw LBConfigError("target group \(g.id): health check timeout (\(h.timeoutSeconds) s) must be positive and at most the interval (\(h.intervalSeconds) s)")
            }
            guard (2...10).contains(h.healthyThreshold), (2...10).contains(h.unhealthyThreshold) else {
                throw LBConfigError("target group \(g.id): healthy and unhealthy thresholds must be 2-10")
            }
            if h.protocolKind == .http {
                _ = try Matcher.parse(h.matcher)
                guard h.path.hasPrefix("/") else { throw LBConfigError("target group \(g.id): health check path \(h.path.debugDescription) must start with /") }
            }
            if case .number(let p) = h.port, !(1...65535).contains(p) { throw LBConfigError("target group \(g.id): health check port \(p) is not 1-65535") }
            guard g.deregistrationDelaySeconds >= 0 else { throw LBConfigError("target group \(g.id): deregistration delay must be >= 0") }
            for t in g.targets {
                guard (1...65535).contains(t.port) else { throw LBConfigError("target group \(g.id): target \(t) port is not 1-65535") }
                guard ipv4(t.host) else { throw LBConfigError("target group \(g.id): target host \(t.host.debugDescription) is not an IPv4 address") }
            }
        }
        var ids = Set<String>()
        var addresses = Set<String>()
        for l in listeners {
            guard ids.insert(l.id).inserted else { throw LBConfigError("listener \(l.id): defined twice") }
            guard (0...65535).contains(l.port) else { throw LBConfigError("listener \(l.id): port \(l.port) is not 0-65535") }
            guard ipv4(l.host) else { throw LBConfigError("listener \(l.id): host \(l.host.debugDescription) is not an IPv4 address") }
            if l.port != 0 { guard addresses.insert("\(l.host):\(l.port)").inserted else { throw LBConfigError("listener \(l.id): \(l.host):\(l.port) is used by another listener") } }
            if l.kind == .tcp, !l.rules.isEmpty { throw LBConfigError("listener \(l.id): rules are for HTTP listeners only") }
            for g in [l.defaultGroup] + l.rules.map(\.group) {
                guard let kind = groupKinds[g] else { throw LBConfigError("listener \(l.id): target group \(g) does not exist") }
                guard kind == l.kind else { throw LBConfigError("listener \(l.id) (\(l.kind.rawValue)): target group \(g) has protocol \(kind.rawValue)") }
            }
            var priorities = Set<Int>()
            for r in l.rules {
                guard priorities.insert(r.priority).inserted else { throw LBConfigError("listener \(l.id): two rules with priority \(r.priority)") }
                guard !(r.pathPatterns.isEmpty && r.hostPatterns.isEmpty) else { throw LBConfigError("listener \(l.id): rule \(r.priority) has no condition") }
            }
        }
    }

    static func ipv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }
    }
}

import BerthJSON
import BerthSys
import Foundation

/// The agent's Elastic Load Balancing v2: the resources (durable under `<state>/elb`), the
/// operations of the Query API (`ELBOperations.swift`) and the registration calls the ECS
/// service scheduler makes. Every change is applied to the data plane as desired state; a
/// change the data plane refuses (a listener port already taken) is rolled back and answered.
public final class ELBService: @unchecked Sendable {
    public static let namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
    let lock = NSLock()
    var resources: ELBResources
    let dataPlane: any LoadBalancerDataPlane
    let dir: String?
    let region: String
    let account: String
    let clock: @Sendable () -> Double
    /// Where listeners listen (loopback).
    public let listenHost: String
    let log: @Sendable (String) -> Void
    /// The agent's `--time-scale`: health check interval and timeout and the deregistration
    /// delay are multiplied by it (`ELBTimeScale`); the API shows the unscaled values.
    public let timeScale: Double

    /// `stateDir` nil keeps everything in memory (tests).
    public init(stateDir: String?, region: String, account: String, dataPlane: any LoadBalancerDataPlane,
                listenHost: String = "127.0.0.1", timeScale: Double = 1, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.dir = stateDir.map { $0 + "/elb" }
        self.region = region
        self.account = account
        self.dataPlane = dataPlane
        self.listenHost = listenHost
        self.timeScale = timeScale
        self.clock = clock
        self.log = log
        resources = ELBResources()
        if let dir {
            try Files.makeDirectories(dir, mode: 0o700)
            if let bytes = try? Files.readBytes(dir + "/resources.json") {
                do { resources = try ELBResources(json: try JSONValue.parse(bytes: bytes), path: JSONPath()) } catch {
                    let aside = dir + "/resources.json.corrupt-\(Int(wallClockNow()))"
                    rename(dir + "/resources.json", aside)
                    log("\(dir)/resources.json is unreadable (\(error)); moved aside to \(aside)")
                }
            }
        }
        let (l, g) = resources.dataPlaneSpec(host: listenHost, timeScale: timeScale)
        do { try dataPlane.apply(listeners: l, groups: g) } catch { log("load balancers: \(error)") }
    }

    func arn(_ resource: String) -> String { "arn:aws:elasticloadbalancing:\(region):\(account):\(resource)" }

    static func hex16() -> String { String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }

    /// Read under the lock.
    func read<T>(_ body: (ELBResources) throws(APIError) -> T) throws(APIError) -> T {
        lock.lock(); defer { lock.unlock() }
        return try body(resources)
    }

    /// Change under the lock: the data plane must accept the new state, then it is persisted.
    func change<T>(_ body: (inout ELBResources) throws(APIError) -> T) throws(APIError) -> T {
        lock.lock(); defer { lock.unlock() }
        var next = resources
        let result = try body(&next)
        guard next != resources else { return result }
        let (l, g) = next.dataPlaneSpec(host: listenHost, timeScale: timeScale)
        do { try dataPlane.apply(listeners: l, groups: g) } catch {
            let (ol, og) = resources.dataPlaneSpec(host: listenHost, timeScale: timeScale)
            try? dataPlane.apply(listeners: ol, groups: og)
            throw APIError("InvalidConfigurationRequest", "The load balancer's data plane refused the change: \(error)")
        }
        resources = next
        persist()
        return result
    }

    func persist() {
        guard let dir else { return }
        do { try Files.writeAtomically(dir + "/resources.json", resources.jsonValue.serializedBytes() + [0x0A], mode: 0o600) } catch {
            log("cannot save load balancers: \(error)")
        }
    }

    public func stop() { dataPlane.stop() }

    // MARK: for the ECS service scheduler

    public func targetGroup(_ arn: String) -> ELBTargetGroup? {
        lock.lock(); defer { lock.unlock() }
        return resources.targetGroups.first { $0.arn == arn }
    }

    /// How long a task deregistered from the group drains before it is stopped: the group's
    /// deregistration_delay.timeout_seconds on the agent's time scale (0 for an unknown group).
    public func drainSeconds(_ arn: String) -> Double {
        ELBTimeScale.delay(targetGroup(arn)?.deregistrationDelay ?? 0, scale: timeScale)
    }

    /// True when the group forwards traffic from some load balancer (ECS requires it).
    public func isAttached(_ arn: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return !resources.loadBalancerArns(of: arn).isEmpty
    }

    public func register(_ group: String, _ targets: [ELBTarget]) throws(APIError) {
        try change { r throws(APIError) in
            guard let i = r.targetGroups.firstIndex(where: { $0.arn == group }) else { throw Self.groupNotFound }
            for t in targets where !r.targetGroups[i].targets.contains(t) { r.targetGroups[i].targets.append(t) }
        }
    }

    public func deregister(_ group: String, _ targets: [ELBTarget]) throws(APIError) {
        try change { r throws(APIError) in
            guard let i = r.targetGroups.firstIndex(where: { $0.arn == group }) else { throw Self.groupNotFound }
            r.targetGroups[i].targets.removeAll { targets.contains($0) }
        }
    }

    /// Health of every target of a group as DescribeTargetHealth reports it, registered ones
    /// first, then draining ones.
    public func targetHealth(_ group: String) -> [(ELBTarget, TargetHealthReport)] {
        lock.lock()
        let g = resources.targetGroups.first { $0.arn == group }
        let attached = !resources.loadBalancerArns(of: group).isEmpty
        lock.unlock()
        guard let g else { return [] }
        let reports = dataPlane.health()[group] ?? [:]
        return Self.describeHealth(g, attached: attached, reports: reports)
    }

    /// Pure: ELB's view of a group's targets from the data plane's reports.
    static func describeHealth(_ g: ELBTargetGroup, attached: Bool, reports: [TargetAddress: TargetHealthReport]) -> [(ELBTarget, TargetHealthReport)] {
        var out: [(ELBTarget, TargetHealthReport)] = g.targets.map { t in
            if !attached {
                return (t, TargetHealthReport(state: .unused, reason: "Target.NotInUse",
                                              description: "Target group is not configured to receive traffic from the load balancer"))
            }
            if !g.health.enabled {
                return (t, TargetHealthReport(state: .unavailable, reason: "Target.HealthCheckDisabled", description: "Health checks disabled"))
            }
            if let r = reports[t.address], r.state != .draining { return (t, r) }
            return (t, TargetHealthReport(state: .initial, reason: "Elb.RegistrationInProgress", description: "Target registration is in progress"))
        }
        let registered = Set(g.targets.map(\.address))
        for (addr, r) in reports.sorted(by: { $0.key.description < $1.key.description }) where r.state == .draining && !registered.contains(addr) {
            out.append((ELBTarget(id: addr.host, port: addr.port), r))
        }
        return out
    }

    /// Where a group is reachable: every listener forwarding to it (by default or a rule),
    /// with its load balancer's name and DNS name.
    public func entryPoints(of group: String) -> [(loadBalancer: String, dnsName: String, proto: String, address: String)] {
        lock.lock(); defer { lock.unlock() }
        let ruled = Set(resources.rules.filter { $0.targetGroupArn == group }.map(\.listenerArn))
        return resources.listeners.filter { $0.targetGroupArn == group || ruled.contains($0.arn) }.compactMap { l in
            guard let lb = resources.loadBalancers.first(where: { $0.arn == l.loadBalancerArn }) else { return nil }
            return (lb.name, lb.dnsName, l.proto, "\(listenHost):\(l.port)")
        }
    }

    static let groupNotFound = APIError("TargetGroupNotFound", "One or more target groups not found")
    static let loadBalancerNotFound = APIError("LoadBalancerNotFound", "One or more load balancers not found")
    static let listenerNotFound = APIError("ListenerNotFound", "One or more listeners not found")
    static let ruleNotFound = APIError("RuleNotFound", "One or more rules not found")
}

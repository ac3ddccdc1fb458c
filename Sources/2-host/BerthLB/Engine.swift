import BerthHTTP
import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Idle backend connections are pooled per group and target.
struct PoolKey: Hashable {
    var group: String
    var target: LBTarget
}

/// What `apply` hands to the loop.
struct PendingConfig {
    var listeners: [(spec: LBListenerSpec, fd: Int32, port: Int)]
    var closeFDs: [Int32]
    var groups: [LBTargetGroupSpec]
}

/// The data plane's event loop: one thread, level-triggered epoll, non-blocking sockets. It owns
/// every listener, client, backend, flow and probe (Docs/load-balancer.md).
final class Engine: @unchecked Sendable {
    let poller: Poller
    let idleTimeout: Double
    /// Per-connection buffering limit in each direction before reading pauses.
    static let bufferCap = 256 * 1024
    static let tick = 0.05
    /// NLB closes a TCP flow that carried nothing for 350 s.
    static let flowIdleTimeout = 350.0

    // Shared with other threads, under `lock`.
    let lock = NSLock()
    var pending: PendingConfig?
    var waiting: [DispatchSemaphore] = []
    var stopping = false
    var snapshot: [String: [LBTarget: LBTargetHealth]] = [:]
    var countersSnapshot = LBCounters()
    let done = DispatchSemaphore(value: 0)

    // Owned by the loop thread.
    var table: [Endpoint?] = []
    var groups: [String: GroupState] = [:]
    var pools: [PoolKey: [BackendConn]] = [:]
    /// Groups some listener forwards to; the others' targets are `unused` and not checked.
    var referenced = Set<String>()
    /// Listeners whose accepts failed for want of resources; watched again at the next tick.
    var paused: [Int32] = []
    var nextTick = 0.0
    /// A counter moved since the last published snapshot.
    var countersDirty = false
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    let parseLimits: HTTPLimits = {
        var l = HTTPLimits()
        l.maxBodyBytes = Int.max / 4
        return l
    }()

    init(idleTimeout: Double) throws(SysError) {
        poller = try Poller()
        self.idleTimeout = idleTimeout
    }

    deinit { scratch.deallocate() }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "berth-lb"
        thread.start()
    }

    /// Hand a configuration to the loop and wait until it runs it (health() then shows it).
    func submit(_ config: PendingConfig) {
        let adopted = DispatchSemaphore(value: 0)
        let running = lock.withLock { () -> Bool in
            waiting.append(adopted)
            return !stopping
        }
        lock.withLock {
            if let old = pending {
                pending = PendingConfig(listeners: config.listeners, closeFDs: old.closeFDs + config.closeFDs, groups: config.groups)
            } else {
                pending = config
            }
        }
        poller.wake()
        if running { _ = adopted.wait(timeout: .now() + 5) }
    }

    func stop() {
        lock.withLock { stopping = true }
        poller.wake()
        _ = done.wait(timeout: .now() + 5)
    }

    // MARK: loop

    private func run() {
        while !lock.withLock({ stopping }) {
            adopt()
            let now0 = monotonicNow()
            let wait = Int32(max(0, (nextTick - now0) * 1000).rounded(.up))
            for (fd, events) in poller.wait(timeoutMs: wait) {
                if fd == poller.wakeFD { poller.drainWake(); continue }
                guard Int(fd) < table.count, let e = table[Int(fd)] else { continue }
                switch e {
                case .listener(let l): acceptAll(l)
                case .client(let c): clientEvent(c, events)
                case .backend(let b): backendEvent(b, events)
                case .flowClient(let f), .flowBackend(let f): flowEvent(f, events)
                case .probe(let p): probeEvent(p, events)
                }
            }
            let now = monotonicNow()
            if now >= nextTick {
                nextTick = now + Self.tick
                tick(now)
            }
        }
        for case let e? in table {
            switch e {
            case .listener(let l): unwatch(l.fd); close(l.fd)
            case .client(let c): closeClient(c)
            case .backend(let b): closeBackend(b)
            case .flowClient(let f), .flowBackend(let f): closeFlow(f)
            case .probe(let p): unwatch(p.fd); close(p.fd)
            }
        }
        table = []
        done.signal()
    }

    func set(_ fd: Int32, _ e: Endpoint?) {
        let i = Int(fd)
        if i >= table.count { table.append(contentsOf: repeatElement(nil, count: max(i + 1 - table.count, 1024))) }
        table[i] = e
    }

    func watch(_ fd: Int32, _ registered: inout UInt32?, _ wanted: UInt32?) {
        poller.update(fd, from: registered, to: wanted)
        registered = wanted
    }

    func unwatch(_ fd: Int32) { set(fd, nil) }

    // MARK: configuration

    private func adopt() {
        let (taken, waiters) = lock.withLock { () -> (PendingConfig?, [DispatchSemaphore]) in
            defer { pending = nil; waiting = [] }
            return (pending, waiting)
        }
        defer { for w in waiters { w.signal() } }
        guard let config = taken else { return }
        let now = monotonicNow()
        for fd in config.closeFDs {
            poller.update(fd, from: BERTH_EPOLLIN, to: nil)
            set(fd, nil)
            close(fd)
        }
        for l in config.listeners {
            if Int(l.fd) < table.count, case .listener(let existing)? = table[Int(l.fd)] {
                existing.spec = l.spec
            } else {
                set(l.fd, .listener(ListenerState(fd: l.fd, spec: l.spec, port: l.port)))
                poller.update(l.fd, from: nil, to: BERTH_EPOLLIN)
            }
        }
        referenced = Set(config.listeners.flatMap { [$0.spec.defaultGroup] + $0.spec.rules.map(\.group) })
        let wanted = Dictionary(config.groups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (id, g) in groups where wanted[id] == nil && !g.removed {
            g.removed = true
            for t in g.targets { deregister(g, t, now: now) }
            g.targets = []
            g.refreshCandidates()
        }
        for spec in config.groups {
            let matcher = (try? Matcher.parse(spec.health.matcher)) ?? Matcher(ranges: [200...399])
            let g: GroupState
            if let existing = groups[spec.id] {
                g = existing
                g.spec = spec
                g.matcher = matcher
                g.removed = false
            } else {
                g = GroupState(spec: spec, matcher: matcher)
                groups[spec.id] = g
            }
            var seen = Set<LBTarget>()
            let fresh = spec.targets.filter { seen.insert($0).inserted }
            for t in g.targets where !seen.contains(t) { deregister(g, t, now: now) }
            let old = Set(g.targets)
            for t in fresh where !old.contains(t) {
                g.draining[t] = nil
                g.health[t] = HealthRecord()
                g.nextProbe[t] = now
            }
            g.targets = fresh
            g.refreshCandidates()
        }
        publish()
        publishCounters()
        nextTick = 0
    }

    /// A target leaves its group: no new requests, idle connections close, the rest after the delay.
    private func deregister(_ g: GroupState, _ t: LBTarget, now: Double) {
        g.health[t] = nil
        g.nextProbe[t] = nil
        g.draining[t] = now + g.spec.deregistrationDelaySeconds
        closeIdle(g.spec.id, t)
    }

    func publish() {
        var view: [String: [LBTarget: LBTargetHealth]] = [:]
        for (id, g) in groups where !g.removed {
            var m: [LBTarget: LBTargetHealth] = [:]
            for t in g.targets {
                if !referenced.contains(id) {
                    m[t] = LBTargetHealth(state: .unused, reason: "Target.NotInUse", description: "Target group is not configured to receive traffic from the load balancer")
                    continue
                }
                let r = g.health[t] ?? HealthRecord()
                m[t] = LBTargetHealth(state: r.state, reason: r.reason, description: r.description)
            }
            for t in g.draining.keys {
                m[t] = LBTargetHealth(state: .draining, reason: "Target.DeregistrationInProgress", description: "Target deregistration is in progress")
            }
            view[id] = m
        }
        lock.withLock { snapshot = view }
    }

    // MARK: choosing a target

    func pick(_ g: GroupState) -> LBTarget? {
        let candidates = g.candidates
        guard !candidates.isEmpty else { return nil }
        g.cursor &+= 1
        switch g.spec.algorithm {
        case .roundRobin: return candidates[g.cursor % candidates.count]
        case .leastOutstanding: return Balance.leastOutstanding(candidates, outstanding: g.outstanding, cursor: g.cursor)
        }
    }

    // MARK: accepting

    private func acceptAll(_ l: ListenerState) {
        let now = monotonicNow()
        while true {
            let fd = berth_accept_nonblock(l.fd)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    // Out of descriptors or memory: stop accepting for a moment instead of spinning.
                    poller.update(l.fd, from: BERTH_EPOLLIN, to: nil)
                    paused.append(l.fd)
                }
                return
            }
            Net.noDelay(fd)
            switch l.spec.kind {
            case .http:
                let c = ClientConn(fd: fd, listener: l, peerHost: Net.peer(fd).host, now: now)
                set(fd, .client(c))
                settleClient(c)
            case .tcp:
                startFlow(l, fd)
            }
        }
    }

    // MARK: timers

    private func tick(_ now: Double) {
        var changed = false
        for fd in paused where Int(fd) < table.count {
            if case .listener? = table[Int(fd)] { poller.update(fd, from: nil, to: BERTH_EPOLLIN) }
        }
        paused = []
        for (id, g) in groups {
            for (t, until) in g.draining where until <= now {
                g.draining[t] = nil
                killConnections(id, t)
                changed = true
            }
            if g.removed, g.draining.isEmpty { groups[id] = nil; changed = true; continue }
            guard referenced.contains(id) else { continue }
            for t in g.targets where !g.probing.contains(t) && (g.nextProbe[t] ?? 0) <= now {
                startProbe(g, t, now: now)
            }
        }
        for case let e? in table {
            switch e {
            case .client(let c):
                if !c.inExchange, c.pendingOut == 0, now - c.lastActive > idleTimeout { closeClient(c) }
            case .backend(let b):
                if b.client != nil, b.deadline <= now { backendTimedOut(b) }
                else if b.client == nil, now - b.idleSince > idleTimeout { closeIdleBackend(b) }
            case .probe(let p):
                if p.deadline <= now { finishProbe(p, .timeout) }
            case .flowClient(let f):
                if now - f.lastActive > Self.flowIdleTimeout { closeFlow(f) }
            default: break
            }
        }
        if changed { publish() }
        if countersDirty || changed { publishCounters() }
    }

    /// The counters of the listeners and groups in use, for `LBDataPlane.counters()`.
    func publishCounters() {
        countersDirty = false
        var view = LBCounters()
        for case let .listener(l)? in table { view.listeners[l.spec.id] = l.counters }
        for (id, g) in groups where !g.removed { view.groups[id] = g.counters }
        lock.withLock { countersSnapshot = view }
    }

    /// After the deregistration delay: close what still talks to the target.
    private func killConnections(_ group: String, _ t: LBTarget) {
        for case let e? in table {
            switch e {
            case .backend(let b) where b.group == group && b.target == t:
                if let c = b.client { closeClient(c) } else { closeIdleBackend(b) }
            case .flowClient(let f) where f.group == group && f.target == t:
                closeFlow(f)
            default: break
            }
        }
    }

    func closeIdle(_ group: String, _ t: LBTarget) {
        let key = PoolKey(group: group, target: t)
        for b in pools[key] ?? [] { closeBackend(b) }
        pools[key] = nil
    }
}

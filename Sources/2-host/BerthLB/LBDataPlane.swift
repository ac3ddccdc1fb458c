import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The load balancers' data plane: ALB (HTTP/1.1) and NLB (TCP) listeners on one event loop,
/// driven by desired state from the ELBv2 API (Docs/load-balancer.md).
public final class LBDataPlane: @unchecked Sendable {
    private let engine: Engine
    private let applyLock = NSLock()
    private var bound: [String: (spec: LBListenerSpec, fd: Int32, port: Int)] = [:]
    private var stopped = false

    /// `idleTimeoutSeconds`: ALB's idle timeout, after which a target that sends nothing gets the client a 504.
    public init(idleTimeoutSeconds: Double = 60) throws {
        engine = try Engine(idleTimeout: idleTimeoutSeconds)
        engine.start()
    }

    public convenience init() throws { try self.init(idleTimeoutSeconds: 60) }

    /// Make the listeners and groups exactly these. Idempotent; a listener keeps its socket while
    /// its address stays; removed targets drain for their group's deregistration delay. Throws,
    /// changing nothing, on invalid input or an address that cannot be bound.
    public func apply(listeners: [LBListenerSpec], groups: [LBTargetGroupSpec]) throws {
        try Validate.config(listeners: listeners, groups: groups)
        try applyLock.withLock {
            guard !stopped else { throw LBConfigError("the load balancer data plane is stopped") }
            var next: [String: (spec: LBListenerSpec, fd: Int32, port: Int)] = [:]
            var opened: [Int32] = []
            for l in listeners {
                if let old = bound[l.id], old.spec.host == l.host, old.spec.port == l.port, old.spec.kind == l.kind {
                    next[l.id] = (l, old.fd, old.port)
                    continue
                }
                do {
                    let (fd, port) = try Socket.listenTCP(host: l.host, port: UInt16(l.port))
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    _ = Glibc.listen(fd, 4096)
                    opened.append(fd)
                    next[l.id] = (l, fd, Int(port))
                } catch {
                    for fd in opened { close(fd) }
                    throw LBConfigError("listener \(l.id): cannot listen on \(l.host):\(l.port): \(error)")
                }
            }
            let keep = Set(next.values.map(\.fd))
            let closing = bound.values.map(\.fd).filter { !keep.contains($0) }
            bound = next
            engine.submit(PendingConfig(listeners: next.values.map { ($0.spec, $0.fd, $0.port) }, closeFDs: closing, groups: groups))
        }
    }

    /// Each group's targets with their ELB state; deregistered targets show as draining until their delay ends.
    public func health() -> [String: [LBTargetKey: LBTargetHealth]] {
        engine.lock.withLock { engine.snapshot }
    }

    /// Traffic counters of every listener and group, cumulative (a snapshot at most one loop
    /// tick old).
    public func counters() -> LBCounters {
        engine.lock.withLock { engine.countersSnapshot }
    }

    /// The port a listener is bound to (the one picked for port 0), or nil.
    public func port(ofListener id: String) -> Int? {
        applyLock.withLock { bound[id]?.port }
    }

    /// Close every listener and connection.
    public func stop() {
        let first = applyLock.withLock { () -> Bool in defer { stopped = true }; return !stopped }
        if first { engine.stop() }
    }

    deinit { stop() }
}

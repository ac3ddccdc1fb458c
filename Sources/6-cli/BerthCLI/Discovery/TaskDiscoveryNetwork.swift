import BerthAgent
import BerthDNS
import BerthECS
import BerthRuntime
import BerthSys
import BerthTasks
import Foundation

/// The in-task side of service discovery (Docs/tasks.md, "Service discovery inside tasks"), the
/// agent's `DiscoveryDataPlane`: every task with its own network namespace gets a resolver at
/// 127.0.0.11:53 there (its /etc/resolv.conf names it), answering the published Cloud Map names
/// and forwarding the rest to the host's nameservers; a relay listener on every other task's
/// endpoint address and port (an awsvpc address is the task's own loopback inside another
/// namespace, so a connection to it is steered to a listener that relays it to the host's
/// address, the peer task's port proxy); and for a Service Connect client, each alias of its
/// namespace on an address of its own, relaying round robin to the alias's endpoints.
/// Listeners follow the snapshots and the tasks as they come and go.
public final class TaskDiscoveryNetwork: DiscoveryDataPlane, @unchecked Sendable {
    public static let resolverAddress = "127.0.0.11"
    let loop: EventLoop
    public let dns: DNSServer
    public let relay: TCPRelay
    let log: @Sendable (String) -> Void
    /// Serialises snapshot and task changes (each makes sockets in namespaces).
    private let lock = NSLock()
    private var snapshot = DiscoverySnapshot(records: [], aliases: [], clients: [])
    private var aliases = AliasAddresses()
    private var tasks: [String: TaskNet] = [:]
    private var stopped = false

    struct TaskNet {
        var netnsPath: String
        var ownAddress: String?
        var dns: NetnsSocket
        /// DNS over TCP on 127.0.0.11:53 (the server owns the listener; the link is closed here).
        var dnsTCP: NetnsSocket?
        var relays: [TaskDiscoveryState.RelayKey: (socket: NetnsSocket, targets: [TCPRelay.Target])] = [:]
        var zone = DNSZone()
        /// What the task publishes on its own address (awsvpc): the only targets relays lead to.
        var published: Set<TCPRelay.Target> = []
    }

    /// `upstreams`: the host's nameservers (default: those of /etc/resolv.conf).
    public init(upstreams: [String]? = nil, timeout: Double = 2,
                log: @escaping @Sendable (String) -> Void = { printErrLine("berth agent: " + $0) }) throws {
        loop = try EventLoop()
        let servers = upstreams ?? DNSServer.nameservers(resolvConf: (try? Files.read("/etc/resolv.conf")) ?? "")
        dns = DNSServer(loop: loop, upstreams: servers, timeout: timeout)
        relay = TCPRelay(loop: loop)
        self.log = log
        loop.start()
    }

    /// The nameserver a task's /etc/resolv.conf names: the resolver, for tasks with a network
    /// namespace of their own (nil: the host's, as before).
    public func nameserver(networkMode: NetworkMode) -> String? {
        networkMode == .awsvpc || networkMode == .bridge ? Self.resolverAddress : nil
    }

    public func publish(_ snapshot: DiscoverySnapshot) {
        lock.withLock {
            guard !stopped else { return }
            self.snapshot = snapshot
            aliases.retain(Set(snapshot.aliases.map { DiscoveryPlanKey(namespace: $0.namespace, dnsName: $0.dnsName) }))
            for arn in tasks.keys.sorted() { applyLocked(arn) }
        }
    }

    /// The task's namespace exists (before its containers start, or on re-adoption): its resolver
    /// socket is made there and it gets what the last snapshot says.
    public func open(_ taskArn: String, host: TaskHost) throws {
        guard host.networkMode == .awsvpc || host.networkMode == .bridge else { return }
        try lock.withLock {
            guard !stopped, tasks[taskArn] == nil else { return }
            let socket: NetnsSocket
            do {
                socket = try NetnsSocket.udp(netnsPath: host.layout.netnsPath, address: Self.resolverAddress, port: 53)
            } catch {
                throw TranslationError("networkMode", "ResourceInitializationError: failed to set up the task's resolver at \(Self.resolverAddress):53: \(error)",
                                       kind: .resourceInitialization)
            }
            // TCP is for answers that did not fit a datagram; without it the task still resolves.
            var tcp: NetnsSocket?
            do { tcp = try NetnsSocket.tcpListener(netnsPath: host.layout.netnsPath, address: Self.resolverAddress, port: 53) } catch {
                log("task \(taskArn): the resolver answers over UDP only: \(error)")
            }
            var t = TaskNet(netnsPath: host.layout.netnsPath, ownAddress: host.networkMode == .awsvpc ? host.bindIP : nil, dns: socket, dnsTCP: tcp)
            if host.networkMode == .awsvpc {
                t.published = Set(host.ports.filter { $0.protocol == "tcp" }.compactMap { p in
                    UInt16(exactly: p.hostPort).map { TCPRelay.Target(host: host.bindIP, port: $0) }
                })
            }
            tasks[taskArn] = t
            dns.serve(fd: socket.fd, tcpListener: tcp?.fd, zone: DNSZone())
            // Its ports may be what other tasks' relays were waiting for.
            for arn in tasks.keys.sorted() { applyLocked(arn) }
        }
    }

    /// The task stopped: its resolver and relay listeners go (idempotent).
    public func close(_ taskArn: String) {
        lock.withLock {
            guard let t = tasks.removeValue(forKey: taskArn) else { return }
            if let link = t.dnsTCP?.linkFD, link >= 0 { Glibc.close(link) }
            dns.close(fd: t.dns.fd)
            for r in t.relays.values { closeRelay(r.socket) }
            // Relays to it in other tasks go with it.
            if !t.published.isEmpty { for arn in tasks.keys.sorted() { applyLocked(arn) } }
        }
    }

    /// What the task's resolver and relays are now (tests).
    func state(_ taskArn: String) -> (zone: DNSZone, relays: [String])? {
        lock.withLock { tasks[taskArn].map { ($0.zone, $0.relays.keys.sorted().map(\.description)) } }
    }

    /// Close every task's sockets and end the loop (idempotent).
    public func stop() {
        let first = lock.withLock { () -> Bool in
            guard !stopped else { return false }
            stopped = true
            for t in tasks.values {
                if let link = t.dnsTCP?.linkFD, link >= 0 { Glibc.close(link) }
                for r in t.relays.values where r.socket.linkFD >= 0 { Glibc.close(r.socket.linkFD) }
            }
            tasks = [:]
            return true
        }
        guard first else { return }
        dns.stop()
        relay.stop()
        loop.stop()
    }

    // MARK: under the lock

    private func applyLocked(_ arn: String) {
        guard var t = tasks[arn] else { return }
        let namespace = snapshot.clients.first { $0.taskArn == arn }?.serviceConnectNamespace
        let reachable = tasks.values.reduce(into: Set<TCPRelay.Target>()) { $0.formUnion($1.published) }
        let want = TaskDiscoveryState.desired(snapshot, ownAddress: t.ownAddress, namespace: namespace, aliasAddress: { aliases.assigned[$0] },
                                              reachable: { reachable.contains($0) },
                                              publishedPorts: { ip in reachable.filter { $0.host == ip }.map(\.port).sorted() })
        if want.zone != t.zone {
            t.zone = want.zone
            dns.update(fd: t.dns.fd, zone: want.zone)
        }
        for (key, r) in t.relays where want.relays[key] == nil {
            closeRelay(r.socket)
            t.relays.removeValue(forKey: key)
        }
        for key in want.relays.keys.sorted() {
            let targets = want.relays[key]!
            if let have = t.relays[key] {
                if have.targets != targets { relay.update(fd: have.socket.fd, targets: targets) }
                t.relays[key]?.targets = targets
                continue
            }
            do {
                let s = try NetnsSocket.tcpListener(netnsPath: t.netnsPath, address: key.address, port: key.port)
                if let why = s.steeringUnavailable {
                    log("task \(arn): the relay for \(key) listens on that port itself (a container of the task cannot listen on port \(key.port) of every address): \(why)")
                }
                relay.listen(fd: s.fd, targets: targets)
                t.relays[key] = (s, targets)
            } catch {
                log("task \(arn): no relay for \(key) in its namespace: \(error)")
            }
        }
        tasks[arn] = t
    }

    private func closeRelay(_ s: NetnsSocket) {
        if s.linkFD >= 0 { Glibc.close(s.linkFD) }
        relay.close(fd: s.fd)
    }
}

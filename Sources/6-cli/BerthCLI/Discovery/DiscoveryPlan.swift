import BerthAgent
import BerthDNS

/// What one task should see of the published discovery snapshot (pure; Docs/tasks.md,
/// "Service discovery inside tasks"): the zone its resolver answers from and the relay listeners
/// its namespace needs, keyed by the address and port they take there.
struct TaskDiscoveryState: Equatable {
    struct RelayKey: Hashable, Comparable, CustomStringConvertible {
        var address: String
        var port: UInt16
        static func < (a: RelayKey, b: RelayKey) -> Bool { (a.address, a.port) < (b.address, b.port) }
        var description: String { "\(address):\(port)" }
    }

    var zone = DNSZone()
    var relays: [RelayKey: [TCPRelay.Target]] = [:]

    /// `ownAddress`: the task's own address (its endpoints need no relay in its own namespace);
    /// `namespace`: the Service Connect namespace it is a client of; `aliasAddress` gives each
    /// alias (namespace, dnsName) its address in the client tasks; `reachable`: whether a relay
    /// may lead to a target (a port a running task publishes on its own address; anything else
    /// on the host's loopback is the host's, and no relay leads there).
    /// `publishedPorts`: the ports a task publishes on an address, relayed for an endpoint without
    /// a port (an A record names the task, not a port: every port it serves is reachable, as in a VPC).
    static func desired(_ snapshot: DiscoverySnapshot, ownAddress: String?, namespace: String?,
                        aliasAddress: (DiscoveryPlanKey) -> String?, reachable: (TCPRelay.Target) -> Bool,
                        publishedPorts: (String) -> [UInt16] = { _ in [] }) -> TaskDiscoveryState {
        var s = TaskDiscoveryState()
        for r in snapshot.records {
            let ttl = UInt32(clamping: max(0, r.ttl))
            if let dot = r.name.firstIndex(of: "."), r.name.index(after: dot) < r.name.endIndex {
                s.zone.addNamespace(String(r.name[r.name.index(after: dot)...]))
            }
            switch r.type.uppercased() {
            case "SRV":
                s.zone.addServices(r.name, r.endpoints.compactMap { e in e.port.flatMap(UInt16.init(exactly:)).map { DNSZone.Service(ip: e.ipv4, port: $0) } }, ttl: ttl)
            default:
                s.zone.addAddresses(r.name, r.endpoints.map(\.ipv4), ttl: ttl)
            }
            for e in r.endpoints where isTaskAddress(e.ipv4) && e.ipv4 != ownAddress {
                let ports = e.port.map { p in UInt16(exactly: p).map { [$0] } ?? [] } ?? publishedPorts(e.ipv4)
                for port in ports where port > 0 {
                    let target = TCPRelay.Target(host: e.ipv4, port: port)
                    if reachable(target) { s.relays[RelayKey(address: e.ipv4, port: port)] = [target] }
                }
            }
        }
        if let namespace {
            for a in snapshot.aliases where a.namespace == namespace {
                guard let ip = aliasAddress(DiscoveryPlanKey(namespace: a.namespace, dnsName: a.dnsName)),
                      let port = UInt16(exactly: a.port), port > 0 else { continue }
                s.zone.setAlias(a.dnsName, ip: ip, ttl: 5)
                let targets = a.endpoints.compactMap { e -> TCPRelay.Target? in
                    guard let p = UInt16(exactly: e.port ?? a.port), p > 0, reachable(TCPRelay.Target(host: e.ipv4, port: p)) else { return nil }
                    return TCPRelay.Target(host: e.ipv4, port: p)
                }
                s.relays[RelayKey(address: ip, port: port), default: []] += targets.filter { t in
                    !(s.relays[RelayKey(address: ip, port: port)] ?? []).contains(t)
                }
            }
        }
        return s
    }

    /// An awsvpc task's address (127.128.0.0/9, `TaskHost.awsvpcAddress`): reachable from
    /// another task's namespace only through a relay there.
    static func isTaskAddress(_ ip: String) -> Bool {
        let p = ip.split(separator: ".").compactMap { UInt8($0) }
        return p.count == 4 && p[0] == 127 && p[1] >= 128
    }
}

struct DiscoveryPlanKey: Hashable {
    var namespace: String
    var dnsName: String
}

/// Addresses of Service Connect aliases in client tasks: 127.127.0.1 to 127.127.255.254, clear
/// of the awsvpc addresses (127.128.0.0/9), 127.0.0.1 and the resolver's 127.0.0.11. One per
/// (namespace, dnsName), kept while the alias exists, so every port of a name shares it.
struct AliasAddresses {
    private(set) var assigned: [DiscoveryPlanKey: String] = [:]
    private var next = 1

    /// Keep only `keys`, giving the new ones an address not in use.
    mutating func retain(_ keys: Set<DiscoveryPlanKey>) {
        assigned = assigned.filter { keys.contains($0.key) }
        var used = Set(assigned.values)
        for key in keys.sorted(by: { ($0.namespace, $0.dnsName) < ($1.namespace, $1.dnsName) }) where assigned[key] == nil {
            var ip: String
            repeat {
                ip = "127.127.\(next >> 8).\(next & 0xff)"
                next = next >= 0xfffe ? 1 : next + 1
            } while used.contains(ip) || ip.hasSuffix(".0") || ip.hasSuffix(".255")
            assigned[key] = ip
            used.insert(ip)
        }
    }
}

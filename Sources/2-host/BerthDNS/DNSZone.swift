/// What one task's resolver knows (pure): Cloud Map names with their healthy endpoints, Service
/// Connect alias names with the task's own alias addresses, and the namespaces they live in.
/// `answer` decides a query: an answer from the zone, NXDOMAIN under a known namespace, or nil
/// (forward to the host's resolvers).
public struct DNSZone: Sendable, Equatable {
    public struct Service: Sendable, Equatable, Hashable {
        public var ip: String
        public var port: UInt16
        public init(ip: String, port: UInt16) {
            self.ip = ip
            self.port = port
        }
    }

    public struct Entry: Sendable, Equatable {
        public var ttl: UInt32
        public var addresses: [String] = []
        public var services: [Service] = []
        public init(ttl: UInt32, addresses: [String] = [], services: [Service] = []) {
            self.ttl = ttl
            self.addresses = addresses
            self.services = services
        }
    }

    /// Lower-cased name without the trailing dot → its records.
    public private(set) var entries: [String: Entry] = [:]
    /// Lower-cased namespace names: unknown names under them are NXDOMAIN.
    public private(set) var namespaces: Set<String> = []

    public init() {}

    static func key(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }

    public mutating func addNamespace(_ name: String) {
        let k = Self.key(name)
        if !k.isEmpty { namespaces.insert(k) }
    }

    /// A records for `name` (added to what it has).
    public mutating func addAddresses(_ name: String, _ ips: [String], ttl: UInt32) {
        let k = Self.key(name)
        var e = entries[k] ?? Entry(ttl: ttl)
        e.ttl = min(e.ttl, ttl)
        for ip in ips where !e.addresses.contains(ip) { e.addresses.append(ip) }
        entries[k] = e
    }

    /// SRV records for `name` (priority 1, weight 1), each with a target name of its own
    /// (`10-0-0-1.name`, as Cloud Map names instances) that has the A record.
    public mutating func addServices(_ name: String, _ services: [Service], ttl: UInt32) {
        let k = Self.key(name)
        var e = entries[k] ?? Entry(ttl: ttl)
        e.ttl = min(e.ttl, ttl)
        for s in services where !e.services.contains(s) {
            e.services.append(s)
            addAddresses(Self.target(s, k), [s.ip], ttl: ttl)
        }
        entries[k] = e
    }

    /// Replace every record of `name` by one A record (a Service Connect alias in this task).
    public mutating func setAlias(_ name: String, ip: String, ttl: UInt32) {
        entries[Self.key(name)] = Entry(ttl: ttl, addresses: [ip])
    }

    static func target(_ s: Service, _ name: String) -> String {
        s.ip.split(separator: ".").joined(separator: "-") + "." + name
    }

    func underNamespace(_ k: String) -> Bool {
        namespaces.contains(k) || namespaces.contains { k.hasSuffix("." + $0) }
    }

    /// The reply to `query`, or nil when it is not this zone's to answer (forward it).
    public func answer(_ query: DNSMessage) -> DNSMessage? {
        guard query.opcode == 0 else { return query.reply(rcode: DNSRcode.notImp) }
        guard query.questions.count == 1 else { return query.reply(rcode: DNSRcode.formErr) }
        let q = query.questions[0]
        guard q.qclass == 1 || q.qclass == 255 else { return nil }
        let k = Self.key(q.name)
        guard let entry = entries[k] else {
            guard underNamespace(k) else { return nil }
            var r = query.reply(rcode: namespaces.contains(k) ? DNSRcode.noError : DNSRcode.nxDomain)
            r.authoritative = true
            return r
        }
        var r = query.reply()
        r.authoritative = true
        switch q.type {
        case DNSType.a, DNSType.any:
            r.answers = entry.addresses.map { DNSRecord.a(q.name, $0, ttl: entry.ttl) }
        case DNSType.srv:
            r.answers = entry.services.map {
                DNSRecord(name: q.name, type: DNSType.srv, ttl: entry.ttl, data: .srv(priority: 1, weight: 1, port: $0.port, target: Self.target($0, k)))
            }
            r.additional = entry.services.map { DNSRecord.a(Self.target($0, k), $0.ip, ttl: entry.ttl) }
        default:
            break  // AAAA and the rest: the name exists, no records of that type (NOERROR, empty)
        }
        return r
    }
}

import BerthJSON

/// The agent's AWS Cloud Map resources, persisted as one JSON document
/// (`<state>/servicediscovery/resources.json`). Ids (`ns-…`, `srv-…`) are the keys everywhere.
public struct CMNamespace: Sendable, Equatable {
    public var id = ""
    public var arn = ""
    public var name = ""
    /// DNS_PRIVATE | HTTP
    public var type = "HTTP"
    public var description: String?
    public var creatorRequestId: String?
    /// The Vpc CreatePrivateDnsNamespace was given (all tasks of the agent form one network).
    public var vpc: String?
    public var soaTTL: Int?
    public var hostedZoneId: String?
    public var tags: [String: String] = [:]
    public var createdAt = 0.0
    public var isDNS: Bool { type == "DNS_PRIVATE" }
}

public struct CMDnsRecord: Sendable, Equatable {
    /// A | SRV
    public var type = "A"
    public var ttl = 60
}

public struct CMService: Sendable, Equatable {
    public var id = ""
    public var arn = ""
    public var name = ""
    public var namespaceId = ""
    public var description: String?
    public var creatorRequestId: String?
    /// HTTP | DNS_HTTP
    public var type = "HTTP"
    public var dnsRecords: [CMDnsRecord] = []
    public var routingPolicy: String?
    /// HealthCheckCustomConfig given (its FailureThreshold is echoed; it has no effect in AWS either).
    public var customHealth = false
    public var failureThreshold: Int?
    public var tags: [String: String] = [:]
    /// Bumped whenever an instance or its health changes (DiscoverInstancesRevision).
    public var revision = 1
    public var createdAt = 0.0
    public var hasDNS: Bool { !dnsRecords.isEmpty }
}

public struct CMInstance: Sendable, Equatable {
    public var serviceId = ""
    public var id = ""
    public var attributes: [String: String] = [:]
    /// HEALTHY | UNHEALTHY
    public var health = "HEALTHY"
    public var creatorRequestId: String?
    /// Set for instances the ECS service scheduler registered: `<cluster>/<service>`.
    public var owner: String?
    public var ipv4: String? { attributes["AWS_INSTANCE_IPV4"] }
    public var port: Int? { attributes["AWS_INSTANCE_PORT"].flatMap { Int($0) } }
}

public struct CMOperation: Sendable, Equatable {
    public var id = ""
    /// CREATE_NAMESPACE | DELETE_NAMESPACE | UPDATE_SERVICE | REGISTER_INSTANCE | DEREGISTER_INSTANCE
    public var type = ""
    public var createdAt = 0.0
    /// NAMESPACE / SERVICE / INSTANCE → id
    public var targets: [String: String] = [:]
}

public struct CMResources: Sendable, Equatable {
    public var namespaces: [CMNamespace] = []
    public var services: [CMService] = []
    public var instances: [CMInstance] = []
    public var operations: [CMOperation] = []
    public init() {}

    /// Operations kept for GetOperation (the oldest go first).
    public static let operationsKept = 500

    public func namespace(_ idOrArn: String) -> CMNamespace? { namespaces.first { $0.id == idOrArn || $0.arn == idOrArn } }
    public func service(_ idOrArn: String) -> CMService? { services.first { $0.id == idOrArn || $0.arn == idOrArn } }
    public func instances(of service: String) -> [CMInstance] { instances.filter { $0.serviceId == service } }

    mutating func bump(_ serviceId: String) {
        if let i = services.firstIndex(where: { $0.id == serviceId }) { services[i].revision += 1 }
    }

    mutating func record(_ op: CMOperation) {
        operations.append(op)
        if operations.count > Self.operationsKept { operations.removeFirst(operations.count - Self.operationsKept) }
    }

    /// Pure: the DNS records of every service of a DNS namespace, one set per record type,
    /// with its healthy instances that have an address (SRV ones also a port).
    public func recordSets() -> [DiscoveryRecordSet] {
        var out: [DiscoveryRecordSet] = []
        for s in services.sorted(by: { $0.id < $1.id }) where s.hasDNS {
            guard let ns = namespace(s.namespaceId), ns.isDNS else { continue }
            let name = "\(s.name).\(ns.name)".lowercased()
            let healthy = instances(of: s.id).filter { $0.health == "HEALTHY" }.sorted { $0.id < $1.id }
            for r in s.dnsRecords {
                let endpoints: [DiscoveryEndpoint] = healthy.compactMap { i in
                    guard let ip = i.ipv4 else { return nil }
                    if r.type == "SRV" {
                        guard let port = i.port else { return nil }
                        return DiscoveryEndpoint(ipv4: ip, port: port)
                    }
                    return DiscoveryEndpoint(ipv4: ip, port: nil)
                }
                out.append(DiscoveryRecordSet(name: name, type: r.type, ttl: r.ttl, endpoints: endpoints))
            }
        }
        return out
    }
}

// MARK: JSON

extension CMNamespace: JSONRecord {
    public static let blank = CMNamespace()
    public static let members: [JSONMember<CMNamespace>] = [
        .required("id", { $1(&$0.id) }), .required("arn", { $1(&$0.arn) }), .required("name", { $1(&$0.name) }),
        .required("type", { $1(&$0.type) }), .optional("description", { $1(&$0.description) }),
        .optional("creatorRequestId", { $1(&$0.creatorRequestId) }), .optional("vpc", { $1(&$0.vpc) }),
        .optional("soaTTL", { $1(&$0.soaTTL) }), .optional("hostedZoneId", { $1(&$0.hostedZoneId) }),
        .required("tags", { $1(&$0.tags) }), .required("createdAt", { $1(&$0.createdAt) }),
    ]
}

extension CMDnsRecord: JSONRecord {
    public static let blank = CMDnsRecord()
    public static let members: [JSONMember<CMDnsRecord>] = [
        .required("type", { $1(&$0.type) }), .required("ttl", { $1(&$0.ttl) }),
    ]
}

extension CMService: JSONRecord {
    public static let blank = CMService()
    public static let members: [JSONMember<CMService>] = [
        .required("id", { $1(&$0.id) }), .required("arn", { $1(&$0.arn) }), .required("name", { $1(&$0.name) }),
        .required("namespaceId", { $1(&$0.namespaceId) }), .optional("description", { $1(&$0.description) }),
        .optional("creatorRequestId", { $1(&$0.creatorRequestId) }), .required("type", { $1(&$0.type) }),
        .required("dnsRecords", { $1(&$0.dnsRecords) }), .optional("routingPolicy", { $1(&$0.routingPolicy) }),
        .required("customHealth", { $1(&$0.customHealth) }), .optional("failureThreshold", { $1(&$0.failureThreshold) }),
        .required("tags", { $1(&$0.tags) }), .required("revision", { $1(&$0.revision) }),
        .required("createdAt", { $1(&$0.createdAt) }),
    ]
}

extension CMInstance: JSONRecord {
    public static let blank = CMInstance()
    public static let members: [JSONMember<CMInstance>] = [
        .required("serviceId", { $1(&$0.serviceId) }), .required("id", { $1(&$0.id) }),
        .required("attributes", { $1(&$0.attributes) }), .required("health", { $1(&$0.health) }),
        .optional("creatorRequestId", { $1(&$0.creatorRequestId) }), .optional("owner", { $1(&$0.owner) }),
    ]
}

extension CMOperation: JSONRecord {
    public static let blank = CMOperation()
    public static let members: [JSONMember<CMOperation>] = [
        .required("id", { $1(&$0.id) }), .required("type", { $1(&$0.type) }), .required("createdAt", { $1(&$0.createdAt) }),
        .required("targets", { $1(&$0.targets) }),
    ]
}

extension CMResources: JSONRecord {
    public static let blank = CMResources()
    public static let members: [JSONMember<CMResources>] = [
        .required("namespaces", { $1(&$0.namespaces) }), .required("services", { $1(&$0.services) }),
        .required("instances", { $1(&$0.instances) }), .required("operations", { $1(&$0.operations) }),
    ]
}

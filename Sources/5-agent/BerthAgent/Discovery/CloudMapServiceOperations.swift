import BerthJSON

/// Cloud Map services and tags (CreateService … DeleteService, TagResource …).
extension CloudMapService {
    func serviceJSON(_ s: CMService, _ r: CMResources, summary: Bool = false) -> JSONValue {
        let dns: JSONValue? = s.hasDNS ? .obj([
            ("NamespaceId", summary ? nil : .string(s.namespaceId)), ("RoutingPolicy", s.routingPolicy.map(JSONValue.string)),
            ("DnsRecords", .array(s.dnsRecords.map { ["Type": .string($0.type), "TTL": .int($0.ttl)] })),
        ]) : nil
        return .obj([
            ("Id", .string(s.id)), ("Arn", .string(s.arn)), ("ResourceOwner", .string(account)), ("Name", .string(s.name)),
            ("NamespaceId", summary ? nil : .string(s.namespaceId)), ("Type", .string(s.type)),
            ("Description", s.description.map(JSONValue.string)), ("InstanceCount", .int(r.instances(of: s.id).count)),
            ("DnsConfig", dns),
            ("HealthCheckCustomConfig", s.customHealth ? .obj([("FailureThreshold", s.failureThreshold.map(JSONValue.int))]) : nil),
            ("CreateDate", .timestamp(s.createdAt)), ("CreatorRequestId", summary ? nil : s.creatorRequestId.map(JSONValue.string)),
            ("CreatedByAccount", .string(account)),
        ])
    }

    /// `DnsRecords`: A and SRV with a TTL; at most one of each type.
    func dnsRecords(_ items: [Params], at path: String) throws(APIError) -> [CMDnsRecord] {
        var out: [CMDnsRecord] = []
        for d in items {
            let type = try required(d, "Type")
            guard ["A", "SRV"].contains(type) else {
                throw Self.invalid(["AAAA", "CNAME"].contains(type)
                    ? "\(d.path).Type \(type) is not supported by Berth: tasks have IPv4 addresses only, so use A or SRV records."
                    : "\(d.path).Type must be A or SRV, got \(type.prefix(16)).")
            }
            guard let ttl = try d.int("TTL") else { throw Self.invalid("\(d.path).TTL is required.") }
            guard (0...2_147_483_647).contains(ttl) else { throw Self.invalid("\(d.path).TTL must be between 0 and 2147483647.") }
            guard !out.contains(where: { $0.type == type }) else { throw Self.invalid("\(path) has more than one \(type) record.") }
            out.append(CMDnsRecord(type: type, ttl: ttl))
        }
        guard !out.isEmpty else { throw Self.invalid("\(path) must have at least one record.") }
        return out
    }

    func createService(_ p: Params) throws(APIError) -> JSONValue {
        let name = try required(p, "Name")
        let dnsConfig = try p.object("DnsConfig")
        let deprecatedNamespace = try dnsConfig?.string("NamespaceId")
        guard let namespaceId = try p.string("NamespaceId") ?? deprecatedNamespace else {
            throw Self.invalid("NamespaceId is required.")
        }
        if try p.object("HealthCheckConfig") != nil {
            throw Self.invalid("HealthCheckConfig (Route 53 health checks) is not supported by Berth: use HealthCheckCustomConfig; services registered by ECS follow their tasks' health.")
        }
        let custom = try p.object("HealthCheckCustomConfig")
        let failureThreshold = try custom?.int("FailureThreshold")
        if let f = failureThreshold, !(1...10).contains(f) { throw Self.invalid("HealthCheckCustomConfig.FailureThreshold must be between 1 and 10.") }
        let requestedType = try p.string("Type")
        if let t = requestedType, t != "HTTP" { throw Self.invalid("Type must be HTTP when given, got \(t.prefix(16)).") }
        var records: [CMDnsRecord] = []
        var routing: String?
        if let dnsConfig {
            records = try dnsRecords(try dnsConfig.objects("DnsRecords") ?? [], at: "DnsConfig.DnsRecords")
            routing = try dnsConfig.string("RoutingPolicy") ?? "MULTIVALUE"
            guard routing == "MULTIVALUE" || routing == "WEIGHTED" else {
                throw Self.invalid("DnsConfig.RoutingPolicy must be MULTIVALUE or WEIGHTED, got \(routing!.prefix(16)).")
            }
            if routing == "WEIGHTED" && records.contains(where: { $0.type == "SRV" }) {
                throw Self.invalid("DnsConfig: SRV records need the MULTIVALUE routing policy.")
            }
        }
        let requestId = try optionalText(p, "CreatorRequestId", max: 64)
        let description = try optionalText(p, "Description", max: 1024)
        let tags = try tagsInput(p)
        return try change { r throws(APIError) in
            let ns = try requireNamespace(r, namespaceId)
            if !records.isEmpty && (!ns.isDNS || requestedType == "HTTP") {
                throw Self.invalid("DnsConfig is not allowed for a service of type HTTP or in the HTTP namespace \(ns.name).")
            }
            if ns.isDNS && !records.isEmpty && !Self.isLabel(Substring(name)) {
                throw Self.invalid("Name '\(name.prefix(128))' must be a DNS label (letters, digits, hyphens, underscores; 1-63 characters) in the DNS namespace \(ns.name).")
            }
            guard name.count <= 127, !name.contains(" ") else { throw Self.invalid("Name must be 1-127 characters without spaces.") }
            if let existing = r.services.first(where: { $0.namespaceId == ns.id && $0.name.lowercased() == name.lowercased() }) {
                if let requestId, existing.creatorRequestId == requestId { return ["Service": serviceJSON(existing, r)] }
                throw APIError("ServiceAlreadyExists", "Service with name \(name.prefix(128)) already exists in namespace \(ns.id) (\(existing.id), \(existing.arn)).")
            }
            let id = Self.randomId("srv-")
            let s = CMService(id: id, arn: arn("service/\(id)"), name: name, namespaceId: ns.id, description: description,
                              creatorRequestId: requestId, type: records.isEmpty ? "HTTP" : "DNS_HTTP", dnsRecords: records,
                              routingPolicy: routing, customHealth: custom != nil, failureThreshold: custom == nil ? nil : (failureThreshold ?? 1),
                              tags: tags, createdAt: clock())
            r.services.append(s)
            return ["Service": serviceJSON(s, r)]
        }
    }

    func requireService(_ r: CMResources, _ id: String) throws(APIError) -> CMService {
        guard let s = r.service(id) else { throw Self.serviceNotFound(id) }
        return s
    }

    func getService(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "Id")
        return try read { r throws(APIError) in ["Service": serviceJSON(try requireService(r, id), r)] }
    }

    func listServices(_ p: Params) throws(APIError) -> JSONValue {
        let fs = try filters(p, allowed: ["NAMESPACE_ID": ["EQ"], "RESOURCE_OWNER": ["EQ"]])
        let r = snapshotResources()
        let items = r.services.filter { s in
            fs.allSatisfy { f in Self.matches(f.name == "NAMESPACE_ID" ? s.namespaceId : account, f) }
        }.map { serviceJSON($0, r, summary: true) }
        let (pageItems, next) = try page(items, p, list: "services")
        return .obj([("Services", .array(pageItems)), ("NextToken", next.map(JSONValue.string))])
    }

    /// Description and the TTLs of the existing record types (Cloud Map cannot change the types).
    func updateService(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "Id")
        guard let change_ = try p.object("Service") else { throw Self.invalid("Service is required.") }
        if try change_.object("HealthCheckConfig") != nil {
            throw Self.invalid("Service.HealthCheckConfig (Route 53 health checks) is not supported by Berth.")
        }
        let description = try optionalText(change_, "Description", max: 1024)
        let records = try change_.object("DnsConfig").map { d throws(APIError) in
            try dnsRecords(try d.objects("DnsRecords") ?? [], at: "Service.DnsConfig.DnsRecords")
        }
        return try change { r throws(APIError) in
            let s = try requireService(r, id)
            guard let i = r.services.firstIndex(where: { $0.id == s.id }) else { throw Self.serviceNotFound(id) }
            if let records {
                guard s.hasDNS, records.map(\.type).sorted() == s.dnsRecords.map(\.type).sorted() else {
                    throw Self.invalid("Service.DnsConfig.DnsRecords must keep the service's record types (\(s.dnsRecords.map(\.type).joined(separator: ", ").isEmpty ? "none" : s.dnsRecords.map(\.type).joined(separator: ", "))): only TTLs can change.")
                }
                r.services[i].dnsRecords = records
            }
            if let description { r.services[i].description = description }
            return ["OperationId": .string(newOperation("UPDATE_SERVICE", ["SERVICE": s.id], in: &r))]
        }
    }

    func deleteService(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "Id")
        return try change { r throws(APIError) in
            let s = try requireService(r, id)
            let n = r.instances(of: s.id).count
            guard n == 0 else { throw APIError("ResourceInUse", "Service \(s.id) has \(n) registered instance(s): deregister them first.") }
            r.services.removeAll { $0.id == s.id }
            return [:]
        }
    }

    // MARK: tags

    func tagOperation(_ op: String, _ p: Params) throws(APIError) -> JSONValue {
        let arn = try required(p, "ResourceARN")
        func locate(_ r: CMResources) throws(APIError) -> (ns: Int?, srv: Int?) {
            if let i = r.namespaces.firstIndex(where: { $0.arn == arn }) { return (i, nil) }
            if let i = r.services.firstIndex(where: { $0.arn == arn }) { return (nil, i) }
            throw APIError("ResourceNotFoundException", "The resource \(arn.prefix(256)) was not found.")
        }
        switch op {
        case "ListTagsForResource":
            return try read { r throws(APIError) in
                let (ns, srv) = try locate(r)
                let tags = ns.map { r.namespaces[$0].tags } ?? srv.map { r.services[$0].tags } ?? [:]
                return ["Tags": .array(tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
            }
        case "TagResource":
            let tags = try tagsInput(p)
            guard !tags.isEmpty else { throw Self.invalid("Tags is required.") }
            return try change { r throws(APIError) in
                let (ns, srv) = try locate(r)
                if let ns { r.namespaces[ns].tags.merge(tags) { _, b in b } }
                if let srv { r.services[srv].tags.merge(tags) { _, b in b } }
                let n = ns.map { r.namespaces[$0].tags.count } ?? srv.map { r.services[$0].tags.count } ?? 0
                guard n <= 200 else { throw APIError("TooManyTagsException", "A resource can have at most 200 tags.") }
                return [:]
            }
        case "UntagResource":
            guard let keys = try p.stringList("TagKeys") else { throw Self.invalid("TagKeys is required.") }
            return try change { r throws(APIError) in
                let (ns, srv) = try locate(r)
                for k in keys {
                    if let ns { r.namespaces[ns].tags[k] = nil }
                    if let srv { r.services[srv].tags[k] = nil }
                }
                return [:]
            }
        default:
            throw APIError("UnknownOperationException", "Unknown operation \(op.prefix(64)).")
        }
    }
}

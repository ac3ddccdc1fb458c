import BerthJSON

/// AWS Cloud Map (`Route53AutoNaming_v20170314.`, JSON 1.1, SigV4 service `servicediscovery`):
/// private DNS and HTTP namespaces, services, instances, discovery, operations and tags
/// (Docs/agent.md "Cloud Map"). Operations complete at once: GetOperation answers SUCCESS.
public struct CloudMapOperations: JSONOperations {
    public let service: CloudMapService
    public init(_ service: CloudMapService) { self.service = service }

    public var signingService: String { "servicediscovery" }
    public var targetPrefix: String { "Route53AutoNaming_v20170314." }
    public static let operations: Set<String> = [
        "CreatePrivateDnsNamespace", "CreateHttpNamespace", "CreatePublicDnsNamespace", "GetNamespace", "ListNamespaces",
        "DeleteNamespace", "GetOperation", "ListOperations", "CreateService", "GetService", "ListServices", "UpdateService",
        "DeleteService", "RegisterInstance", "DeregisterInstance", "GetInstance", "ListInstances", "DiscoverInstances",
        "DiscoverInstancesRevision", "GetInstancesHealthStatus", "UpdateInstanceCustomHealthStatus", "TagResource",
        "UntagResource", "ListTagsForResource",
    ]
    public var operations: Set<String> { Self.operations }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        let p = Params(input)
        switch operation {
        case "CreatePrivateDnsNamespace": return try service.createNamespace(p, type: "DNS_PRIVATE")
        case "CreateHttpNamespace": return try service.createNamespace(p, type: "HTTP")
        case "CreatePublicDnsNamespace":
            throw CloudMapService.invalid("Public DNS namespaces are not supported by Berth: nothing outside this host resolves its names. Use CreatePrivateDnsNamespace or CreateHttpNamespace.")
        case "GetNamespace": return try service.getNamespace(p)
        case "ListNamespaces": return try service.listNamespaces(p)
        case "DeleteNamespace": return try service.deleteNamespace(p)
        case "GetOperation": return try service.getOperation(p)
        case "ListOperations": return try service.listOperations(p)
        case "CreateService": return try service.createService(p)
        case "GetService": return try service.getService(p)
        case "ListServices": return try service.listServices(p)
        case "UpdateService": return try service.updateService(p)
        case "DeleteService": return try service.deleteService(p)
        case "RegisterInstance": return try service.registerInstance(p)
        case "DeregisterInstance": return try service.deregisterInstance(p)
        case "GetInstance": return try service.getInstance(p)
        case "ListInstances": return try service.listInstances(p)
        case "DiscoverInstances": return try service.discoverInstances(p)
        case "DiscoverInstancesRevision": return try service.discoverInstancesRevision(p)
        case "GetInstancesHealthStatus": return try service.getInstancesHealthStatus(p)
        case "UpdateInstanceCustomHealthStatus": return try service.updateInstanceCustomHealthStatus(p)
        default: return try service.tagOperation(operation, p)
        }
    }
}

extension CloudMapService {
    // MARK: input helpers (InvalidInput, as Cloud Map answers)

    func required(_ p: Params, _ key: String) throws(APIError) -> String {
        guard let s = try p.string(key), !s.isEmpty else { throw Self.invalid("\(p.name(key)) is required.") }
        return s
    }

    func optionalText(_ p: Params, _ key: String, max: Int) throws(APIError) -> String? {
        guard let s = try p.string(key) else { return nil }
        guard s.count <= max else { throw Self.invalid("\(p.name(key)) must be at most \(max) characters.") }
        return s
    }

    func page<T>(_ items: [T], _ p: Params, list: String, max limit: Int = 100) throws(APIError) -> ([T], String?) {
        let max = try p.int("MaxResults") ?? limit
        guard (1...limit).contains(max) else { throw Self.invalid("MaxResults must be between 1 and \(limit), got \(max).") }
        var start = 0
        if let token = try p.string("NextToken") {
            guard let offset = Pagination.decode(token, list: list) else { throw Self.invalid("The NextToken is not valid for \(list).") }
            start = min(offset, items.count)
        }
        let end = min(start + max, items.count)
        return (Array(items[start..<end]), end < items.count ? Pagination.encode(end, list: list) : nil)
    }

    func tagsInput(_ p: Params) throws(APIError) -> [String: String] {
        guard let items = try p.objects("Tags") else { return [:] }
        guard items.count <= 200 else { throw APIError("TooManyTagsException", "A resource can have at most 200 tags.") }
        var out: [String: String] = [:]
        for t in items {
            let k = try required(t, "Key")
            let v = try t.string("Value") ?? ""
            guard k.count <= 128, v.count <= 256 else { throw Self.invalid("\(t.path): tag keys are at most 128 and values at most 256 characters.") }
            out[k] = v
        }
        return out
    }

    /// `Filters: [{Name, Values, Condition}]`: each filter must hold (EQ, IN, BEGINS_WITH).
    func filters(_ p: Params, allowed: [String: Set<String>]) throws(APIError) -> [(name: String, values: [String], condition: String)] {
        var out: [(String, [String], String)] = []
        for f in try p.objects("Filters") ?? [] {
            let name = try required(f, "Name")
            guard let conditions = allowed[name] else {
                throw Self.invalid("\(f.path).Name \(name.prefix(64)) is not one of \(allowed.keys.sorted().joined(separator: ", ")).")
            }
            let values = try f.stringList("Values") ?? []
            guard !values.isEmpty else { throw Self.invalid("\(f.path).Values must have at least one value.") }
            let condition = try f.string("Condition") ?? "EQ"
            guard conditions.contains(condition) else {
                throw Self.invalid("\(f.path).Condition \(condition.prefix(32)) is not supported for \(name): use \(conditions.sorted().joined(separator: " or ")).")
            }
            if condition == "EQ" && values.count != 1 { throw Self.invalid("\(f.path): the EQ condition takes exactly one value.") }
            out.append((name, values, condition))
        }
        return out
    }

    static func matches(_ value: String, _ f: (name: String, values: [String], condition: String)) -> Bool {
        f.condition == "BEGINS_WITH" ? f.values.contains { value.hasPrefix($0) } : f.values.contains(value)
    }

    // MARK: namespaces

    func namespaceJSON(_ ns: CMNamespace, _ r: CMResources, summary: Bool = false) -> JSONValue {
        let dns: JSONValue? = ns.isDNS
            ? .obj([("HostedZoneId", ns.hostedZoneId.map(JSONValue.string)), ("SOA", ns.soaTTL.map { ["TTL": .int($0)] })]) : nil
        return .obj([
            ("Id", .string(ns.id)), ("Arn", .string(ns.arn)), ("ResourceOwner", .string(account)), ("Name", .string(ns.name)),
            ("Type", .string(ns.type)), ("Description", ns.description.map(JSONValue.string)),
            ("ServiceCount", .int(r.services.filter { $0.namespaceId == ns.id }.count)),
            ("Properties", .obj([("DnsProperties", dns), ("HttpProperties", ["HttpName": .string(ns.name)])])),
            ("CreateDate", .timestamp(ns.createdAt)), ("CreatorRequestId", summary ? nil : ns.creatorRequestId.map(JSONValue.string)),
        ])
    }

    func createNamespace(_ p: Params, type: String) throws(APIError) -> JSONValue {
        let name = try required(p, "Name")
        let dns = type == "DNS_PRIVATE"
        try Self.checkNamespaceName(name, dns: dns)
        let requestId = try optionalText(p, "CreatorRequestId", max: 64)
        let description = try optionalText(p, "Description", max: 1024)
        let tags = try tagsInput(p)
        var vpc: String?, soa: Int?
        if dns {
            vpc = try required(p, "Vpc")
            soa = try p.object("Properties")?.object("DnsProperties")?.object("SOA")?.int("TTL")
            if let soa, !(0...2_147_483_647).contains(soa) { throw Self.invalid("Properties.DnsProperties.SOA.TTL must be between 0 and 2147483647.") }
        }
        return try change { r throws(APIError) in
            if let existing = r.namespaces.first(where: { $0.name.lowercased() == name.lowercased() }) {
                if let requestId, existing.creatorRequestId == requestId, existing.type == type,
                   let op = r.operations.first(where: { $0.type == "CREATE_NAMESPACE" && $0.targets["NAMESPACE"] == existing.id }) {
                    return ["OperationId": .string(op.id)]
                }
                throw APIError("NamespaceAlreadyExists", "Namespace with name \(name.prefix(256)) already exists (\(existing.id)).")
            }
            if let requestId, r.namespaces.contains(where: { $0.creatorRequestId == requestId }) {
                throw APIError("DuplicateRequest", "CreatorRequestId \(requestId) was already used for another namespace.")
            }
            let id = Self.randomId("ns-")
            r.namespaces.append(CMNamespace(
                id: id, arn: arn("namespace/\(id)"), name: name, type: type, description: description, creatorRequestId: requestId,
                vpc: vpc, soaTTL: dns ? (soa ?? 15) : nil, hostedZoneId: dns ? "Z" + Self.randomId("", count: 20).uppercased() : nil,
                tags: tags, createdAt: clock()))
            return ["OperationId": .string(newOperation("CREATE_NAMESPACE", ["NAMESPACE": id], in: &r))]
        }
    }

    func requireNamespace(_ r: CMResources, _ id: String) throws(APIError) -> CMNamespace {
        guard let ns = r.namespace(id) else { throw Self.namespaceNotFound(id) }
        return ns
    }

    func getNamespace(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "Id")
        return try read { r throws(APIError) in ["Namespace": namespaceJSON(try requireNamespace(r, id), r)] }
    }

    func listNamespaces(_ p: Params) throws(APIError) -> JSONValue {
        let fs = try filters(p, allowed: ["TYPE": ["EQ", "IN"], "NAME": ["EQ", "BEGINS_WITH"], "HTTP_NAME": ["EQ", "BEGINS_WITH"]])
        let r = snapshotResources()
        let items = r.namespaces.filter { ns in
            fs.allSatisfy { f in Self.matches(f.name == "TYPE" ? ns.type : ns.name, f) }
        }.map { namespaceJSON($0, r, summary: true) }
        let (pageItems, next) = try page(items, p, list: "namespaces")
        return .obj([("Namespaces", .array(pageItems)), ("NextToken", next.map(JSONValue.string))])
    }

    func deleteNamespace(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "Id")
        return try change { r throws(APIError) in
            let ns = try requireNamespace(r, id)
            let services = r.services.filter { $0.namespaceId == ns.id }
            guard services.isEmpty else {
                throw APIError("ResourceInUse", "Namespace \(ns.id) has \(services.count) service(s) (\(services.map(\.id).prefix(5).joined(separator: ", "))): delete them first.")
            }
            r.namespaces.removeAll { $0.id == ns.id }
            return ["OperationId": .string(newOperation("DELETE_NAMESPACE", ["NAMESPACE": ns.id], in: &r))]
        }
    }

    // MARK: operations

    func operationJSON(_ op: CMOperation) -> JSONValue {
        .obj([("Id", .string(op.id)), ("OwnerAccount", .string(account)), ("Type", .string(op.type)), ("Status", "SUCCESS"),
              ("CreateDate", .timestamp(op.createdAt)), ("UpdateDate", .timestamp(op.createdAt)),
              ("Targets", .object(JSONObject(op.targets.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })))])
    }

    func getOperation(_ p: Params) throws(APIError) -> JSONValue {
        let id = try required(p, "OperationId")
        return try read { r throws(APIError) in
            guard let op = r.operations.first(where: { $0.id == id }) else {
                throw APIError("OperationNotFound", "No operation found with ID \(id.prefix(128)).")
            }
            return ["Operation": operationJSON(op)]
        }
    }

    func listOperations(_ p: Params) throws(APIError) -> JSONValue {
        let fs = try filters(p, allowed: ["NAMESPACE_ID": ["EQ"], "SERVICE_ID": ["EQ"], "STATUS": ["EQ", "IN"], "TYPE": ["EQ", "IN"],
                                          "UPDATE_DATE": ["BETWEEN"]])
        if fs.contains(where: { $0.name == "UPDATE_DATE" }) { throw Self.invalid("The UPDATE_DATE filter is not supported by Berth.") }
        let items = snapshotResources().operations.reversed().filter { op in
            fs.allSatisfy { f in
                switch f.name {
                case "NAMESPACE_ID": Self.matches(op.targets["NAMESPACE"] ?? "", f)
                case "SERVICE_ID": Self.matches(op.targets["SERVICE"] ?? "", f)
                case "STATUS": Self.matches("SUCCESS", f)
                default: Self.matches(op.type, f)
                }
            }
        }.map { op in JSONValue.obj([("Id", .string(op.id)), ("Status", "SUCCESS")]) }
        let (pageItems, next) = try page(Array(items), p, list: "operations")
        return .obj([("Operations", .array(pageItems)), ("NextToken", next.map(JSONValue.string))])
    }
}

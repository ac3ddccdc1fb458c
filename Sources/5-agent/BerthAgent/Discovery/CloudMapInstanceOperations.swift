import BerthJSON

/// Cloud Map instances: registration, listing, discovery and health.
extension CloudMapService {
    static let reservedAttributes: Set<String> = ["AWS_ALIAS_DNS_NAME", "AWS_INSTANCE_CNAME", "AWS_EC2_INSTANCE_ID"]

    func attributesInput(_ p: Params, _ key: String, required isRequired: Bool) throws(APIError) -> [String: String]? {
        guard let o = try p.object(key) else {
            if isRequired { throw Self.invalid("\(key) is required.") }
            return nil
        }
        var out: [String: String] = [:]
        for (k, v) in o.json.objectValue ?? JSONObject() {
            guard let s = v.stringValue else { throw .serialization("Unexpected value at '\(key).\(k.prefix(64))': expected a string, got \(v.typeName)") }
            guard (1...255).contains(k.count), s.count <= 1024 else { throw Self.invalid("\(key).\(k.prefix(64)): keys are 1-255 and values at most 1024 characters.") }
            out[k] = s
        }
        guard out.count <= 30 else { throw Self.invalid("\(key) has \(out.count) attributes; at most 30 are allowed.") }
        return out
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && (Int(p) ?? 256) <= 255 }
    }

    /// Cloud Map's checks of an instance's attributes against its service (pure).
    static func checkAttributes(_ a: [String: String], service s: CMService) throws(APIError) {
        for k in a.keys where reservedAttributes.contains(k) {
            throw invalid("Attributes.\(k) is not supported by Berth (no alias records, CNAME records or EC2 instances).")
        }
        if let ip = a["AWS_INSTANCE_IPV4"], !isIPv4(ip) { throw invalid("Attributes.AWS_INSTANCE_IPV4 '\(ip.prefix(64))' is not an IPv4 address.") }
        if let port = a["AWS_INSTANCE_PORT"], !(Int(port).map { (1...65535).contains($0) } ?? false) {
            throw invalid("Attributes.AWS_INSTANCE_PORT '\(port.prefix(16))' is not a port between 1 and 65535.")
        }
        if s.hasDNS && a["AWS_INSTANCE_IPV4"] == nil {
            throw invalid("Attributes.AWS_INSTANCE_IPV4 is required: service \(s.id) has DNS records.")
        }
        if s.dnsRecords.contains(where: { $0.type == "SRV" }) && a["AWS_INSTANCE_PORT"] == nil {
            throw invalid("Attributes.AWS_INSTANCE_PORT is required: service \(s.id) has an SRV record.")
        }
        if let h = a["AWS_INIT_HEALTH_STATUS"] {
            guard s.customHealth else { throw invalid("Attributes.AWS_INIT_HEALTH_STATUS needs a service with HealthCheckCustomConfig.") }
            guard h == "HEALTHY" || h == "UNHEALTHY" else { throw invalid("Attributes.AWS_INIT_HEALTH_STATUS must be HEALTHY or UNHEALTHY.") }
        }
    }

    func instanceId(_ p: Params) throws(APIError) -> String {
        let id = try required(p, "InstanceId")
        guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_/:.@-".contains($0)) }) else {
            throw Self.invalid("InstanceId '\(id.prefix(64))' must be 1-64 characters of letters, digits and _/:.@-.")
        }
        return id
    }

    func registerInstance(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let id = try instanceId(p)
        let attributes = try attributesInput(p, "Attributes", required: true) ?? [:]
        let requestId = try optionalText(p, "CreatorRequestId", max: 64)
        return try change { r throws(APIError) in
            let s = try requireService(r, serviceId)
            try Self.checkAttributes(attributes, service: s)
            let existing = r.instances.firstIndex { $0.serviceId == s.id && $0.id == id }
            if let e = existing, let owner = r.instances[e].owner {
                throw APIError("ResourceInUse", "Instance \(id) of service \(s.id) is registered by the ECS service \(owner); ECS registers and deregisters it.")
            }
            let instance = CMInstance(serviceId: s.id, id: id, attributes: attributes,
                                      health: attributes["AWS_INIT_HEALTH_STATUS"] ?? "HEALTHY", creatorRequestId: requestId)
            if let e = existing { r.instances[e] = instance } else { r.instances.append(instance) }
            r.bump(s.id)
            return ["OperationId": .string(newOperation("REGISTER_INSTANCE", ["SERVICE": s.id, "INSTANCE": id], in: &r))]
        }
    }

    func requireInstance(_ r: CMResources, _ s: CMService, _ id: String) throws(APIError) -> CMInstance {
        guard let i = r.instances.first(where: { $0.serviceId == s.id && $0.id == id }) else { throw Self.instanceNotFound(id) }
        return i
    }

    func deregisterInstance(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let id = try required(p, "InstanceId")
        return try change { r throws(APIError) in
            let s = try requireService(r, serviceId)
            let i = try requireInstance(r, s, id)
            if let owner = i.owner {
                throw APIError("ResourceInUse", "Instance \(id) of service \(s.id) is registered by the ECS service \(owner); ECS deregisters it when its task stops.")
            }
            r.instances.removeAll { $0.serviceId == s.id && $0.id == id }
            r.bump(s.id)
            return ["OperationId": .string(newOperation("DEREGISTER_INSTANCE", ["SERVICE": s.id, "INSTANCE": id], in: &r))]
        }
    }

    static func attributesJSON(_ a: [String: String]) -> JSONValue {
        .object(JSONObject(a.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
    }

    func getInstance(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let id = try required(p, "InstanceId")
        return try read { r throws(APIError) in
            let i = try requireInstance(r, try requireService(r, serviceId), id)
            return ["Instance": .obj([("Id", .string(i.id)), ("CreatorRequestId", i.creatorRequestId.map(JSONValue.string)),
                                      ("Attributes", Self.attributesJSON(i.attributes)), ("CreatedByAccount", .string(account))])]
        }
    }

    func listInstances(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let items = try read { r throws(APIError) in try r.instances(of: requireService(r, serviceId).id) }
        let (pageItems, next) = try page(items.map { i in
            JSONValue.obj([("Id", .string(i.id)), ("Attributes", Self.attributesJSON(i.attributes)), ("CreatedByAccount", .string(account))])
        }, p, list: "instances")
        return .obj([("Instances", .array(pageItems)), ("NextToken", next.map(JSONValue.string))])
    }

    func discovered(_ p: Params) throws(APIError) -> (CMNamespace, CMService, [CMInstance]) {
        let nsName = try required(p, "NamespaceName")
        let name = try required(p, "ServiceName")
        if let owner = try p.string("OwnerAccount"), owner != account {
            throw Self.invalid("OwnerAccount \(owner.prefix(16)) is not this agent's account \(account).")
        }
        return try read { r throws(APIError) in
            guard let ns = r.namespaces.first(where: { $0.name.lowercased() == nsName.lowercased() }) else { throw Self.namespaceNotFound(nsName) }
            guard let s = r.services.first(where: { $0.namespaceId == ns.id && $0.name.lowercased() == name.lowercased() }) else {
                throw Self.serviceNotFound(name)
            }
            return (ns, s, r.instances(of: s.id))
        }
    }

    /// Pure: DiscoverInstances' selection: QueryParameters must all match, OptionalParameters
    /// narrow the result only when some instance matches them all, then the health filter.
    static func discover(_ instances: [CMInstance], query: [String: String], optional: [String: String], health: String) -> [CMInstance] {
        func all(_ i: CMInstance, _ q: [String: String]) -> Bool { q.allSatisfy { i.attributes[$0.key] == $0.value } }
        var out = instances.filter { all($0, query) }
        let narrowed = out.filter { all($0, optional) }
        if !optional.isEmpty && !narrowed.isEmpty { out = narrowed }
        let healthy = out.filter { $0.health == "HEALTHY" }
        switch health {
        case "HEALTHY": return healthy
        case "UNHEALTHY": return out.filter { $0.health != "HEALTHY" }
        case "HEALTHY_OR_ELSE_ALL": return healthy.isEmpty ? out : healthy
        default: return out
        }
    }

    func discoverInstances(_ p: Params) throws(APIError) -> JSONValue {
        let (ns, s, instances) = try discovered(p)
        let max = try p.int("MaxResults") ?? 100
        guard (1...1000).contains(max) else { throw Self.invalid("MaxResults must be between 1 and 1000, got \(max).") }
        let health = try p.string("HealthStatus") ?? "HEALTHY"
        guard ["HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL"].contains(health) else {
            throw Self.invalid("HealthStatus must be HEALTHY, UNHEALTHY, ALL or HEALTHY_OR_ELSE_ALL, got \(health.prefix(32)).")
        }
        let query = try attributesInput(p, "QueryParameters", required: false) ?? [:]
        let optional = try attributesInput(p, "OptionalParameters", required: false) ?? [:]
        let found = Self.discover(instances.sorted { $0.id < $1.id }, query: query, optional: optional, health: health).prefix(max)
        return ["Instances": .array(found.map { i in
            ["InstanceId": .string(i.id), "NamespaceName": .string(ns.name), "ServiceName": .string(s.name),
             "HealthStatus": .string(i.health), "Attributes": Self.attributesJSON(i.attributes)]
        }), "InstancesRevision": .int(s.revision)]
    }

    func discoverInstancesRevision(_ p: Params) throws(APIError) -> JSONValue {
        let (_, s, _) = try discovered(p)
        return ["InstancesRevision": .int(s.revision)]
    }

    func getInstancesHealthStatus(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let ids = try p.stringList("Instances")
        let items: [CMInstance] = try read { r throws(APIError) in
            let s = try requireService(r, serviceId)
            guard let ids else { return r.instances(of: s.id) }
            var out: [CMInstance] = []
            for id in ids { out.append(try requireInstance(r, s, id)) }
            return out
        }
        let (pageItems, next) = try page(items, p, list: "health")
        return .obj([("Status", .object(JSONObject(pageItems.map { ($0.id, JSONValue.string($0.health)) }))),
                     ("NextToken", next.map(JSONValue.string))])
    }

    func updateInstanceCustomHealthStatus(_ p: Params) throws(APIError) -> JSONValue {
        let serviceId = try required(p, "ServiceId")
        let id = try required(p, "InstanceId")
        let status = try required(p, "Status")
        guard status == "HEALTHY" || status == "UNHEALTHY" else { throw Self.invalid("Status must be HEALTHY or UNHEALTHY, got \(status.prefix(32)).") }
        return try change { r throws(APIError) in
            let s = try requireService(r, serviceId)
            guard s.customHealth else {
                throw APIError("CustomHealthNotFound", "Service \(s.id) has no HealthCheckCustomConfig.")
            }
            let i = try requireInstance(r, s, id)
            if let owner = i.owner {
                throw APIError("ResourceInUse", "Instance \(id) is registered by the ECS service \(owner); its health follows its task.")
            }
            guard let k = r.instances.firstIndex(where: { $0.serviceId == s.id && $0.id == id }) else { throw Self.instanceNotFound(id) }
            if r.instances[k].health != status {
                r.instances[k].health = status
                r.bump(s.id)
            }
            return [:]
        }
    }
}

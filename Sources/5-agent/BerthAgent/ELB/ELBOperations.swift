import Foundation

/// The ELBv2 actions: parameters in, result members out (XML), errors with ELB's codes.
extension ELBService {
    public static let actions: Set<String> = [
        "CreateLoadBalancer", "DescribeLoadBalancers", "DeleteLoadBalancer", "CreateTargetGroup", "DescribeTargetGroups",
        "ModifyTargetGroup", "DeleteTargetGroup", "DescribeTargetGroupAttributes", "ModifyTargetGroupAttributes",
        "CreateListener", "DescribeListeners", "DeleteListener", "CreateRule", "DescribeRules", "DeleteRule",
        "RegisterTargets", "DeregisterTargets", "DescribeTargetHealth",
    ]

    public func call(_ action: String, _ p: QueryParams) throws(APIError) -> [XMLNode] {
        switch action {
        case "CreateLoadBalancer": return try createLoadBalancer(p)
        case "DescribeLoadBalancers": return try describeLoadBalancers(p)
        case "DeleteLoadBalancer": return try deleteLoadBalancer(p)
        case "CreateTargetGroup": return try createTargetGroup(p)
        case "DescribeTargetGroups": return try describeTargetGroups(p)
        case "ModifyTargetGroup": return try modifyTargetGroup(p)
        case "DeleteTargetGroup": return try deleteTargetGroup(p)
        case "DescribeTargetGroupAttributes": return try describeAttributes(p)
        case "ModifyTargetGroupAttributes": return try modifyAttributes(p)
        case "CreateListener": return try createListener(p)
        case "DescribeListeners": return try describeListeners(p)
        case "DeleteListener": return try deleteListener(p)
        case "CreateRule": return try createRule(p)
        case "DescribeRules": return try describeRules(p)
        case "DeleteRule": return try deleteRule(p)
        case "RegisterTargets": return try registerTargets(p)
        case "DeregisterTargets": return try deregisterTargets(p)
        case "DescribeTargetHealth": return try describeTargetHealth(p)
        default: throw APIError("InvalidAction", "The action \(action.prefix(64)) is not valid for this web service.")
        }
    }

    static func refuseUnknown(_ p: QueryParams, _ known: Set<String>) throws(APIError) {
        if let name = p.unknown(known).first {
            throw APIError("ValidationError", "Parameter \(name.prefix(64)) is not supported by Berth's Elastic Load Balancing.")
        }
    }

    static func validName(_ name: String, what: String) throws(APIError) {
        let ok = (1...32).contains(name.count) && name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
            && !name.hasPrefix("-") && !name.hasSuffix("-")
        guard ok else {
            throw APIError("ValidationError", "\(what) name '\(name.prefix(64))' can have a maximum of 32 characters, contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen")
        }
    }

    /// `Marker`/`PageSize` paging of an already filtered list.
    static func page<T>(_ items: [T], _ p: QueryParams) throws(APIError) -> ([T], String?) {
        let size = try p.int("PageSize", 1...400) ?? 400
        var start = 0
        if let marker = p["Marker"] {
            guard let n = Int(marker), n >= 0, n <= items.count else { throw APIError("ValidationError", "Invalid Marker '\(marker.prefix(32))'") }
            start = n
        }
        let end = min(items.count, start + size)
        return (Array(items[start..<end]), end < items.count ? String(end) : nil)
    }

    static func paged(_ name: String, _ items: [[XMLNode]], marker: String?) -> [XMLNode] {
        [.members(name, items)] + (marker.map { [XMLNode.leaf("NextMarker", $0)] } ?? [])
    }

    // MARK: load balancers

    func createLoadBalancer(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["Name", "Subnets", "SubnetMappings", "SecurityGroups", "Scheme", "Type", "IpAddressType"])
        let name = try p.required("Name")
        try Self.validName(name, what: "Load balancer")
        if name.hasPrefix("internal-") { throw APIError("ValidationError", "Load balancer name cannot begin with 'internal-'") }
        let type = p["Type"] ?? "application"
        guard ["application", "network"].contains(type) else {
            throw APIError("ValidationError", "Load balancer type '\(type.prefix(32))' is not supported: Berth serves application and network load balancers")
        }
        let scheme = p["Scheme"] ?? "internet-facing"
        guard ["internet-facing", "internal"].contains(scheme) else { throw APIError("ValidationError", "Scheme '\(scheme.prefix(32))' must be internet-facing or internal") }
        if let ip = p["IpAddressType"], ip != "ipv4" { throw APIError("ValidationError", "IpAddressType '\(ip.prefix(32))' is not supported: listeners are on IPv4 loopback") }
        let now = clock()
        let lb = try change { r throws(APIError) -> ELBLoadBalancer in
            if let existing = r.loadBalancers.first(where: { $0.name == name }) {
                guard existing.type == type, existing.scheme == scheme else {
                    throw APIError("DuplicateLoadBalancerName", "A load balancer with the same name '\(name)' exists, but with different settings")
                }
                return existing
            }
            let id = Self.hex16()
            let lb = ELBLoadBalancer(arn: arn("loadbalancer/\(type == "network" ? "net" : "app")/\(name)/\(id)"), name: name, type: type,
                                     scheme: scheme, dnsName: "\(name)-\(id.prefix(8)).elb.localhost", createdAt: now)
            r.loadBalancers.append(lb)
            return lb
        }
        return [.members("LoadBalancers", [lbXML(lb)])]
    }

    func lbXML(_ lb: ELBLoadBalancer) -> [XMLNode] {
        [.leaf("LoadBalancerArn", lb.arn), .leaf("DNSName", lb.dnsName), .leaf("CanonicalHostedZoneId", "BERTHLOCAL"),
         .leaf("CreatedTime", XMLNode.timestamp(lb.createdAt)), .leaf("LoadBalancerName", lb.name), .leaf("Scheme", lb.scheme),
         .leaf("VpcId", "vpc-berth"), .node("State", [.leaf("Code", "active")]), .leaf("Type", lb.type),
         .node("AvailabilityZones", []), .leaf("IpAddressType", "ipv4")]
    }

    func describeLoadBalancers(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["LoadBalancerArns", "Names", "Marker", "PageSize"])
        let arns = p.list("LoadBalancerArns"), names = p.list("Names")
        let lbs = try read { r throws(APIError) in
            if !arns.isEmpty {
                return try arns.map { a throws(APIError) in
                    guard let lb = r.loadBalancers.first(where: { $0.arn == a }) else { throw Self.loadBalancerNotFound }
                    return lb
                }
            }
            if !names.isEmpty {
                return try names.map { n throws(APIError) in
                    guard let lb = r.loadBalancers.first(where: { $0.name == n }) else {
                        throw APIError("LoadBalancerNotFound", "Load balancers '[\(n)]' not found")
                    }
                    return lb
                }
            }
            return r.loadBalancers
        }
        let (items, marker) = try Self.page(lbs, p)
        return Self.paged("LoadBalancers", items.map(lbXML), marker: marker)
    }

    func deleteLoadBalancer(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["LoadBalancerArn"])
        let a = try p.required("LoadBalancerArn")
        try change { r in
            let listeners = Set(r.listeners.filter { $0.loadBalancerArn == a }.map(\.arn))
            r.rules.removeAll { listeners.contains($0.listenerArn) }
            r.listeners.removeAll { $0.loadBalancerArn == a }
            r.loadBalancers.removeAll { $0.arn == a }
        }
        return []
    }

    // MARK: target groups

    func createTargetGroup(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["Name", "Protocol", "ProtocolVersion", "Port", "VpcId", "HealthCheckProtocol", "HealthCheckPort",
                                   "HealthCheckEnabled", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
                                   "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher", "TargetType", "IpAddressType"])
        let name = try p.required("Name")
        try Self.validName(name, what: "Target group")
        let type = p["TargetType"] ?? "instance"
        guard type == "ip" else {
            throw APIError("ValidationError", "TargetType '\(type.prefix(32))' is not available in Berth (there are no EC2 instances or Lambda functions here): use TargetType ip")
        }
        let proto = p["Protocol"] ?? ""
        guard ["HTTP", "TCP"].contains(proto) else {
            throw APIError("ValidationError", "Protocol '\(proto.prefix(32))' is not supported: Berth's target groups are HTTP or TCP")
        }
        if let v = p["ProtocolVersion"], v != "HTTP1" { throw APIError("ValidationError", "ProtocolVersion '\(v.prefix(32))' is not supported: only HTTP1") }
        if let ip = p["IpAddressType"], ip != "ipv4" { throw APIError("ValidationError", "IpAddressType '\(ip.prefix(32))' is not supported: only ipv4") }
        guard let port = try p.int("Port", 1...65535) else { throw APIError("ValidationError", "A port must be specified") }
        var g = ELBTargetGroup(arn: "", name: name, proto: proto, port: port, targetType: type, createdAt: clock())
        if proto == "TCP" {
            g.health = ELBHealthSettings(proto: "TCP", path: "", timeout: 10, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "")
        }
        g.health = try Self.healthSettings(p, g.health, groupProto: proto)
        let made = try change { r throws(APIError) -> ELBTargetGroup in
            if let existing = r.targetGroups.first(where: { $0.name == name }) {
                guard existing.proto == g.proto, existing.port == g.port, existing.health == g.health else {
                    throw APIError("DuplicateTargetGroupName", "A target group with the same name '\(name)' exists, but with different settings")
                }
                return existing
            }
            g.arn = arn("targetgroup/\(name)/\(Self.hex16())")
            r.targetGroups.append(g)
            return g
        }
        return [.members("TargetGroups", [tgXML(made, lbs: [])])]
    }

    static func healthSettings(_ p: QueryParams, _ base: ELBHealthSettings, groupProto: String) throws(APIError) -> ELBHealthSettings {
        var h = base
        if let e = try p.bool("HealthCheckEnabled") {
            // ELB: "If the target type is instance, ip, or alb, health checks are always enabled and can't be disabled."
            guard e else { throw APIError("ValidationError", "HealthCheckEnabled: health checks cannot be disabled for a target group whose target type is ip") }
            h.enabled = e
        }
        if let proto = p["HealthCheckProtocol"] {
            guard ["HTTP", "TCP"].contains(proto), !(groupProto == "HTTP" && proto == "TCP") else {
                throw APIError("ValidationError", "Health check protocol '\(proto.prefix(32))' is not supported for a \(groupProto) target group")
            }
            if proto == "HTTP" && h.proto == "TCP" { h.path = "/"; h.matcher = "200-399" }
            if proto == "TCP" { h.path = ""; h.matcher = "" }
            h.proto = proto
        }
        if let port = p["HealthCheckPort"] {
            guard port == "traffic-port" || (Int(port).map { (1...65535).contains($0) } ?? false) else {
                throw APIError("ValidationError", "Health check port '\(port.prefix(32))' must be 'traffic-port' or a port from 1 to 65535")
            }
            h.port = port
        }
        if let path = p["HealthCheckPath"] {
            guard h.proto == "HTTP" else { throw APIError("ValidationError", "Health check path is only supported for HTTP health checks") }
            guard path.hasPrefix("/"), (1...1024).contains(path.count) else { throw APIError("ValidationError", "Health check path '\(path.prefix(64))' must begin with '/' and be at most 1024 characters") }
            h.path = path
        }
        if let v = try p.int("HealthCheckIntervalSeconds", 5...300) { h.interval = v }
        if let v = try p.int("HealthCheckTimeoutSeconds", 2...120) { h.timeout = v }
        if let v = try p.int("HealthyThresholdCount", 2...10) { h.healthyThreshold = v }
        if let v = try p.int("UnhealthyThresholdCount", 2...10) { h.unhealthyThreshold = v }
        if let code = p["Matcher.HttpCode"] {
            guard h.proto == "HTTP" else { throw APIError("ValidationError", "A matcher is only supported for HTTP health checks") }
            guard Self.validMatcher(code) else { throw APIError("ValidationError", "Health check matcher HTTP code '\(code.prefix(32))' must be codes from 200 to 499, as a list (200,202) or a range (200-299)") }
            h.matcher = code
        }
        if p["Matcher.GrpcCode"] != nil { throw APIError("ValidationError", "Matcher.GrpcCode is not supported: target groups are HTTP or TCP") }
        guard h.timeout < h.interval else {
            throw APIError("ValidationError", "Health check timeout \(h.timeout) must be smaller than the interval \(h.interval)")
        }
        return h
    }

    static func validMatcher(_ code: String) -> Bool {
        let ok: (Substring) -> Bool = { Int($0).map { (200...499).contains($0) } ?? false }
        return code.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { part in
            let range = part.split(separator: "-", omittingEmptySubsequences: false)
            if range.count == 2 { return ok(range[0]) && ok(range[1]) && Int(range[0])! <= Int(range[1])! }
            return range.count == 1 && ok(part)
        }
    }

    func tgXML(_ g: ELBTargetGroup, lbs: [String]) -> [XMLNode] {
        var x: [XMLNode] = [
            .leaf("TargetGroupArn", g.arn), .leaf("TargetGroupName", g.name), .leaf("Protocol", g.proto), .leaf("Port", String(g.port)),
            .leaf("VpcId", "vpc-berth"), .leaf("HealthCheckProtocol", g.health.proto), .leaf("HealthCheckPort", g.health.port),
            .leaf("HealthCheckEnabled", String(g.health.enabled)), .leaf("HealthCheckIntervalSeconds", String(g.health.interval)),
            .leaf("HealthCheckTimeoutSeconds", String(g.health.timeout)), .leaf("HealthyThresholdCount", String(g.health.healthyThreshold)),
            .leaf("UnhealthyThresholdCount", String(g.health.unhealthyThreshold)),
        ]
        if g.health.proto == "HTTP" { x += [.leaf("HealthCheckPath", g.health.path), .node("Matcher", [.leaf("HttpCode", g.health.matcher)])] }
        x += [.strings("LoadBalancerArns", lbs), .leaf("TargetType", g.targetType), .leaf("IpAddressType", "ipv4")]
        if g.proto == "HTTP" { x.append(.leaf("ProtocolVersion", "HTTP1")) }
        return x
    }

    func findGroup(_ r: ELBResources, _ a: String) throws(APIError) -> ELBTargetGroup {
        guard let g = r.targetGroups.first(where: { $0.arn == a }) else { throw Self.groupNotFound }
        return g
    }

    func describeTargetGroups(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["LoadBalancerArn", "TargetGroupArns", "Names", "Marker", "PageSize"])
        let arns = p.list("TargetGroupArns"), names = p.list("Names"), lb = p["LoadBalancerArn"]
        let items = try read { r throws(APIError) -> [[XMLNode]] in
            var groups = r.targetGroups
            if !arns.isEmpty { groups = try arns.map { a throws(APIError) in try findGroup(r, a) } }
            if !names.isEmpty {
                groups = try names.map { n throws(APIError) in
                    guard let g = r.targetGroups.first(where: { $0.name == n }) else {
                        throw APIError("TargetGroupNotFound", "Target groups '[\(n)]' not found")
                    }
                    return g
                }
            }
            if let lb {
                guard r.loadBalancers.contains(where: { $0.arn == lb }) else { throw Self.loadBalancerNotFound }
                groups = groups.filter { r.loadBalancerArns(of: $0.arn).contains(lb) }
            }
            return groups.map { tgXML($0, lbs: r.loadBalancerArns(of: $0.arn)) }
        }
        let (page, marker) = try Self.page(items, p)
        return Self.paged("TargetGroups", page, marker: marker)
    }

    func modifyTargetGroup(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn", "HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckEnabled",
                                   "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
                                   "UnhealthyThresholdCount", "Matcher"])
        let a = try p.required("TargetGroupArn")
        let (g, lbs) = try change { r throws(APIError) in
            guard let i = r.targetGroups.firstIndex(where: { $0.arn == a }) else { throw Self.groupNotFound }
            r.targetGroups[i].health = try Self.healthSettings(p, r.targetGroups[i].health, groupProto: r.targetGroups[i].proto)
            return (r.targetGroups[i], r.loadBalancerArns(of: a))
        }
        return [.members("TargetGroups", [tgXML(g, lbs: lbs)])]
    }

    func deleteTargetGroup(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn"])
        let a = try p.required("TargetGroupArn")
        try change { r throws(APIError) in
            if r.listeners.contains(where: { $0.targetGroupArn == a }) || r.rules.contains(where: { $0.targetGroupArn == a }) {
                throw APIError("ResourceInUse", "Target group '\(a)' is currently in use by a listener or a rule")
            }
            r.targetGroups.removeAll { $0.arn == a }
        }
        return []
    }

    func attributesXML(_ g: ELBTargetGroup) -> [XMLNode] {
        var attrs = [("deregistration_delay.timeout_seconds", String(g.deregistrationDelay))]
        if g.proto == "HTTP" { attrs.append(("load_balancing.algorithm.type", g.algorithm)) }
        return [.members("Attributes", attrs.map { [.leaf("Key", $0.0), .leaf("Value", $0.1)] })]
    }

    func describeAttributes(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn"])
        let a = try p.required("TargetGroupArn")
        return attributesXML(try read { r throws(APIError) in try findGroup(r, a) })
    }

    func modifyAttributes(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn", "Attributes"])
        let a = try p.required("TargetGroupArn")
        let attrs = p.structs("Attributes")
        guard !attrs.isEmpty else { throw APIError("ValidationError", "Attributes must contain at least one attribute") }
        let g = try change { r throws(APIError) -> ELBTargetGroup in
            guard let i = r.targetGroups.firstIndex(where: { $0.arn == a }) else { throw Self.groupNotFound }
            for attr in attrs {
                let key = attr["Key"] ?? "", value = attr["Value"] ?? ""
                switch key {
                case "deregistration_delay.timeout_seconds":
                    guard let n = Int(value), (0...3600).contains(n) else {
                        throw APIError("ValidationError", "Attribute 'deregistration_delay.timeout_seconds' must be an integer from 0 to 3600, got '\(value.prefix(32))'")
                    }
                    r.targetGroups[i].deregistrationDelay = n
                case "load_balancing.algorithm.type" where r.targetGroups[i].proto == "HTTP":
                    guard LoadBalancingAlgorithm(rawValue: value) != nil else {
                        throw APIError("ValidationError", "Attribute 'load_balancing.algorithm.type' must be round_robin or least_outstanding_requests, got '\(value.prefix(32))'")
                    }
                    r.targetGroups[i].algorithm = value
                default:
                    throw APIError("ValidationError", "Target group attribute key '\(key.prefix(64))' is not recognized or not supported by Berth")
                }
            }
            return r.targetGroups[i]
        }
        return attributesXML(g)
    }
}

import Foundation

/// Listeners, rules and targets.
extension ELBService {
    /// The target group of a `forward` action list (`Type` + `TargetGroupArn`, or one
    /// `ForwardConfig.TargetGroups` member); other actions are refused.
    static func forwardGroup(_ actions: [QueryParams], field: String) throws(APIError) -> String {
        guard actions.count == 1, let a = actions.first else {
            throw APIError("ValidationError", "\(field) must contain exactly one forward action in Berth")
        }
        guard a["Type"] == "forward" else {
            throw APIError("ValidationError", "\(field) action type '\((a["Type"] ?? "").prefix(32))' is not supported: only forward")
        }
        let weighted = a.structs("ForwardConfig.TargetGroups")
        if let g = a["TargetGroupArn"] { return g }
        if weighted.count == 1, let g = weighted[0]["TargetGroupArn"] { return g }
        throw APIError("ValidationError", "\(field) forward action needs one TargetGroupArn (weighted forwarding to several groups is not supported)")
    }

    func actionXML(_ group: String) -> XMLNode {
        .members("Actions", [[.leaf("Type", "forward"), .leaf("TargetGroupArn", group), .leaf("Order", "1"),
                              .node("ForwardConfig", [.members("TargetGroups", [[.leaf("TargetGroupArn", group), .leaf("Weight", "1")]])])]])
    }

    func listenerXML(_ l: ELBListener) -> [XMLNode] {
        var action = actionXML(l.targetGroupArn)
        if case .node(_, let children) = action { action = .node("DefaultActions", children) }
        return [.leaf("ListenerArn", l.arn), .leaf("LoadBalancerArn", l.loadBalancerArn), .leaf("Port", String(l.port)),
                .leaf("Protocol", l.proto), action]
    }

    func createListener(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["LoadBalancerArn", "Protocol", "Port", "DefaultActions"])
        let lbArn = try p.required("LoadBalancerArn")
        let group = try Self.forwardGroup(p.structs("DefaultActions"), field: "DefaultActions")
        guard let port = try p.int("Port", 1...65535) else { throw APIError("ValidationError", "A listener port must be specified") }
        let l = try change { r throws(APIError) -> ELBListener in
            guard let lb = r.loadBalancers.first(where: { $0.arn == lbArn }) else { throw Self.loadBalancerNotFound }
            let proto = p["Protocol"] ?? (lb.type == "network" ? "TCP" : "HTTP")
            guard proto == (lb.type == "network" ? "TCP" : "HTTP") else {
                throw APIError("UnsupportedProtocol", "Protocol '\(proto.prefix(32))' is not supported by this \(lb.type) load balancer in Berth (application: HTTP, network: TCP)")
            }
            let g = try findGroup(r, group)
            guard g.proto == proto else {
                throw APIError("IncompatibleProtocols", "The target group's protocol \(g.proto) is not compatible with the listener's protocol \(proto)")
            }
            if let same = r.listeners.first(where: { $0.port == port }) {
                if same.loadBalancerArn == lbArn, same.proto == proto, same.targetGroupArn == group { return same }
                throw APIError("DuplicateListener", "A listener already exists on port \(port)\(same.loadBalancerArn == lbArn ? "" : " of another load balancer (all listeners share \(listenHost))")")
            }
            let lbPath = lbArn.split(separator: ":", maxSplits: 5).last.map { $0.replacingOccurrences(of: "loadbalancer/", with: "") } ?? ""
            let l = ELBListener(arn: arn("listener/\(lbPath)/\(Self.hex16())"), loadBalancerArn: lbArn, port: port, proto: proto, targetGroupArn: group)
            r.listeners.append(l)
            return l
        }
        return [.members("Listeners", [listenerXML(l)])]
    }

    func describeListeners(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["LoadBalancerArn", "ListenerArns", "Marker", "PageSize"])
        let arns = p.list("ListenerArns"), lb = p["LoadBalancerArn"]
        guard !arns.isEmpty || lb != nil else { throw APIError("ValidationError", "You must specify either listener ARNs or a load balancer ARN") }
        let items = try read { r throws(APIError) -> [ELBListener] in
            if let lb {
                guard r.loadBalancers.contains(where: { $0.arn == lb }) else { throw Self.loadBalancerNotFound }
                return r.listeners.filter { $0.loadBalancerArn == lb }
            }
            return try arns.map { a throws(APIError) in
                guard let l = r.listeners.first(where: { $0.arn == a }) else { throw Self.listenerNotFound }
                return l
            }
        }
        let (page, marker) = try Self.page(items, p)
        return Self.paged("Listeners", page.map(listenerXML), marker: marker)
    }

    func deleteListener(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["ListenerArn"])
        let a = try p.required("ListenerArn")
        try change { r throws(APIError) in
            guard r.listeners.contains(where: { $0.arn == a }) else { throw Self.listenerNotFound }
            r.rules.removeAll { $0.listenerArn == a }
            r.listeners.removeAll { $0.arn == a }
        }
        return []
    }

    // MARK: rules

    static func conditions(_ items: [QueryParams]) throws(APIError) -> (paths: [String], hosts: [String]) {
        var paths: [String] = [], hosts: [String] = []
        guard !items.isEmpty else { throw APIError("ValidationError", "A rule needs at least one condition") }
        for c in items {
            let field = c["Field"] ?? ""
            switch field {
            case "path-pattern": paths += c.list("Values") + c.list("PathPatternConfig.Values")
            case "host-header": hosts += c.list("Values") + c.list("HostHeaderConfig.Values")
            default: throw APIError("ValidationError", "Condition field '\(field.prefix(32))' is not supported: Berth routes on path-pattern and host-header")
            }
        }
        for v in paths + hosts where v.isEmpty || v.count > 128 {
            throw APIError("ValidationError", "A condition value must have 1 to 128 characters")
        }
        guard !paths.isEmpty || !hosts.isEmpty else { throw APIError("ValidationError", "A condition needs at least one value") }
        return (paths, hosts)
    }

    func ruleXML(_ rule: ELBRule) -> [XMLNode] {
        var conds: [[XMLNode]] = []
        if !rule.paths.isEmpty {
            conds.append([.leaf("Field", "path-pattern"), .strings("Values", rule.paths), .node("PathPatternConfig", [.strings("Values", rule.paths)])])
        }
        if !rule.hosts.isEmpty {
            conds.append([.leaf("Field", "host-header"), .strings("Values", rule.hosts), .node("HostHeaderConfig", [.strings("Values", rule.hosts)])])
        }
        return [.leaf("RuleArn", rule.arn), .leaf("Priority", String(rule.priority)), .members("Conditions", conds), actionXML(rule.targetGroupArn),
                .leaf("IsDefault", "false")]
    }

    func defaultRuleXML(_ l: ELBListener) -> [XMLNode] {
        [.leaf("RuleArn", l.arn.replacingOccurrences(of: ":listener/", with: ":listener-rule/") + "/default"), .leaf("Priority", "default"),
         .members("Conditions", []), actionXML(l.targetGroupArn), .leaf("IsDefault", "true")]
    }

    func createRule(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["ListenerArn", "Conditions", "Priority", "Actions"])
        let listenerArn = try p.required("ListenerArn")
        guard let priority = try p.int("Priority", 1...50000) else { throw APIError("ValidationError", "A rule priority must be specified") }
        let group = try Self.forwardGroup(p.structs("Actions"), field: "Actions")
        let (paths, hosts) = try Self.conditions(p.structs("Conditions"))
        let rule = try change { r throws(APIError) -> ELBRule in
            guard let l = r.listeners.first(where: { $0.arn == listenerArn }) else { throw Self.listenerNotFound }
            guard l.proto == "HTTP" else { throw APIError("ValidationError", "Rules are only supported on HTTP listeners of application load balancers") }
            let g = try findGroup(r, group)
            guard g.proto == "HTTP" else { throw APIError("IncompatibleProtocols", "The target group's protocol \(g.proto) is not compatible with HTTP rules") }
            if r.rules.contains(where: { $0.listenerArn == listenerArn && $0.priority == priority }) {
                throw APIError("PriorityInUse", "Priority '\(priority)' is currently in use")
            }
            let rule = ELBRule(arn: l.arn.replacingOccurrences(of: ":listener/", with: ":listener-rule/") + "/" + Self.hex16(),
                               listenerArn: listenerArn, priority: priority, paths: paths, hosts: hosts, targetGroupArn: group)
            r.rules.append(rule)
            return rule
        }
        return [.members("Rules", [ruleXML(rule)])]
    }

    func describeRules(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["ListenerArn", "RuleArns", "Marker", "PageSize"])
        let arns = p.list("RuleArns"), listener = p["ListenerArn"]
        guard !arns.isEmpty || listener != nil else { throw APIError("ValidationError", "You must specify either listener or rule ARNs") }
        let items = try read { r throws(APIError) -> [[XMLNode]] in
            if let listener {
                guard let l = r.listeners.first(where: { $0.arn == listener }) else { throw Self.listenerNotFound }
                return r.rules.filter { $0.listenerArn == listener }.sorted { $0.priority < $1.priority }.map(ruleXML) + [defaultRuleXML(l)]
            }
            return try arns.map { a throws(APIError) in
                if let rule = r.rules.first(where: { $0.arn == a }) { return ruleXML(rule) }
                if let l = r.listeners.first(where: { defaultRuleXML($0).first == .leaf("RuleArn", a) }) { return defaultRuleXML(l) }
                throw Self.ruleNotFound
            }
        }
        let (page, marker) = try Self.page(items, p)
        return Self.paged("Rules", page, marker: marker)
    }

    func deleteRule(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["RuleArn"])
        let a = try p.required("RuleArn")
        try change { r throws(APIError) in
            if a.hasSuffix("/default") { throw APIError("OperationNotPermitted", "Default rule '\(a)' cannot be deleted") }
            guard r.rules.contains(where: { $0.arn == a }) else { throw Self.ruleNotFound }
            r.rules.removeAll { $0.arn == a }
        }
        return []
    }

    // MARK: targets

    func targets(_ p: QueryParams, of group: ELBTargetGroup, required: Bool) throws(APIError) -> [ELBTarget] {
        let items = p.structs("Targets")
        if required && items.isEmpty { throw APIError("ValidationError", "Targets must contain at least one target") }
        return try items.map { t throws(APIError) in
            let id = t["Id"] ?? ""
            guard Self.isIPv4(id) else {
                throw APIError("InvalidTarget", "The IP address '\(id.prefix(64))' is not a valid IPv4 address (target type ip)")
            }
            if t["AvailabilityZone"] != nil, t["AvailabilityZone"] != "all" {
                throw APIError("ValidationError", "AvailabilityZone is not supported for targets: Berth has one host")
            }
            guard let port = try t.int("Port", 1...65535) ?? Optional(group.port) else { throw APIError("ValidationError", "A target port must be specified") }
            return ELBTarget(id: id, port: port)
        }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    func registerTargets(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn", "Targets"])
        let a = try p.required("TargetGroupArn")
        let g = try read { r throws(APIError) in try findGroup(r, a) }
        try register(a, try targets(p, of: g, required: true))
        return []
    }

    func deregisterTargets(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn", "Targets"])
        let a = try p.required("TargetGroupArn")
        let g = try read { r throws(APIError) in try findGroup(r, a) }
        let ts = try targets(p, of: g, required: true)
        if let missing = ts.first(where: { !g.targets.contains($0) }) {
            throw APIError("InvalidTarget", "The target '\(missing.id):\(missing.port)' is not registered with the target group")
        }
        try deregister(a, ts)
        return []
    }

    func describeTargetHealth(_ p: QueryParams) throws(APIError) -> [XMLNode] {
        try Self.refuseUnknown(p, ["TargetGroupArn", "Targets"])
        let a = try p.required("TargetGroupArn")
        let g = try read { r throws(APIError) in try findGroup(r, a) }
        var all = targetHealth(a)
        let wanted = try targets(p, of: g, required: false)
        if !wanted.isEmpty {
            all = wanted.map { t in
                all.first { $0.0 == t } ?? (t, TargetHealthReport(state: .unused, reason: "Target.NotRegistered", description: "Target is not registered to the target group"))
            }
        }
        return [.members("TargetHealthDescriptions", all.map { t, h in
            var health: [XMLNode] = [.leaf("State", h.state.rawValue)]
            if let reason = h.reason { health.append(.leaf("Reason", reason)) }
            if let d = h.description { health.append(.leaf("Description", d)) }
            return [.node("Target", [.leaf("Id", t.id), .leaf("Port", String(t.port))]),
                    .leaf("HealthCheckPort", g.health.port == "traffic-port" ? String(t.port) : g.health.port), .node("TargetHealth", health)]
        })]
    }
}

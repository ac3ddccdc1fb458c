import BerthJSON

/// networkMode-dependent container rules: ports, hostname, extra hosts, links, DNS.
enum NetworkRules {
    static func check(_ c: ContainerContext) {
        checkPorts(c)
        let d = c.container
        let mode = c.task.networkMode
        if d.hostname != nil, mode == .awsvpc {
            c.error(c.path("hostname"), "hostname is not supported on container when networkMode=awsvpc.")
        }
        if !(d.extraHosts ?? []).isEmpty, mode == .awsvpc {
            c.error(c.path("extraHosts"), "extraHosts are not supported on container when networkMode=awsvpc.")
        }
        for (i, h) in (d.extraHosts ?? []).enumerated() {
            if let ip = h.ipAddress, !Names.isValidIP(ip) {
                c.error(c.path("extraHosts") / i / "ipAddress", "\(quoted(ip)) is not an IPv4 or IPv6 address.")
            }
            if let name = h.hostname, name.isEmpty || name.contains(where: \.isWhitespace) {
                c.error(c.path("extraHosts") / i / "hostname", "\(quoted(name)) is not a valid host name.")
            }
        }
        for (i, server) in (d.dnsServers ?? []).enumerated() where !Names.isValidIP(server) {
            c.error(c.path("dnsServers") / i, "\(quoted(server)) is not an IPv4 or IPv6 address.")
        }
        checkLinks(c)
    }

    private static func checkLinks(_ c: ContainerContext) {
        guard let links = c.container.links, !links.isEmpty else { return }
        if c.task.networkMode != .bridge {
            c.error(c.path("links"), "links are not supported when networkMode=\(c.task.networkMode.rawValue); they need networkMode bridge.")
            return
        }
        for (i, link) in links.enumerated() {
            let parts = link.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let p = c.path("links") / i
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
                c.error(p, "Invalid link \(quoted(link)): use 'name' or 'name:alias'.")
                continue
            }
            if parts[0] == c.container.name {
                c.error(p, "Container \(c.label) cannot link to itself.")
            } else if c.task.input.container(named: parts[0]) == nil {
                c.error(p, "Invalid link \(quoted(link)): container \(quoted(parts[0])) does not exist in this task definition.")
            }
        }
    }

    private static func checkPorts(_ c: ContainerContext) {
        guard let mappings = c.container.portMappings, !mappings.isEmpty else { return }
        let mode = c.task.networkMode
        if mode == .none {
            c.error(c.path("portMappings"), "portMappings are not supported when networkMode=none.")
            return
        }
        var seen: Set<String> = []
        for (i, m) in mappings.enumerated() {
            let p = c.path("portMappings") / i
            if let range = m.containerPortRange {
                checkRange(c, range, m, p, mode)
            } else if let port = m.containerPort {
                if !(1...65535).contains(port) { c.error(p / "containerPort", "containerPort must be 1-65535, got \(port).") }
                let key = "\(port)/\((m.protocol ?? .tcp).rawValue)"
                if !seen.insert(key).inserted {
                    c.error(p / "containerPort", "Container \(c.label) maps container port \(key) more than once.")
                }
            } else {
                c.error(p / "containerPort", "A port mapping needs containerPort or containerPortRange.")
            }
            if let host = m.hostPort {
                if !(0...65535).contains(host) {
                    c.error(p / "hostPort", "hostPort must be 0-65535, got \(host).")
                } else if mode == .awsvpc || mode == .host, let cp = m.containerPort, host != cp {
                    c.error(p / "hostPort", "When networkMode=\(mode.rawValue), the host ports and container ports in port mappings must match.")
                }
            }
            if let name = m.name, !Names.isValidPortName(name) {
                c.error(p / "name", "Port mapping name \(quoted(name)) is invalid: up to 64 lowercase letters, numbers, '_' and '-', not starting with '-'.")
            }
        }
        let names = mappings.compactMap(\.name)
        if Set(names).count != names.count {
            c.error(c.path("portMappings"), "Port mapping names must be unique within a container.")
        }
    }

    private static func checkRange(_ c: ContainerContext, _ range: String, _ m: PortMapping, _ p: JSONPath, _ mode: NetworkMode) {
        let bounds = range.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        if bounds.count != 2 || bounds.contains(where: { $0 == nil }) {
            c.error(p / "containerPortRange", "containerPortRange \(quoted(range)) must look like \"8000-8010\".")
        } else if let lo = bounds[0], let hi = bounds[1], !(1 <= lo && lo < hi && hi <= 65535) {
            c.error(p / "containerPortRange", "containerPortRange \(quoted(range)) must be first-last with 1 <= first < last <= 65535.")
        }
        if m.hostPort != nil { c.error(p / "hostPort", "hostPort must be omitted when containerPortRange is set.") }
        if m.containerPort != nil { c.error(p / "containerPort", "Set containerPort or containerPortRange, not both.") }
        if mode != .bridge, mode != .awsvpc {
            c.error(p / "containerPortRange", "containerPortRange is only supported with networkMode bridge or awsvpc.")
        }
    }
}

import BerthJSON

/// Ports used by more than one container of the task. Berth gives every task one network
/// namespace in bridge mode too, so containers of a task cannot share a container port.
enum PortConflictRules {
    static func check(_ ctx: ValidationContext) {
        var containerPorts: [String: String] = [:]   // "80/tcp" -> first container
        var hostPorts: [String: String] = [:]
        for (i, c) in ctx.input.containers.enumerated() {
            let name = c.name ?? "#\(i + 1)"
            for (j, m) in (c.portMappings ?? []).enumerated() {
                let proto = (m.protocol ?? .tcp).rawValue
                let p = ctx.base / "containerDefinitions" / i / "portMappings" / j
                if let port = m.containerPort {
                    let key = "\(port)/\(proto)"
                    if let other = containerPorts[key], other != name {
                        if ctx.networkMode == .bridge {
                            ctx.diag.warning(p / "containerPort", "Containers '\(other)' and '\(name)' both use container port \(key); Berth runs a bridge-mode task's containers in one network namespace, so only one of them can listen on it.")
                        } else {
                            ctx.error(p / "containerPort", "Containers '\(other)' and '\(name)' both map container port \(key); with networkMode=\(ctx.networkMode.rawValue) they share one network namespace.")
                        }
                    } else {
                        containerPorts[key] = name
                    }
                }
                if ctx.networkMode == .bridge, let host = m.hostPort, host != 0 {
                    let key = "\(host)/\(proto)"
                    if hostPorts[key] != nil {
                        ctx.error(p / "hostPort", "Host port \(key) is mapped more than once in this task definition.")
                    } else {
                        hostPorts[key] = name
                    }
                }
            }
        }
    }
}

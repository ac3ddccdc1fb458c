import BerthJSON

/// dependsOn (§3.1): targets exist, conditions are satisfiable, no cycles.
enum DependencyRules {
    static func check(_ ctx: ValidationContext) {
        let containers = ctx.input.containers
        for (i, c) in containers.enumerated() {
            for (j, dep) in (c.dependsOn ?? []).enumerated() {
                let p = ctx.base / "containerDefinitions" / i / "dependsOn" / j
                guard let name = dep.containerName else { continue }
                guard !name.isEmpty else {
                    ctx.error(p / "containerName", "dependsOn containerName should not be null or empty.")
                    continue
                }
                guard let target = ctx.input.container(named: name) else {
                    ctx.error(p / "containerName", "Cannot depend on container + '\(name)' because it does not exist")
                    continue
                }
                if name == c.name {
                    ctx.error(p / "containerName", "Container '\(name)' cannot depend on itself.")
                    continue
                }
                switch dep.condition {
                case .complete?, .success?:
                    if target.isEssential {
                        ctx.error(p / "condition", "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")
                    }
                case .healthy?:
                    if target.healthCheck == nil {
                        ctx.error(p / "condition", "Container '\(name)' has no healthCheck, so the HEALTHY condition can never be met.")
                    }
                default: break
                }
            }
        }
        if let cycle = findCycle(containers) {
            let index = containers.firstIndex { $0.name == cycle[0] } ?? 0
            ctx.error(ctx.base / "containerDefinitions" / index / "dependsOn",
                "Task dependencies cannot be resolved: dependency cycle " + cycle.map { "'\($0)'" }.joined(separator: " -> ") + ".")
        }
    }

    /// The first cycle among named containers (self-dependencies are reported separately), as a
    /// list of names that starts and ends with the same container.
    static func findCycle(_ containers: [ContainerDefinition]) -> [String]? {
        var edges: [String: [String]] = [:]
        for c in containers {
            guard let name = c.name else { continue }
            edges[name] = (c.dependsOn ?? []).compactMap(\.containerName).filter { $0 != name }
        }
        var state: [String: Int] = [:]   // 1 = on stack, 2 = done
        var stack: [String] = []
        func visit(_ node: String) -> [String]? {
            state[node] = 1
            stack.append(node)
            for next in edges[node] ?? [] where edges[next] != nil {
                if state[next] == 1 {
                    let start = stack.firstIndex(of: next)!
                    return Array(stack[start...]) + [next]
                }
                if state[next] == nil, let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            state[node] = 2
            return nil
        }
        for c in containers {
            if let name = c.name, state[name] == nil, let cycle = visit(name) { return cycle }
        }
        return nil
    }
}

extension TaskDefinitionInput {
    /// The definition as ECS stores and returns it (§1.2): task cpu/memory as integer strings,
    /// container cpu 0 and essential true when omitted, empty lists for environment,
    /// mountPoints, volumesFrom, portMappings and systemControls, protocol tcp, and hostPort =
    /// containerPort with awsvpc/host. Values that do not parse are left as given.
    public func normalized() -> TaskDefinitionInput {
        var out = self
        if let cpu, case .success(let n) = ResourceUnits.cpuUnits(cpu) { out.cpu = String(n) }
        if let memory, case .success(let n) = ResourceUnits.memoryMiB(memory) { out.memory = String(n) }
        let mode = effectiveNetworkMode
        out.containerDefinitions = containerDefinitions?.map { $0.normalized(networkMode: mode) }
        if out.volumes == nil { out.volumes = [] }
        if out.placementConstraints == nil { out.placementConstraints = [] }
        return out
    }
}

extension ContainerDefinition {
    func normalized(networkMode: NetworkMode) -> ContainerDefinition {
        var c = self
        if c.cpu == nil { c.cpu = 0 }
        if c.essential == nil { c.essential = true }
        if c.environment == nil { c.environment = [] }
        if c.mountPoints == nil { c.mountPoints = [] }
        if c.volumesFrom == nil { c.volumesFrom = [] }
        if c.systemControls == nil { c.systemControls = [] }
        c.portMappings = (c.portMappings ?? []).map { m in
            var m = m
            if m.protocol == nil { m.protocol = .tcp }
            if m.hostPort == nil, m.containerPortRange == nil, networkMode == .awsvpc || networkMode == .host {
                m.hostPort = m.containerPort
            }
            return m
        }
        return c
    }
}

import BerthJSON

/// RunTask/StartTask `overrides` ([M:TaskOverride]).
public struct TaskOverride: JSONShape, Sendable, Equatable {
    public var containerOverrides: [ContainerOverride]?
    public var cpu: String?
    public var memory: String?
    public var executionRoleArn: String?
    public var taskRoleArn: String?
    public var ephemeralStorage: EphemeralStorage?
    /// Elastic Inference (retired): kept as given.
    public var inferenceAcceleratorOverrides: JSONValue?

    public init(containerOverrides: [ContainerOverride]? = nil) { self.containerOverrides = containerOverrides }
    public init(reading r: ObjectReader) {
        containerOverrides = r("containerOverrides"); cpu = r("cpu"); memory = r("memory")
        executionRoleArn = r("executionRoleArn"); taskRoleArn = r("taskRoleArn"); ephemeralStorage = r("ephemeralStorage")
        inferenceAcceleratorOverrides = r.rawList("inferenceAcceleratorOverrides")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("containerOverrides", containerOverrides); w.set("cpu", cpu)
        w.set("inferenceAcceleratorOverrides", inferenceAcceleratorOverrides); w.set("executionRoleArn", executionRoleArn)
        w.set("memory", memory); w.set("taskRoleArn", taskRoleArn); w.set("ephemeralStorage", ephemeralStorage)
    }
}

/// One container's overrides ([M:ContainerOverride]).
public struct ContainerOverride: JSONShape, Sendable, Equatable {
    public var name: String?
    public var command: [String]?
    public var environment: [KeyValuePair]?
    public var environmentFiles: [EnvironmentFile]?
    public var cpu: Int?
    public var memory: Int?
    public var memoryReservation: Int?
    public var resourceRequirements: [ResourceRequirement]?

    public init(name: String? = nil, command: [String]? = nil, environment: [KeyValuePair]? = nil) {
        self.name = name; self.command = command; self.environment = environment
    }
    public init(reading r: ObjectReader) {
        name = r("name"); command = r("command"); environment = r("environment"); environmentFiles = r("environmentFiles")
        cpu = r("cpu"); memory = r("memory"); memoryReservation = r("memoryReservation"); resourceRequirements = r("resourceRequirements")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("name", name); w.set("command", command); w.set("environment", environment); w.set("environmentFiles", environmentFiles)
        w.set("cpu", cpu); w.set("memory", memory); w.set("memoryReservation", memoryReservation); w.set("resourceRequirements", resourceRequirements)
    }
}

extension TaskOverride {
    /// Problems with these overrides for `definition` (paths relative to `basePath`, e.g.
    /// `overrides`), followed by the definition's own rules re-checked with the overrides applied
    /// (a memory override above the task memory, ...). InvalidParameterException, as RunTask reports.
    public func validate(against definition: TaskDefinitionInput, basePath: JSONPath = .root / "overrides",
                         host: HostPlatform = .current) -> [Problem] {
        let diag = Diagnostics()
        let size = jsonValue.serialized().count
        if size > 8192 {
            diag.error(basePath, "Container Overrides length must be at most 8192 (got \(size)).", exception: .invalidParameterException)
        }
        for (i, o) in (containerOverrides ?? []).enumerated() {
            let p = basePath / "containerOverrides" / i
            guard let name = o.name, !name.isEmpty else {
                diag.error(p / "name", "Container override name should not be null or empty.", exception: .invalidParameterException)
                continue
            }
            if definition.container(named: name) == nil {
                diag.error(p / "name", "Override for container named \(name) is not a container in the TaskDefinition.", exception: .invalidParameterException)
            }
        }
        var problems = diag.problems
        if !problems.hasErrors {
            let applied = definition.applying(self)
            problems += TaskDefinitionValidator.validate(applied, host: host).errors.map {
                var p = $0
                p.exception = .invalidParameterException
                p.message = "With the overrides applied: " + p.message
                return p
            }
        }
        return problems
    }
}

extension TaskDefinitionInput {
    /// The definition a task runs with: container command, cpu, memory, memoryReservation and
    /// resourceRequirements replaced; environment entries replace same-named ones and add new
    /// ones; environment files are added after the definition's; task cpu/memory (normalised)
    /// and roles replaced. Overrides naming no container of the definition are skipped.
    public func applying(_ o: TaskOverride) -> TaskDefinitionInput {
        var out = self
        if let cpu = o.cpu { out.cpu = cpu }
        if let memory = o.memory { out.memory = memory }
        if let role = o.taskRoleArn { out.taskRoleArn = role }
        if let role = o.executionRoleArn { out.executionRoleArn = role }
        if let storage = o.ephemeralStorage { out.ephemeralStorage = storage }
        for co in o.containerOverrides ?? [] {
            guard let name = co.name, let i = out.containerDefinitions?.firstIndex(where: { $0.name == name }) else { continue }
            var c = out.containerDefinitions![i]
            if let command = co.command { c.command = command }
            if let cpu = co.cpu { c.cpu = cpu }
            if let memory = co.memory { c.memory = memory }
            if let reservation = co.memoryReservation { c.memoryReservation = reservation }
            if let requirements = co.resourceRequirements { c.resourceRequirements = requirements }
            if let files = co.environmentFiles { c.environmentFiles = (c.environmentFiles ?? []) + files }
            if let env = co.environment {
                var merged = c.environment ?? []
                for kv in env {
                    if let j = merged.firstIndex(where: { $0.name == kv.name }) { merged[j] = kv } else { merged.append(kv) }
                }
                c.environment = merged
            }
            out.containerDefinitions![i] = c
        }
        return out.normalized()
    }
}

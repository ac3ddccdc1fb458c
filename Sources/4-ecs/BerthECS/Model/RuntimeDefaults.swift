import BerthJSON

/// Effective values the task engine uses (ECS defaults applied).
extension ContainerDefinition {
    /// Seconds between SIGTERM and SIGKILL: `stopTimeout` when > 0, else the ECS default 30 (§3.3).
    public var effectiveStopTimeout: Int { (stopTimeout ?? 0) > 0 ? stopTimeout! : 30 }

    /// cgroup cpu shares for `cpu`: null/0/1 become 2, values are capped at 262144 (§1.7).
    public var cpuShares: Int { Swift.min(Swift.max(cpu ?? 0, 2), 262_144) }

    /// Containers this one waits for, with the condition.
    public var dependencies: [(container: String, condition: ContainerCondition)] {
        (dependsOn ?? []).compactMap { d in
            guard let name = d.containerName, let condition = d.condition else { return nil }
            return (name, condition)
        }
    }
}

extension HealthCheck {
    /// How the check runs.
    public enum Test: Sendable, Equatable {
        /// Run the program directly (`["CMD", exe, args...]`, or a list without a prefix).
        case exec([String])
        /// Run the string with `/bin/sh -c` (`["CMD-SHELL", "..."]`).
        case shell(String)
        /// `["NONE"]`: no check.
        case none
    }

    public var test: Test {
        guard let command, let first = command.first else { return .none }
        switch first {
        case "CMD": return .exec(Array(command.dropFirst()))
        case "CMD-SHELL": return .shell(command.dropFirst().joined(separator: " "))
        case "NONE": return .none
        default: return .exec(command)
        }
    }
}

extension RegisteredTaskDefinition {
    /// Reads a stored `taskDefinition` object (as `jsonValue` wrote it, or inside its
    /// `{"taskDefinition": ...}` wrapper) back, including the server-computed members.
    public static func decode(_ json: JSONValue) -> RegisteredTaskDefinition? {
        var json = json
        if let inner = json["taskDefinition"], inner.objectValue != nil { json = inner }
        guard let arn = json["taskDefinitionArn"]?.stringValue, let revision = json["revision"]?.intValue,
            let input = TaskDefinitionDocument.read(json).input
        else { return nil }
        var r = RegisteredTaskDefinition(definition: input, taskDefinitionArn: arn, revision: revision,
                                         registeredAt: json["registeredAt"]?.doubleValue ?? 0)
        if let s = json["status"]?.stringValue, let status = TaskDefinitionStatus(rawValue: s) { r.status = status }
        if let c = json["compatibilities"]?.arrayValue { r.compatibilities = c.compactMap { $0.stringValue.flatMap(Compatibility.init) } }
        r.requiresAttributes = json["requiresAttributes"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        r.registeredBy = json["registeredBy"]?.stringValue
        r.deregisteredAt = json["deregisteredAt"]?.doubleValue
        r.deleteRequestedAt = json["deleteRequestedAt"]?.doubleValue
        return r
    }

    /// All members given; `definition` is normalised.
    public init(definition: TaskDefinitionInput, taskDefinitionArn: String, revision: Int, registeredAt: Double) {
        self.definition = definition.normalized()
        self.taskDefinitionArn = taskDefinitionArn
        self.revision = revision
        self.status = .active
        self.registeredAt = registeredAt
        self.requiresAttributes = []
        self.compatibilities = RegisteredTaskDefinition.compatibilities(of: self.definition)
    }

    /// `family:revision`.
    public var familyRevision: String { "\(definition.family ?? ""):\(revision)" }
}

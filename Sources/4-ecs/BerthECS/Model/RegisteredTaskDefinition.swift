import BerthJSON

/// A registered revision as DescribeTaskDefinition/RegisterTaskDefinition return it (§1.2).
public struct RegisteredTaskDefinition: Sendable, Equatable {
    /// The normalised request (`TaskDefinitionInput.normalized()`).
    public var definition: TaskDefinitionInput
    public var taskDefinitionArn: String
    public var revision: Int
    public var status: TaskDefinitionStatus
    public var compatibilities: [Compatibility]
    public var requiresAttributes: [String]
    /// Epoch seconds.
    public var registeredAt: Double
    public var registeredBy: String?
    public var deregisteredAt: Double?
    public var deleteRequestedAt: Double?

    public init(
        definition: TaskDefinitionInput, region: String, account: String, revision: Int, registeredAt: Double,
        registeredBy: String? = nil, status: TaskDefinitionStatus = .active
    ) {
        self.definition = definition.normalized()
        let family = definition.family ?? ""
        taskDefinitionArn = "arn:aws:ecs:\(region):\(account):task-definition/\(family):\(revision)"
        self.revision = revision
        self.status = status
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
        requiresAttributes = []
        compatibilities = RegisteredTaskDefinition.compatibilities(of: self.definition)
    }

    /// EC2 and EXTERNAL always; FARGATE when the definition also meets Fargate's rules
    /// (awsvpc and a valid Fargate size), as ECS computes it [OBS].
    public static func compatibilities(of d: TaskDefinitionInput) -> [Compatibility] {
        var out: [Compatibility] = [.ec2, .external]
        if d.networkMode == .awsvpc, let cpu = d.cpu.flatMap(Int.init), let memory = d.memory.flatMap(Int.init),
            FargateSizes.isValid(cpu: cpu, memory: memory), !d.containers.contains(where: { $0.privileged == true })
        {
            out.append(.fargate)
        }
        return out
    }

    /// The `taskDefinition` object of a response: request members (in model order) plus the
    /// server-computed ones. Timestamps are epoch seconds.
    public var jsonValue: JSONValue {
        var object = definition.jsonObject
        object["tags"] = nil   // returned beside taskDefinition, not inside it
        var extra = ObjectWriter()
        extra.set("taskDefinitionArn", taskDefinitionArn)
        extra.set("revision", revision)
        extra.set("status", status)
        extra.set("requiresAttributes", requiresAttributes.map { JSONValue.object(JSONObject([("name", .string($0))])) })
        extra.set("compatibilities", compatibilities)
        extra.set("registeredAt", registeredAt)
        extra.set("registeredBy", registeredBy)
        extra.set("deregisteredAt", deregisteredAt)
        extra.set("deleteRequestedAt", deleteRequestedAt)
        var result = JSONObject()
        result["taskDefinitionArn"] = .string(taskDefinitionArn)
        for m in object.members { result[m.key] = m.value }
        for m in extra.object.members where m.key != "taskDefinitionArn" { result[m.key] = m.value }
        return .object(result)
    }

    /// `{"taskDefinition": {...}, "tags": [...]}` (tags only when asked for, as with include: ["TAGS"]).
    public func responseBody(includeTags: Bool) -> JSONValue {
        var body = JSONObject([("taskDefinition", jsonValue)])
        if includeTags { body["tags"] = (definition.tags ?? []).jsonValue }
        return .object(body)
    }
}

import BerthJSON

/// RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
/// ListTaskDefinitionFamilies, DeregisterTaskDefinition, DeleteTaskDefinitions.
extension ECSBackend {
    /// Find a task definition by family (latest ACTIVE), family:revision or ARN.
    func lookupTaskDefinition(_ ref: String) throws(APIError) -> TaskDefRecord {
        guard let (family, revision) = arns.taskDefinitionRef(ref) else { throw .client("Unable to describe task definition.") }
        if let revision {
            guard let td = taskDefs["\(family):\(revision)"] else { throw .client("Unable to describe task definition.") }
            return td
        }
        let active = taskDefs.values.filter { $0.family == family && $0.status == "ACTIVE" }
        guard let latest = active.max(by: { $0.revision < $1.revision }) else { throw .client("Unable to describe task definition.") }
        return latest
    }

    func registerTaskDefinition(_ p: Params) throws(APIError) -> JSONValue {
        let size = p.json.serializedBytes().count
        guard size <= 64 * 1024 else {
            throw .client("Task definition size \(size) bytes exceeds the limit of 65536 bytes.")
        }
        let validated = try validator.validate(p.json)
        var td = validated.definition
        let tags = try p.tags() ?? []
        let family = td["family"]?.stringValue ?? ""
        let revision = (lastRevision[family] ?? 0) + 1
        guard revision <= 1_000_000 else { throw APIError("LimitExceededException", "Too many revisions of family \(family).") }
        let arn = arns.taskDefinition(family, revision)
        // Server-computed members, in the order real responses show them.
        var members: [(String, JSONValue)] = [("taskDefinitionArn", .string(arn))]
        members += td.objectValue?.map { ($0.key, $0.value) } ?? []
        td = .object(JSONObject(members))
        td["revision"] = .int(revision)
        td["status"] = "ACTIVE"
        td["requiresAttributes"] = .array(requiredAttributes(td))
        td["compatibilities"] = .array(validated.compatibilities.map(JSONValue.string))
        td["registeredAt"] = .timestamp(clock())
        td["registeredBy"] = .string("arn:aws:iam::\(config.accountId):root")
        let record = TaskDefRecord(taskDefinition: td, tags: tags)
        lastRevision[family] = revision
        persistFamily(family)
        taskDefs[record.key] = record
        persist(taskDef: record)
        return .obj([("taskDefinition", td), ("tags", tags.isEmpty ? nil : tagsJSON(tags))])
    }

    func requiredAttributes(_ td: JSONValue) -> [JSONValue] {
        var names = ["com.amazonaws.ecs.capability.docker-remote-api.1.18"]
        if td["networkMode"]?.stringValue == "awsvpc" { names.append("ecs.capability.task-eni") }
        if td["executionRoleArn"] != nil { names.append("ecs.capability.execution-role-ecr-pull") }
        if td["taskRoleArn"] != nil { names.append("com.amazonaws.ecs.capability.task-iam-role") }
        let containers = td["containerDefinitions"]?.arrayValue ?? []
        if containers.contains(where: { $0["healthCheck"] != nil }) { names.append("ecs.capability.container-health-check") }
        if containers.contains(where: { $0["dependsOn"] != nil }) { names.append("ecs.capability.container-ordering") }
        return names.map { ["name": .string($0)] }
    }

    func describeTaskDefinition(_ p: Params) throws(APIError) -> JSONValue {
        let ref = try p.requiredString("taskDefinition")
        let include = try p.stringList("include") ?? []
        let td = try lookupTaskDefinition(ref)
        return .obj([("taskDefinition", td.taskDefinition), ("tags", include.contains("TAGS") ? tagsJSON(td.tags) : nil)])
    }

    func listTaskDefinitions(_ p: Params) throws(APIError) -> JSONValue {
        let family = try p.string("familyPrefix")
        let status = try p.string("status") ?? "ACTIVE"
        guard ["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"].contains(status) else { throw .invalidParameter("Invalid status '\(status)'.") }
        let sort = try p.string("sort") ?? "ASC"
        guard sort == "ASC" || sort == "DESC" else { throw .invalidParameter("sort must be ASC or DESC.") }
        var items = taskDefs.values.filter { $0.status == status && (family == nil || $0.family == family) }
        items.sort { $0.family == $1.family ? $0.revision < $1.revision : $0.family < $1.family }
        if sort == "DESC" { items.reverse() }
        let (page, next) = try Pagination.page(items.map(\.arn), params: p, list: "taskdefs:\(family ?? ""):\(status):\(sort)")
        return .obj([("taskDefinitionArns", .array(page.map(JSONValue.string))), ("nextToken", next.map(JSONValue.string))])
    }

    func listTaskDefinitionFamilies(_ p: Params) throws(APIError) -> JSONValue {
        let prefix = try p.string("familyPrefix") ?? ""
        let status = try p.string("status") ?? "ALL"
        guard ["ACTIVE", "INACTIVE", "ALL"].contains(status) else { throw .invalidParameter("Invalid status '\(status)'.") }
        var families = Set<String>()
        var byFamily: [String: [String]] = [:]
        for td in taskDefs.values { byFamily[td.family, default: []].append(td.status) }
        for (family, _) in lastRevision where family.hasPrefix(prefix) {
            let statuses = byFamily[family] ?? []
            let hasActive = statuses.contains("ACTIVE")
            switch status {
            case "ACTIVE": if hasActive { families.insert(family) }
            case "INACTIVE": if !hasActive { families.insert(family) }
            default: families.insert(family)
            }
        }
        let (page, next) = try Pagination.page(families.sorted(), params: p, list: "families:\(prefix):\(status)")
        return .obj([("families", .array(page.map(JSONValue.string))), ("nextToken", next.map(JSONValue.string))])
    }

    func deregisterTaskDefinition(_ p: Params) throws(APIError) -> JSONValue {
        let ref = try p.requiredString("taskDefinition")
        guard let (family, revision) = arns.taskDefinitionRef(ref) else { throw .client("Invalid revision number. Number: \(ref)") }
        guard let revision else { throw .client("Revision is missing.") }
        guard var td = taskDefs["\(family):\(revision)"] else { throw .client("The specified task definition does not exist.") }
        if td.status == "ACTIVE" {
            td.taskDefinition["status"] = "INACTIVE"
            td.taskDefinition["deregisteredAt"] = .timestamp(clock())
            taskDefs[td.key] = td
            persist(taskDef: td)
        }
        return ["taskDefinition": td.taskDefinition]
    }

    func deleteTaskDefinitions(_ p: Params) throws(APIError) -> JSONValue {
        guard let refs = try p.stringList("taskDefinitions"), !refs.isEmpty else { throw .invalidParameter("taskDefinitions is required.") }
        guard refs.count <= 10 else { throw .invalidParameter("At most 10 task definitions can be deleted at once.") }
        var deleted: [JSONValue] = []
        var failures: [JSONValue] = []
        for ref in refs {
            guard let (family, revision) = arns.taskDefinitionRef(ref), let revision else {
                failures.append(["arn": .string(ref), "reason": "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."])
                continue
            }
            guard var td = taskDefs["\(family):\(revision)"] else {
                failures.append(["arn": .string(arns.taskDefinition(family, revision)), "reason": "TASK_DEFINITION_NOT_FOUND"])
                continue
            }
            guard td.status != "ACTIVE" else {
                failures.append(["arn": .string(td.arn), "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again."])
                continue
            }
            if td.status == "INACTIVE" {
                td.taskDefinition["status"] = "DELETE_IN_PROGRESS"
                td.taskDefinition["deleteRequestedAt"] = .timestamp(clock())
                taskDefs[td.key] = td
                persist(taskDef: td)
            }
            deleted.append(td.taskDefinition)
        }
        return ["taskDefinitions": .array(deleted), "failures": .array(failures)]
    }

    /// DELETE_IN_PROGRESS revisions go away once no unstopped task uses them (the family's
    /// revision counter stays, so revisions are never reused).
    func pruneDeletedTaskDefinitions() {
        for td in taskDefs.values where td.status == "DELETE_IN_PROGRESS" {
            let inUse = tasks.values.contains { $0.plan.taskDefinitionArn == td.arn && $0.lastStatus != .stopped }
            if !inUse {
                taskDefs[td.key] = nil
                unsave("taskdefs", td.key)
            }
        }
    }
}

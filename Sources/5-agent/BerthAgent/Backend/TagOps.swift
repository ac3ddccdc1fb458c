import BerthJSON

/// TagResource, UntagResource, ListTagsForResource for clusters, task definitions and tasks.
extension ECSBackend {
    enum Taggable {
        case cluster(String)
        case taskDefinition(String)
        case task(String)
    }

    func resolveTaggable(_ p: Params) throws(APIError) -> Taggable {
        let arn = try p.requiredString("resourceArn")
        guard let r = arns.resource(of: arn) else { throw .invalidParameter("Invalid resourceArn \(arn.debugDescription).") }
        switch r.type {
        case "cluster":
            guard r.path.count == 1, let c = clusters[r.path[0]], c.status == "ACTIVE" else { throw .clusterNotFound }
            return .cluster(c.name)
        case "task-definition":
            guard let (family, rev) = arns.taskDefinitionRef(arn), let rev, taskDefs["\(family):\(rev)"] != nil else {
                throw .resourceNotFound("The specified task definition does not exist.")
            }
            return .taskDefinition("\(family):\(rev)")
        case "task":
            guard r.path.count == 2 else { throw .invalidParameter("Invalid task ARN \(arn.debugDescription).") }
            guard clusters[r.path[0]] != nil else { throw .clusterNotFound }
            guard let t = tasks[r.path[1]], t.cluster == r.path[0] else { throw .resourceNotFound("The specified task is stopped or does not exist.") }
            return .task(t.id)
        default:
            throw .invalidParameter("Tagging resources of type \(r.type) is not supported.")
        }
    }

    func tags(of target: Taggable) -> [(String, String)] {
        switch target {
        case .cluster(let n): return clusters[n]?.tags ?? []
        case .taskDefinition(let k): return taskDefs[k]?.tags ?? []
        case .task(let id): return tasks[id]?.tags ?? []
        }
    }

    func setTags(_ tags: [(String, String)], on target: Taggable) {
        switch target {
        case .cluster(let n): clusters[n]?.tags = tags; if let c = clusters[n] { persist(cluster: c) }
        case .taskDefinition(let k): taskDefs[k]?.tags = tags; if let t = taskDefs[k] { persist(taskDef: t) }
        case .task(let id): tasks[id]?.tags = tags; if let t = tasks[id] { persist(task: t) }
        }
    }

    func tagResource(_ p: Params) throws(APIError) -> JSONValue {
        let target = try resolveTaggable(p)
        guard let new = try p.tags(), !new.isEmpty else { throw .invalidParameter("tags is required.") }
        var current = tags(of: target)
        for (k, v) in new {
            if k.lowercased().hasPrefix("aws:") { throw .invalidParameter("Tag keys with the prefix 'aws:' are reserved.") }
            if let i = current.firstIndex(where: { $0.0 == k }) { current[i].1 = v } else { current.append((k, v)) }
        }
        guard current.count <= 50 else { throw APIError("LimitExceededException", "A resource can have at most 50 tags.") }
        setTags(current, on: target)
        return [:]
    }

    func untagResource(_ p: Params) throws(APIError) -> JSONValue {
        let target = try resolveTaggable(p)
        guard let keys = try p.stringList("tagKeys") else { throw .invalidParameter("tagKeys is required.") }
        setTags(tags(of: target).filter { !keys.contains($0.0) }, on: target)
        return [:]
    }

    func listTagsForResource(_ p: Params) throws(APIError) -> JSONValue {
        let target = try resolveTaggable(p)
        return ["tags": tagsJSON(tags(of: target))]
    }
}

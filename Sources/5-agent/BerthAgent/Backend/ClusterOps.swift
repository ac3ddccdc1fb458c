import BerthJSON

/// CreateCluster, DescribeClusters, ListClusters, DeleteCluster.
extension ECSBackend {
    func clusterJSON(_ c: ClusterRecord, include: [String]) -> JSONValue {
        let live = tasks.values.filter { $0.cluster == c.name }
        let running = live.filter { $0.lastStatus == .running }.count
        let pending = live.filter { $0.lastStatus.isPending }.count
        var j = JSONValue.obj([
            ("clusterArn", .string(arns.cluster(c.name))), ("clusterName", .string(c.name)), ("status", .string(c.status)),
            ("registeredContainerInstancesCount", 0), ("runningTasksCount", .int(running)), ("pendingTasksCount", .int(pending)),
            ("activeServicesCount", .int(activeServiceCount(c.name))), ("statistics", []), ("tags", []), ("settings", c.settings ?? [["name": "containerInsights", "value": "disabled"]]),
            ("capacityProviders", []), ("defaultCapacityProviderStrategy", []),
            ("serviceConnectDefaults", c.serviceConnectNamespace.map { ["namespace": .string($0)] }),
        ])
        if include.contains("TAGS") { j["tags"] = tagsJSON(c.tags) } else { j["tags"] = nil }
        if !include.contains("SETTINGS") { j["settings"] = nil }
        if !include.contains("STATISTICS") { j["statistics"] = nil }
        return j
    }

    func createCluster(_ p: Params) throws(APIError) -> JSONValue {
        let name = try p.string("clusterName") ?? "default"
        guard isValidName(name) else {
            throw .invalidParameter("Cluster name must be 1-255 characters: letters, digits, hyphens and underscores.")
        }
        let tags = try p.tags() ?? []
        let settings = try p.list("settings").map(JSONValue.array)
        let connectNamespace = try serviceConnectDefaults(p)
        if var existing = clusters[name] {
            if existing.status == "ACTIVE" { return ["cluster": clusterJSON(existing, include: ["TAGS", "SETTINGS"])] }
            existing.status = "ACTIVE"
            existing.tags = tags
            existing.createdAt = clock()
            existing.serviceConnectNamespace = connectNamespace
            clusters[name] = existing
            persist(cluster: existing)
            return ["cluster": clusterJSON(existing, include: ["TAGS", "SETTINGS"])]
        }
        guard clusters.count < 10_000 else { throw APIError("LimitExceededException", "The maximum number of clusters (10000) has been reached.") }
        var c = ClusterRecord(name: name, tags: tags, settings: settings, createdAt: clock())
        c.serviceConnectNamespace = connectNamespace
        clusters[name] = c
        persist(cluster: c)
        return ["cluster": clusterJSON(c, include: ["TAGS", "SETTINGS"])]
    }

    /// UpdateCluster: `settings` replaced, `serviceConnectDefaults` set (an empty namespace
    /// removes it, as in ECS); `configuration` (ECS Exec logging, managed storage) is refused.
    func updateCluster(_ p: Params) throws(APIError) -> JSONValue {
        var c = try requireCluster(p)
        if try p.object("configuration") != nil {
            throw APIError("UnsupportedFeatureException", "configuration (ECS Exec logging, managed storage encryption) is not supported by Berth.")
        }
        if let settings = try p.list("settings") { c.settings = .array(settings) }
        if try p.object("serviceConnectDefaults")?.string("namespace") == "" {
            c.serviceConnectNamespace = nil
        } else if let ns = try serviceConnectDefaults(p) {
            c.serviceConnectNamespace = ns
        }
        clusters[c.name] = c
        persist(cluster: c)
        return ["cluster": clusterJSON(c, include: ["SETTINGS"])]
    }

    /// `serviceConnectDefaults.namespace`: a namespace ARN, or a name whose HTTP namespace is
    /// created if absent (as ECS does). Returns the namespace ARN.
    func serviceConnectDefaults(_ p: Params) throws(APIError) -> String? {
        guard let d = try p.object("serviceConnectDefaults") else { return nil }
        let ref = try d.requiredString("namespace")
        guard let cloudMap else { throw APIError("UnsupportedFeatureException", "serviceConnectDefaults: this agent has no Cloud Map.") }
        if let ns = cloudMap.namespace(ref) { return ns.arn }
        guard !ref.hasPrefix("arn:") else { throw .invalidParameter("serviceConnectDefaults.namespace: the namespace \(ref) does not exist in Cloud Map.") }
        do { return try cloudMap.ensureHttpNamespace(ref).arn } catch {
            throw .invalidParameter("serviceConnectDefaults.namespace: \(error.message)")
        }
    }

    func describeClusters(_ p: Params) throws(APIError) -> JSONValue {
        let names = try p.stringList("clusters") ?? ["default"]
        guard names.count <= 100 else { throw .invalidParameter("At most 100 clusters can be described at once.") }
        let include = try p.stringList("include") ?? []
        for i in include where !["ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"].contains(i) {
            throw .invalidParameter("Invalid include value '\(i)'.")
        }
        var found: [JSONValue] = []
        var failures: [JSONValue] = []
        for raw in names {
            if let name = arns.clusterName(raw), let c = clusters[name] {
                found.append(clusterJSON(c, include: include))
            } else {
                failures.append(["arn": .string(raw.hasPrefix("arn:") ? raw : arns.cluster(raw)), "reason": "MISSING"])
            }
        }
        return ["clusters": .array(found), "failures": .array(failures)]
    }

    func listClusters(_ p: Params) throws(APIError) -> JSONValue {
        let all = clusters.values.filter { $0.status == "ACTIVE" }.map { arns.cluster($0.name) }.sorted()
        let (page, next) = try Pagination.page(all, params: p, list: "clusters")
        return .obj([("clusterArns", .array(page.map(JSONValue.string))), ("nextToken", next.map(JSONValue.string))])
    }

    func deleteCluster(_ p: Params) throws(APIError) -> JSONValue {
        let raw = try p.requiredString("cluster")
        guard let name = arns.clusterName(raw), var c = clusters[name], c.status == "ACTIVE" else { throw .clusterNotFound }
        if name == "default" {
            throw .invalidParameter("The default cluster cannot be deleted: Berth always keeps it.")
        }
        if tasks.values.contains(where: { $0.cluster == name && $0.lastStatus != .stopped }) {
            throw APIError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        }
        if let guardHook = clusterDeletionGuard, let reason = guardHook(name) {
            throw APIError("ClusterContainsServicesException", reason)
        }
        c.status = "INACTIVE"
        clusters[name] = c
        persist(cluster: c)
        return ["cluster": clusterJSON(c, include: [])]
    }
}

import BerthJSON
import BerthECS

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
            ("capacityProviders", .array(c.capacityProviders.map(JSONValue.string))), ("defaultCapacityProviderStrategy", .array(c.defaultCapacityProviderStrategy)),
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
        if try p.object("configuration") != nil {
            throw APIError("UnsupportedFeatureException", "configuration (ECS Exec logging, managed storage encryption) is not supported by Berth.")
        }
        let (providers, strategy) = try capacityProviders(p)
        let connectNamespace = try serviceConnectDefaults(p)
        if var existing = clusters[name] {
            if existing.status == "ACTIVE" { return ["cluster": clusterJSON(existing, include: ["TAGS", "SETTINGS"])] }
            existing.status = "ACTIVE"
            existing.tags = tags
            existing.createdAt = clock()
            existing.serviceConnectNamespace = connectNamespace
            (existing.capacityProviders, existing.defaultCapacityProviderStrategy) = (providers, strategy)
            clusters[name] = existing
            persist(cluster: existing)
            return ["cluster": clusterJSON(existing, include: ["TAGS", "SETTINGS"])]
        }
        guard clusters.count < 10_000 else { throw APIError("LimitExceededException", "The maximum number of clusters (10000) has been reached.") }
        var c = ClusterRecord(name: name, tags: tags, settings: settings, createdAt: clock())
        c.serviceConnectNamespace = connectNamespace
        (c.capacityProviders, c.defaultCapacityProviderStrategy) = (providers, strategy)
        clusters[name] = c
        persist(cluster: c)
        return ["cluster": clusterJSON(c, include: ["TAGS", "SETTINGS"])]
    }

    /// CreateCluster's `capacityProviders` and `defaultCapacityProviderStrategy`: this host has
    /// the two Fargate providers only (no CreateCapacityProvider); a strategy names providers of
    /// the cluster, weights 0-1000, bases 0-100000, at most one base. Services created without a
    /// launch type or strategy take the cluster's default strategy, as in ECS.
    func capacityProviders(_ p: Params) throws(APIError) -> ([String], [JSONValue]) {
        let providers = try p.stringList("capacityProviders") ?? []
        for name in providers where !CapacityProviderStrategyItem.fargateProviders.contains(name) {
            throw .invalidParameter("capacityProviders: the capacity provider \(name) does not exist. Berth has FARGATE and FARGATE_SPOT only.")
        }
        let strategy = try p.list("defaultCapacityProviderStrategy") ?? []
        var bases = 0
        for (i, item) in strategy.enumerated() {
            guard let name = item["capacityProvider"]?.stringValue else {
                throw .invalidParameter("defaultCapacityProviderStrategy[\(i)].capacityProvider is required.")
            }
            guard providers.contains(name) else {
                throw .invalidParameter("defaultCapacityProviderStrategy[\(i)]: the capacity provider \(name) is not associated with the cluster (capacityProviders).")
            }
            if let w = item["weight"], !(w.intValue.map { (0...1000).contains($0) } ?? false) {
                throw .invalidParameter("defaultCapacityProviderStrategy[\(i)].weight must be between 0 and 1000.")
            }
            if let b = item["base"] {
                guard let base = b.intValue, (0...100_000).contains(base) else { throw .invalidParameter("defaultCapacityProviderStrategy[\(i)].base must be between 0 and 100000.") }
                if base > 0 { bases += 1 }
            }
        }
        if bases > 1 { throw .invalidParameter("defaultCapacityProviderStrategy: only one capacity provider in a strategy can have a base defined.") }
        return (providers, strategy)
    }

    /// The cluster's default strategy as service strategy items.
    func defaultStrategyItems(_ c: ClusterRecord) -> [CapacityProviderStrategyItem]? {
        guard !c.defaultCapacityProviderStrategy.isEmpty else { return nil }
        return c.defaultCapacityProviderStrategy.map { j in
            var item = CapacityProviderStrategyItem()
            item.capacityProvider = j["capacityProvider"]?.stringValue
            item.weight = j["weight"]?.intValue
            item.base = j["base"]?.intValue
            return item
        }
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

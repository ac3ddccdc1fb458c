import BerthController
import BerthECS
import BerthJSON

/// Services in Cloud Map (Docs/services.md "Service discovery"): checking `serviceRegistries`
/// and `serviceConnectConfiguration` against Cloud Map and the task definition, registering
/// each RUNNING task as an instance (deregistered before it stops) with its health, and
/// publishing the DiscoverySnapshot the in-task resolver and alias listeners serve.
extension ECSBackend {
    static func containers(_ td: JSONValue) -> [JSONValue] { td["containerDefinitions"]?.arrayValue ?? [] }

    /// ECS's checks of `serviceRegistries[]` that need Cloud Map and the task definition.
    func checkServiceRegistries(_ items: [ServiceRegistry], taskDefinition td: TaskDefRecord) throws(APIError) {
        guard !items.isEmpty else { return }
        guard let cloudMap else { throw APIError("UnsupportedFeatureException", "serviceRegistries: this agent has no Cloud Map.") }
        let mode = td.taskDefinition["networkMode"]?.stringValue ?? "bridge"
        for sr in items {
            let arn = sr.registryArn ?? ""
            guard let s = cloudMap.service(arn) else {
                throw .invalidParameter("The service registry \(arn) does not exist: create it with servicediscovery create-service.")
            }
            let srv = s.dnsRecords.contains { $0.type == "SRV" }
            if let name = sr.containerName, let port = sr.containerPort {
                guard let c = Self.containers(td.taskDefinition).first(where: { $0["name"]?.stringValue == name }) else {
                    throw .invalidParameter("The container \(name) does not exist in the task definition.")
                }
                let ports = (c["portMappings"]?.arrayValue ?? []).compactMap { $0["containerPort"]?.intValue }
                guard ports.contains(port) else { throw .invalidParameter("The container \(name) did not have a container port \(port) defined.") }
            } else if mode != "awsvpc" {
                throw .invalidParameter("serviceRegistries: a task in \(mode) network mode has no address of its own, so specify containerName and containerPort (with SRV records).")
            } else if srv && sr.port == nil {
                throw .invalidParameter("serviceRegistries: the service registry \(arn) has SRV records, so specify port or containerName and containerPort.")
            }
            if mode != "awsvpc" && s.dnsRecords.contains(where: { $0.type == "A" }) {
                throw .invalidParameter("serviceRegistries: the service registry \(arn) has A records, which need the awsvpc network mode; a task in \(mode) mode is registered with SRV records.")
            }
        }
    }

    /// The Service Connect configuration as checked, with its namespace (the request's, else
    /// the cluster's default). nil when not given or not enabled.
    /// `keptNamespace`: the namespace id a service already uses, for a configuration given
    /// without one (UpdateService that does not change it).
    func checkServiceConnect(_ json: JSONValue?, cluster: ClusterRecord, taskDefinition td: TaskDefRecord,
                             keptNamespace: String? = nil) throws(APIError) -> (ServiceConnectSpec, CMNamespace)? {
        guard let json, !json.isNull else { return nil }
        let spec = try ServiceConnectSpec.parse(json)
        guard spec.enabled else { return nil }
        guard let cloudMap else { throw APIError("UnsupportedFeatureException", "serviceConnectConfiguration: this agent has no Cloud Map.") }
        guard let ref = spec.namespace ?? keptNamespace ?? cluster.serviceConnectNamespace else {
            throw .invalidParameter("serviceConnectConfiguration.namespace: specify a namespace, or set serviceConnectDefaults on the cluster \(cluster.name).")
        }
        guard let ns = cloudMap.namespace(ref) else { throw .invalidParameter("The namespace \(ref) does not exist in Cloud Map.") }
        let mode = td.taskDefinition["networkMode"]?.stringValue ?? "bridge"
        guard mode == "awsvpc" || mode == "bridge" else {
            throw .invalidParameter("Service Connect needs the awsvpc or bridge network mode; the task definition uses \(mode).")
        }
        for entry in spec.services where Self.portMapping(entry.portName, in: td.taskDefinition) == nil {
            throw .invalidParameter("serviceConnectConfiguration.services: portName \(entry.portName) does not match the name of any portMappings entry in the task definition \(td.arn).")
        }
        return (spec, ns)
    }

    /// The container and port a portMappings `name` denotes (pure).
    static func portMapping(_ name: String, in td: JSONValue) -> (container: String, port: Int)? {
        for c in containers(td) {
            for m in c["portMappings"]?.arrayValue ?? [] where m["name"]?.stringValue == name {
                if let cname = c["name"]?.stringValue, let port = m["containerPort"]?.intValue { return (cname, port) }
            }
        }
        return nil
    }

    /// Create the Cloud Map service of each `discoveryName` (as ECS does).
    func ensureServiceConnectServices(_ spec: ServiceConnectSpec, _ ns: CMNamespace) throws(APIError) {
        for entry in spec.services { _ = try cloudMap?.ensureService(entry.discoveryName, namespaceId: ns.id) }
    }

    /// Where a task is reachable for one registration: (IPv4, port or nil), nil while unknown.
    func discoveryAddress(_ t: TaskRecord, containerName: String?, containerPort: Int?, port: Int?) -> (String, Int?)? {
        let mode = t.plan.taskDefinition["networkMode"]?.stringValue ?? "bridge"
        func ip(_ c: ECSContainer) -> String? { c.networkInterfaces?.arrayValue?.first?["privateIpv4Address"]?.stringValue }
        if let name = containerName, let cport = containerPort {
            guard let c = t.task.containers.first(where: { $0.name == name }) else { return nil }
            let bindings = (c.networkBindings ?? []).map { (bindIP: $0.bindIP, containerPort: $0.containerPort, hostPort: $0.hostPort) }
            return targetAddress(networkMode: mode, containerIP: ip(c), bindings: bindings, containerPort: cport).map { ($0.host, $0.port) }
        }
        guard let address = t.task.containers.lazy.compactMap(ip).first else { return nil }
        return (address, port)
    }

    /// HEALTHY when no container has a health check or the task is HEALTHY.
    static func instanceHealth(_ t: TaskRecord) -> String {
        let checked = containers(t.plan.taskDefinition).contains { $0["healthCheck"].map { !$0.isNull } ?? false }
        return !checked || t.task.healthStatus == .healthy ? "HEALTHY" : "UNHEALTHY"
    }

    /// The attributes ECS writes on the instance of a task.
    func instanceAttributes(_ t: TaskRecord, _ r: ServiceRecord, ip: String, port: Int?, health: String) -> [String: String] {
        var a = [
            "AWS_INSTANCE_IPV4": ip, "AWS_INIT_HEALTH_STATUS": health, "ECS_CLUSTER_NAME": r.cluster, "ECS_SERVICE_NAME": r.name,
            "ECS_TASK_DEFINITION_FAMILY": t.plan.taskDefinition["family"]?.stringValue ?? "", "REGION": config.region,
            "AVAILABILITY_ZONE": t.task.availabilityZone ?? config.region + "a",
        ]
        if let port { a["AWS_INSTANCE_PORT"] = String(port) }
        return a
    }

    /// The instances a service should have, by Cloud Map service id: one per live RUNNING
    /// task and registration (a task being stopped has none).
    func desiredInstances(_ r: ServiceRecord, _ cm: CMResources) -> [String: [CMInstance]] {
        let group = "service:\(r.name)"
        let live = tasks.values.filter {
            $0.cluster == r.cluster && $0.task.group == group && $0.lastStatus == .running && $0.desiredStatus == .running && !$0.stopSent
        }.sorted { $0.id < $1.id }
        var out: [String: [CMInstance]] = [:]
        func add(_ serviceId: String, _ t: TaskRecord, _ address: (String, Int?)?) {
            guard let (ip, port) = address else { return }
            let health = Self.instanceHealth(t)
            out[serviceId, default: []].append(CMInstance(serviceId: serviceId, id: t.id,
                                                          attributes: instanceAttributes(t, r, ip: ip, port: port, health: health), health: health))
        }
        if r.state.status != .inactive {
            for sr in r.serviceRegistries {
                guard let s = cm.service(sr.registryArn ?? "") else { continue }
                out[s.id] = out[s.id] ?? []
                for t in live { add(s.id, t, discoveryAddress(t, containerName: sr.containerName, containerPort: sr.containerPort, port: sr.port)) }
            }
            if let (spec, nsId) = r.serviceConnectSpec {
                for entry in spec.services {
                    guard let s = cm.services.first(where: { $0.namespaceId == nsId && $0.name == entry.discoveryName }) else { continue }
                    out[s.id] = out[s.id] ?? []
                    for t in live {
                        guard let (c, p) = Self.portMapping(entry.portName, in: t.plan.taskDefinition) else { continue }
                        add(s.id, t, discoveryAddress(t, containerName: c, containerPort: p, port: nil))
                    }
                }
            }
        }
        return out
    }

    /// Register and deregister every service's instances, then publish the snapshot if it
    /// changed (the publication runs after the lock is released). Called under the lock.
    func syncDiscovery() {
        guard let cloudMap else { return }
        let owners = Set(cloudMap.snapshotResources().instances.compactMap(\.owner))
        for r in services.values.sorted(by: { $0.key < $1.key }) {
            let owner = "\(r.cluster)/\(r.name)"
            guard !r.serviceRegistries.isEmpty || r.serviceConnect != nil || owners.contains(owner) else { continue }
            let before = cloudMap.snapshotResources()
            if cloudMap.syncOwned(owner, desiredInstances(r, before)) {
                let after = cloudMap.snapshotResources()
                let added = after.instances.filter { $0.owner == owner }.count - before.instances.filter { $0.owner == owner }.count
                if added != 0 { log("service \(r.cluster)/\(r.name): \(added > 0 ? "registered" : "deregistered") \(abs(added)) Cloud Map instance(s)") }
            }
        }
        let snapshot = discoverySnapshot(cloudMap.snapshotResources())
        guard snapshot != lastDiscoverySnapshot else { return }
        lastDiscoverySnapshot = snapshot
        let plane = discoveryDataPlane
        deferred.append { plane.publish(snapshot) }
    }

    /// Pure given the backend's tasks and services: every DNS record set, Service Connect
    /// alias (healthy endpoints only) and running task.
    func discoverySnapshot(_ cm: CMResources) -> DiscoverySnapshot {
        var aliases: [DiscoveryAlias] = []
        var namespaceOf: [String: String] = [:]  // "<cluster>/service:<name>" -> namespace name
        for r in services.values.sorted(by: { $0.key < $1.key }) where r.state.status != .inactive {
            guard let (spec, nsId) = r.serviceConnectSpec, let ns = cm.namespace(nsId) else { continue }
            namespaceOf["\(r.cluster)/service:\(r.name)"] = ns.name
            for entry in spec.services {
                guard let s = cm.services.first(where: { $0.namespaceId == nsId && $0.name == entry.discoveryName }) else { continue }
                let endpoints = cm.instances(of: s.id).filter { $0.health == "HEALTHY" }.sorted { $0.id < $1.id }
                    .compactMap { i in i.ipv4.map { DiscoveryEndpoint(ipv4: $0, port: i.port) } }
                for a in entry.clientAliases {
                    aliases.append(DiscoveryAlias(namespace: ns.name, dnsName: ServiceConnectSpec.aliasName(a, entry: entry, namespaceName: ns.name).lowercased(),
                                                  port: a.port, endpoints: endpoints))
                }
            }
        }
        let clients = tasks.values.filter { $0.lastStatus == .running }.sorted { $0.arn < $1.arn }.map { t in
            DiscoveryClient(taskArn: t.arn, serviceConnectNamespace: t.task.group.flatMap { namespaceOf["\(t.cluster)/\($0)"] })
        }
        return DiscoverySnapshot(records: cm.recordSets(), aliases: aliases, clients: clients)
    }

    /// `serviceConnectResources` of a deployment: the Cloud Map service of each discoveryName.
    func serviceConnectResources(_ r: ServiceRecord) -> JSONValue? {
        guard let (spec, nsId) = r.serviceConnectSpec, let cloudMap else { return nil }
        let cm = cloudMap.snapshotResources()
        return .array(spec.services.compactMap { e in
            cm.services.first { $0.namespaceId == nsId && $0.name == e.discoveryName }.map {
                ["discoveryName": .string(e.discoveryName), "discoveryArn": .string($0.arn)]
            }
        })
    }
}

extension ECSBackend {
    /// `Berth.DescribeServiceDiscovery {cluster, service}`: for `berth service describe`, each
    /// Cloud Map service the ECS service registers in, its names and its instances' health.
    func describeServiceDiscovery(_ p: Params) throws(APIError) -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let cluster = try requireCluster(p)
        let r = try requireService(p, key: "service", cluster: cluster.name)
        guard let cloudMap else { return ["discovery": []] }
        let cm = cloudMap.snapshotResources()
        func entry(_ s: CMService, kind: String, aliases: [String]) -> JSONValue {
            let ns = cm.namespace(s.namespaceId)
            return .obj([
                ("kind", .string(kind)), ("name", .string(s.name + "." + (ns?.name ?? s.namespaceId))),
                ("namespaceType", ns.map { .string($0.type) }), ("serviceArn", .string(s.arn)),
                ("records", .array(s.dnsRecords.map { .string($0.type) })), ("aliases", .array(aliases.map(JSONValue.string))),
                ("instances", .array(cm.instances(of: s.id).sorted { $0.id < $1.id }.map { i in
                    .obj([("id", .string(i.id)), ("ipv4", i.ipv4.map(JSONValue.string)), ("port", i.port.map(JSONValue.int)),
                          ("health", .string(i.health))])
                })),
            ])
        }
        var out: [JSONValue] = []
        for sr in r.serviceRegistries { if let s = cm.service(sr.registryArn ?? "") { out.append(entry(s, kind: "serviceRegistry", aliases: [])) } }
        if let (spec, nsId) = r.serviceConnectSpec, let ns = cm.namespace(nsId) {
            for e in spec.services {
                guard let s = cm.services.first(where: { $0.namespaceId == nsId && $0.name == e.discoveryName }) else { continue }
                let aliases = e.clientAliases.map { "\(ServiceConnectSpec.aliasName($0, entry: e, namespaceName: ns.name)):\($0.port)" }
                out.append(entry(s, kind: "serviceConnect", aliases: aliases))
            }
        }
        return ["discovery": .array(out)]
    }
}

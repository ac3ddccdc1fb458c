import BerthController
import BerthECS
import BerthJSON

/// Services behind the agent's load balancers (Docs/services.md "Load balancers"): checking
/// `loadBalancers[]` against the ELB and the task definition, target health for the
/// controller, and carrying out `planRegistrations` (register when RUNNING, deregister and
/// drain before a stop, then stop).
extension ECSBackend {
    /// ECS's checks of `loadBalancers[]` that need the ELB and the task definition.
    func checkLoadBalancers(_ items: [LoadBalancer], taskDefinition td: TaskDefRecord) throws(APIError) {
        guard !items.isEmpty else { return }
        guard let elb = loadBalancing else {
            throw APIError("UnsupportedFeatureException", "loadBalancers: this agent has no Elastic Load Balancing.")
        }
        let containers = td.taskDefinition["containerDefinitions"]?.arrayValue ?? []
        for lb in items {
            let arn = lb.targetGroupArn ?? "", name = lb.containerName ?? "", port = lb.containerPort ?? 0
            guard elb.targetGroup(arn) != nil else {
                throw .invalidParameter("Unable to validate the specified targetGroupArn \(arn): target group not found.")
            }
            guard elb.isAttached(arn) else {
                throw .invalidParameter("The target group with targetGroupArn \(arn) does not have an associated load balancer.")
            }
            guard let c = containers.first(where: { $0["name"]?.stringValue == name }) else {
                throw .invalidParameter("The container \(name) does not exist in the task definition.")
            }
            let ports = (c["portMappings"]?.arrayValue ?? []).compactMap { $0["containerPort"]?.intValue }
            guard ports.contains(port) else {
                throw .invalidParameter("The container \(name) did not have a container port \(port) defined.")
            }
        }
    }

    /// Where each binding reaches this task (empty while its address is not known).
    func boundTargets(_ t: TaskRecord, _ bindings: [TargetBinding]) -> [BoundTarget] {
        let mode = t.plan.taskDefinition["networkMode"]?.stringValue ?? "bridge"
        var out: [BoundTarget] = []
        for b in bindings {
            guard let c = t.task.containers.first(where: { $0.name == b.containerName }) else { return [] }
            let ip = c.networkInterfaces?.arrayValue?.first?["privateIpv4Address"]?.stringValue
            let bindings = (c.networkBindings ?? []).map { (bindIP: $0.bindIP, containerPort: $0.containerPort, hostPort: $0.hostPort) }
            guard let a = targetAddress(networkMode: mode, containerIP: ip, bindings: bindings, containerPort: b.containerPort) else { return [] }
            out.append(BoundTarget(targetGroupArn: b.targetGroupArn, host: a.host, port: a.port))
        }
        return out
    }

    /// The load balancer's view of a task for the controller: nil without load balancers;
    /// initial until every target is registered and healthy; unhealthy if one is.
    func loadBalancerHealth(_ t: TaskRecord, _ r: ServiceRecord, reports: [String: [(ELBTarget, TargetHealthReport)]]) -> TargetGroupHealth? {
        let bindings = r.targetBindings
        guard !bindings.isEmpty else { return nil }
        let states: [TargetGroupHealth] = bindings.map { b in
            guard let target = t.registeredTargets.first(where: { $0.targetGroupArn == b.targetGroupArn }),
                  let report = reports[b.targetGroupArn]?.first(where: { $0.0 == ELBTarget(id: target.host, port: target.port) })?.1
            else { return TargetGroupHealth(state: .initial, targetGroupArn: b.targetGroupArn) }
            switch report.state {
            case .healthy: return TargetGroupHealth(state: .healthy, targetGroupArn: b.targetGroupArn)
            case .unhealthy: return TargetGroupHealth(state: .unhealthy, targetGroupArn: b.targetGroupArn)
            default: return TargetGroupHealth(state: .initial, targetGroupArn: b.targetGroupArn)
            }
        }
        return TargetGroupHealth.worst(states)
    }

    /// Target health of the groups of a service, read once per tick.
    func targetReports(_ r: ServiceRecord) -> [String: [(ELBTarget, TargetHealthReport)]] {
        guard let elb = loadBalancing else { return [:] }
        var out: [String: [(ELBTarget, TargetHealthReport)]] = [:]
        for b in r.targetBindings where out[b.targetGroupArn] == nil { out[b.targetGroupArn] = elb.targetHealth(b.targetGroupArn) }
        return out
    }

    /// Tasks of a service that registration must look at: live ones, and stopped ones that
    /// still have targets registered.
    func registrationViews(_ r: ServiceRecord) -> [RegistrationView] {
        let group = "service:\(r.name)", bindings = r.targetBindings
        return tasks.values.filter { $0.cluster == r.cluster && $0.task.group == group }
            .filter { $0.lastStatus != .stopped || !$0.registeredTargets.isEmpty }
            .filter { !$0.stopSent || $0.lastStatus == .stopped }
            .sorted { $0.id < $1.id }
            .map { t in
                RegistrationView(taskId: t.id, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus,
                                 targets: bindings.isEmpty ? [] : boundTargets(t, bindings), registered: t.registeredTargets,
                                 drainUntil: t.drainUntil)
            }
    }

    /// Carry out registrations for one service; returns the events to add and when to wake.
    func applyRegistrations(_ r: ServiceRecord, now: Double) -> (events: [String], wakeAt: Double?) {
        let elb = loadBalancing
        let (actions, wake) = planRegistrations(registrationViews(r), now: now) { arn in
            elb?.drainSeconds(arn) ?? 0
        }
        var done: [RegistrationAction] = []
        for action in actions {
            switch action {
            case .register(let id, let targets):
                guard let elb, var t = tasks[id] else { continue }
                var ok: [BoundTarget] = []
                for target in targets {
                    do {
                        try elb.register(target.targetGroupArn, [ELBTarget(id: target.host, port: target.port)])
                        ok.append(target)
                    } catch { log("service \(r.name): cannot register task \(id) in \(target.targetGroupArn): \(error)") }
                }
                t.registeredTargets += ok
                tasks[id] = t
                persist(task: t)
                if !ok.isEmpty { done.append(.register(taskId: id, ok)) }
            case .deregister(let id, let targets, let stopAt):
                guard var t = tasks[id] else { continue }
                for target in targets {
                    do { try elb?.deregister(target.targetGroupArn, [ELBTarget(id: target.host, port: target.port)]) } catch {
                        log("service \(r.name): cannot deregister task \(id) from \(target.targetGroupArn): \(error)")  // group deleted: nothing to drain
                    }
                }
                t.registeredTargets = []
                if let stopAt {
                    t.drainUntil = stopAt
                    t.task.lastStatus = max(t.task.lastStatus, .deactivating)
                    t.task.version += 1
                }
                tasks[id] = t
                persist(task: t)
                done.append(action)
            case .stop(let id):
                guard let t = tasks[id], let intent = t.stopIntent else { continue }
                sendStop(id, intent: intent)
            }
        }
        return (registrationEvents(r.name, done), wake)
    }

    /// Ask the engine to stop a task whose stop the agent has acknowledged.
    func sendStop(_ id: String, intent: StopIntent) {
        guard var t = tasks[id], !t.stopSent else { return }
        t.stopSent = true
        tasks[id] = t
        persist(task: t)
        let arn = t.arn
        deferred.append { [self] in engine.stop(taskArn: arn, intent: intent) }
    }

    /// `Berth.DescribeServiceLoadBalancers {cluster, service}`: for `berth service describe`,
    /// each target group of the service with the listeners that reach it and its targets' health.
    func describeServiceLoadBalancers(_ p: Params) throws(APIError) -> JSONValue {
        let cluster = try requireCluster(p)
        let r = try requireService(p, key: "service", cluster: cluster.name)
        let reports = targetReports(r)
        let owners = Dictionary(tasks.values.flatMap { t in t.registeredTargets.map { ("\($0.targetGroupArn) \($0.host):\($0.port)", t.id) } },
                                uniquingKeysWith: { a, _ in a })
        let items: [JSONValue] = r.targetBindings.map { b in
            let group = loadBalancing?.targetGroup(b.targetGroupArn)
            let entries = loadBalancing?.entryPoints(of: b.targetGroupArn) ?? []
            return .obj([
                ("targetGroupArn", .string(b.targetGroupArn)), ("targetGroupName", group.map { .string($0.name) }),
                ("containerName", .string(b.containerName)), ("containerPort", .int(b.containerPort)),
                ("listeners", .array(entries.map { e in
                    ["loadBalancerName": .string(e.loadBalancer), "dnsName": .string(e.dnsName), "protocol": .string(e.proto),
                     "address": .string(e.address)]
                })),
                ("targets", .array((reports[b.targetGroupArn] ?? []).map { t, h in
                    .obj([("id", .string(t.id)), ("port", .int(t.port)), ("state", .string(h.state.rawValue)),
                          ("reason", h.reason.map(JSONValue.string)), ("description", h.description.map(JSONValue.string)),
                          ("taskId", owners["\(b.targetGroupArn) \(t.id):\(t.port)"].map(JSONValue.string))])
                })),
            ])
        }
        return ["loadBalancers": .array(items)]
    }
}

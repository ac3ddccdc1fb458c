import BerthJSON
import BerthScaling
import BerthSys
import Foundation

/// Application Auto Scaling (`AnyScaleFrontendService.`, JSON 1.1, SigV4 service
/// `application-autoscaling`) for `ecs:service:DesiredCount` (Docs/agent.md "Service auto scaling").
public struct AutoScalingOperations: JSONOperations {
    public let backend: ECSBackend
    public init(backend: ECSBackend) { self.backend = backend }

    public var signingService: String { "application-autoscaling" }
    public var targetPrefix: String { "AnyScaleFrontendService." }
    public static let operations: Set<String> = [
        "RegisterScalableTarget", "DeregisterScalableTarget", "DescribeScalableTargets", "PutScalingPolicy",
        "DescribeScalingPolicies", "DeleteScalingPolicy", "PutScheduledAction", "DescribeScheduledActions",
        "DeleteScheduledAction", "DescribeScalingActivities",
    ]
    public var operations: Set<String> { Self.operations }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        try backend.autoScaling(operation, Params(input))
    }
}

extension ECSBackend {
    func autoScaling(_ op: String, _ p: Params) throws(APIError) -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let namespace = try p.string("ServiceNamespace")
        guard namespace == "ecs" else {
            throw APIError("ValidationException", "ServiceNamespace \(namespace.map { "\($0.prefix(64))" } ?? "(missing)") is not supported: Berth scales ECS services only (ecs).")
        }
        if let d = try p.string("ScalableDimension"), d != "ecs:service:DesiredCount" {
            throw APIError("ValidationException", "ScalableDimension \(d.prefix(64)) is not supported: use ecs:service:DesiredCount.")
        }
        switch op {
        case "RegisterScalableTarget": return try registerScalableTarget(p)
        case "DeregisterScalableTarget":
            let r = try requireScaling(p)
            scaling[r.target.resourceId] = nil
            unsave("scaling", r.serviceKey)
            return [:]
        case "DescribeScalableTargets":
            let ids = try p.stringList("ResourceIds")
            let (page, next) = try Self.page(scalingRecords(ids).map { ScalingShapes.targetJSON($0.target) }, p, list: "ScalableTargets")
            return .obj([("ScalableTargets", .array(page)), ("NextToken", next.map { .string($0) })])
        case "PutScalingPolicy": return try putScalingPolicy(p)
        case "DescribeScalingPolicies":
            let names = try p.stringList("PolicyNames")
            let records = scalingRecords(try p.string("ResourceId").map { [$0] })
            let policies = records.flatMap(\.policies).filter { names?.contains($0.name) ?? true }
            let (page, next) = try Self.page(policies.map { ScalingShapes.policyJSON($0) }, p, list: "ScalingPolicies")
            return .obj([("ScalingPolicies", .array(page)), ("NextToken", next.map { .string($0) })])
        case "DeleteScalingPolicy":
            var r = try requireScaling(p)
            let name = try p.requiredString("PolicyName")
            guard r.policies.contains(where: { $0.name == name }) else {
                throw APIError("ObjectNotFoundException", "No scaling policy found for service namespace: ecs, resource ID: \(r.target.resourceId), scalable dimension: ecs:service:DesiredCount, policy name: \(name)")
            }
            r.policies.removeAll { $0.name == name }
            persist(scaling: r)
            return [:]
        case "PutScheduledAction":
            var r = try requireScaling(p)
            let name = try p.requiredString("ScheduledActionName")
            let arn = r.actions.first { $0.name == name }?.arn
                ?? "arn:aws:autoscaling:\(config.region):\(config.accountId):scheduledAction:\(UUID().uuidString.lowercased()):resource/ecs/\(r.target.resourceId):scheduledActionName/\(name)"
            let action = try ScalingRecord.action(p, resourceId: r.target.resourceId, arn: arn, now: clock())
            r.actions.removeAll { $0.name == name }
            r.actions.append(action)
            persist(scaling: r)
            serviceSignal.poke()
            return [:]
        case "DescribeScheduledActions":
            let names = try p.stringList("ScheduledActionNames")
            let actions = scalingRecords(try p.string("ResourceId").map { [$0] }).flatMap(\.actions).filter { names?.contains($0.name) ?? true }
            let (page, next) = try Self.page(actions.map(ScalingShapes.actionJSON), p, list: "ScheduledActions")
            return .obj([("ScheduledActions", .array(page)), ("NextToken", next.map { .string($0) })])
        case "DeleteScheduledAction":
            var r = try requireScaling(p)
            let name = try p.requiredString("ScheduledActionName")
            guard r.actions.contains(where: { $0.name == name }) else {
                throw APIError("ObjectNotFoundException", "No scheduled action found for service namespace: ecs, resource ID: \(r.target.resourceId), scalable dimension: ecs:service:DesiredCount, scheduled action name: \(name)")
            }
            r.actions.removeAll { $0.name == name }
            persist(scaling: r)
            return [:]
        case "DescribeScalingActivities":
            _ = try p.bool("IncludeNotScaledActivities")  // Berth records only activities that scaled
            let activities = scalingRecords(try p.string("ResourceId").map { [$0] }).flatMap(\.activities).sorted { $0.startTime > $1.startTime }
            let (page, next) = try Self.page(activities.map(ScalingShapes.activityJSON), p, list: "ScalingActivities")
            return .obj([("ScalingActivities", .array(page)), ("NextToken", next.map { .string($0) })])
        default:
            throw APIError("UnknownOperationException", "Unknown operation \(op)")
        }
    }

    /// Application Auto Scaling pages: MaxResults 1-50 (default 50), NextToken.
    static func page(_ items: [JSONValue], _ p: Params, list: String) throws(APIError) -> ([JSONValue], String?) {
        let limit = try p.int("MaxResults") ?? 50
        guard (1...50).contains(limit) else { throw APIError("ValidationException", "MaxResults must be between 1 and 50.") }
        do { return try Pagination.page(items, token: try p.string("NextToken"), limit: limit, list: list) } catch {
            throw APIError("InvalidNextTokenException", "The NextToken is invalid.")
        }
    }

    func scalingRecords(_ ids: [String]?) -> [ScalingRecord] {
        scaling.keys.sorted().filter { ids?.contains($0) ?? true }.compactMap { scaling[$0] }
    }

    func requireScaling(_ p: Params) throws(APIError) -> ScalingRecord {
        let id = try p.requiredString("ResourceId")
        guard let r = scaling[id] else {
            throw APIError("ObjectNotFoundException", "No scalable target registered for service namespace: ecs, resource ID: \(id.prefix(256)), scalable dimension: ecs:service:DesiredCount")
        }
        return r
    }

    func persist(scaling r: ScalingRecord) {
        scaling[r.target.resourceId] = r
        writer.enqueue("scaling", r.serviceKey, r.json)
    }

    func registerScalableTarget(_ p: Params) throws(APIError) -> JSONValue {
        let id = try p.requiredString("ResourceId")
        guard let (cluster, service) = ScalingRecord.parse(resourceId: id) else {
            throw APIError("ValidationException", "Unsupported resource ID \(id.prefix(256)): an ECS service is service/<cluster>/<service>.")
        }
        guard let s = services[ServiceRecord.key(cluster: cluster, name: service)], s.state.status == .active else {
            throw APIError("ValidationException", "ECS service doesn't exist: \(id.prefix(256))")
        }
        let minCapacity = try p.int("MinCapacity"), maxCapacity = try p.int("MaxCapacity")
        let role = try p.string("RoleARN")
        if p.value("Tags") != nil {
            throw APIError("ValidationException", "Tags on scalable targets are not kept by Berth: register the target without Tags.")
        }
        var r: ScalingRecord
        if let existing = scaling[id] {
            r = existing
        } else {
            guard let lo = minCapacity, let hi = maxCapacity else {
                throw APIError("ValidationException", "MinCapacity and MaxCapacity are required when registering a new scalable target.")
            }
            r = ScalingRecord(target: ScalableTarget(resourceId: id, minCapacity: lo, maxCapacity: hi,
                                                     roleARN: "arn:aws:iam::\(config.accountId):role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
                                                     arn: "arn:aws:application-autoscaling:\(config.region):\(config.accountId):scalable-target/\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))",
                                                     createdAt: clock()))
        }
        if let lo = minCapacity { r.target.minCapacity = lo }
        if let hi = maxCapacity { r.target.maxCapacity = hi }
        if let role { r.target.roleARN = role }
        guard r.target.minCapacity >= 0, r.target.minCapacity <= r.target.maxCapacity else {
            throw APIError("ValidationException", "MinCapacity \(r.target.minCapacity) must be between 0 and MaxCapacity \(r.target.maxCapacity).")
        }
        r.target.suspended = try ScalingShapes.suspended(try p.object("SuspendedState"), base: r.target.suspended)
        persist(scaling: r)
        serviceSignal.poke()
        return ["ScalableTargetARN": .string(r.target.arn)]
    }

    func putScalingPolicy(_ p: Params) throws(APIError) -> JSONValue {
        var r = try requireScaling(p)
        let name = try p.requiredString("PolicyName")
        guard !name.isEmpty, name.count <= 256, !name.contains(":") else { throw APIError("ValidationException", "PolicyName must be 1-256 characters without ':'.") }
        let configuration = try ScalingShapes.configuration(p)
        if case .targetTracking(let c) = configuration, let label = c.resourceLabel { try checkResourceLabel(label, resourceId: r.target.resourceId) }
        let existing = r.policies.first { $0.name == name }
        let policy = ScalingPolicy(
            name: name,
            arn: existing?.arn ?? "arn:aws:autoscaling:\(config.region):\(config.accountId):scalingPolicy:\(UUID().uuidString.lowercased()):resource/ecs/\(r.target.resourceId):policyName/\(name)",
            resourceId: r.target.resourceId, configuration: configuration,
            alarmId: existing?.alarmId ?? UUID().uuidString.lowercased(), createdAt: existing?.createdAt ?? clock())
        r.policies.removeAll { $0.name == name }
        r.policies.append(policy)
        persist(scaling: r)
        let full = ScalingShapes.policyJSON(policy)
        return .obj([("PolicyARN", .string(policy.arn)), ("Alarms", full["Alarms"])])
    }

    /// ALBRequestCountPerTarget's ResourceLabel must name an application load balancer, one of
    /// its target groups, and that group must be one the service is registered with.
    func checkResourceLabel(_ label: String, resourceId: String) throws(APIError) {
        let invalid = { (why: String) in APIError("ValidationException", "PredefinedMetricSpecification.ResourceLabel \(label.prefix(256)): \(why)") }
        guard let (lbDim, tgDim) = ELBMetrics.splitResourceLabel(label) else { throw invalid("not app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>.") }
        guard let elb = loadBalancing, let resources = try? elb.read({ r throws(APIError) in r }) else { throw invalid("this agent has no load balancers.") }
        guard let lb = resources.loadBalancers.first(where: { ELBMetrics.loadBalancerDimension($0.arn) == lbDim }), lb.type == "application" else {
            throw invalid("no application load balancer \(lbDim) exists.")
        }
        guard let tg = resources.targetGroups.first(where: { ELBMetrics.targetGroupDimension($0.arn) == tgDim }) else {
            throw invalid("no target group \(tgDim) exists.")
        }
        guard resources.loadBalancerArns(of: tg.arn).contains(lb.arn) else { throw invalid("target group \(tgDim) is not associated with load balancer \(lbDim).") }
        guard let (cluster, service) = ScalingRecord.parse(resourceId: resourceId),
              let s = services[ServiceRecord.key(cluster: cluster, name: service)],
              s.targetBindings.contains(where: { $0.targetGroupArn == tg.arn }) else {
            throw invalid("the target group is not one of the load balancers of \(resourceId).")
        }
    }

    func loadScaling() {
        try? Files.makeDirectories("\(store.root)/scaling", mode: 0o700)
        for j in store.loadAll("scaling") {
            do {
                let r = try ScalingRecord(json: j)
                scaling[r.target.resourceId] = r
            } catch { log("ignoring a scaling file: \(error)") }
        }
    }
}

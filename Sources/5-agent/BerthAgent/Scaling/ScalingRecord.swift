import BerthJSON
import BerthScaling

/// A service's scalable target with its policies, scheduled actions, engine state and recent
/// activities. Persisted as `scaling/<cluster>@<service>.json`.
struct ScalingRecord {
    var target: ScalableTarget
    var policies: [ScalingPolicy] = []
    var actions: [ScheduledAction] = []
    var state = ScalingState()
    /// Newest first, at most `maxActivities`.
    var activities: [ScalingActivity] = []
    /// Alarm states of the last decision (not persisted: recomputed at the next tick).
    var alarmStates: [String: AlarmState] = [:]

    static let maxActivities = 100

    /// `service/<cluster>/<service>` → (cluster, service).
    static func parse(resourceId: String) -> (cluster: String, service: String)? {
        let parts = resourceId.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "service", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return (parts[1], parts[2])
    }

    var serviceKey: String {
        let (c, s) = Self.parse(resourceId: target.resourceId)!
        return ServiceRecord.key(cluster: c, name: s)
    }

    var json: JSONValue {
        .obj([
            ("target", ScalingShapes.targetJSON(target)),
            ("policies", .array(policies.map { ScalingShapes.policyJSON($0, alarms: false) })),
            ("actions", .array(actions.map(ScalingShapes.actionJSON))),
            ("state", .obj([("scaleOutCooldownUntil", state.scaleOutCooldownUntil.map { .double($0) }),
                            ("scaleInCooldownUntil", state.scaleInCooldownUntil.map { .double($0) }),
                            ("scheduleCheckedAt", state.scheduleCheckedAt.map { .double($0) })])),
            ("activities", .array(activities.map(ScalingShapes.activityJSON))),
        ])
    }

    init(target: ScalableTarget) { self.target = target }

    init(json: JSONValue) throws(APIError) {
        let p = Params(json)
        guard let t = try p.object("target") else { throw .serialization("scaling record without target") }
        target = try ScalingShapes.target(t)
        for q in try p.objects("policies") ?? [] {
            policies.append(ScalingPolicy(name: try q.requiredString("PolicyName"), arn: try q.requiredString("PolicyARN"), resourceId: target.resourceId,
                                          configuration: try ScalingShapes.configuration(q), alarmId: try q.string("AlarmId") ?? "",
                                          createdAt: try q.double("CreationTime") ?? 0))
        }
        for q in try p.objects("actions") ?? [] { actions.append(try Self.action(q, resourceId: target.resourceId, arn: nil, now: 0)) }
        if let s = try p.object("state") {
            state = ScalingState(scaleOutCooldownUntil: try s.double("scaleOutCooldownUntil"), scaleInCooldownUntil: try s.double("scaleInCooldownUntil"),
                                 scheduleCheckedAt: try s.double("scheduleCheckedAt"))
        }
        for q in try p.objects("activities") ?? [] { activities.append(try ScalingShapes.activity(q)) }
    }

    /// A scheduled action from PutScheduledAction's members (or a persisted action).
    static func action(_ p: Params, resourceId: String, arn: String?, now: Double) throws(APIError) -> ScheduledAction {
        let name = try p.requiredString("ScheduledActionName")
        let expression = try p.requiredString("Schedule")
        let timezone = try p.string("Timezone")
        let schedule: Schedule
        do { schedule = try Schedule.parse(expression, timezone: timezone) } catch { throw APIError("ValidationException", error.message) }
        let target = try p.object("ScalableTargetAction")
        let storedArn = try p.string("ScheduledActionARN") ?? ""
        let a = ScheduledAction(name: name, arn: arn ?? storedArn, resourceId: resourceId, expression: expression,
                                schedule: schedule, timezone: timezone, startTime: try p.double("StartTime"), endTime: try p.double("EndTime"),
                                minCapacity: try target?.int("MinCapacity"), maxCapacity: try target?.int("MaxCapacity"),
                                createdAt: try p.double("CreationTime") ?? now)
        if let lo = a.minCapacity, let hi = a.maxCapacity, lo > hi {
            throw APIError("ValidationException", "ScalableTargetAction.MinCapacity \(lo) is above MaxCapacity \(hi).")
        }
        if (a.minCapacity ?? 0) < 0 || (a.maxCapacity ?? 0) < 0 { throw APIError("ValidationException", "ScalableTargetAction capacities must not be negative.") }
        return a
    }

    mutating func record(_ new: [ScalingActivity]) {
        activities.insert(contentsOf: new.reversed(), at: 0)
        if activities.count > Self.maxActivities { activities.removeLast(activities.count - Self.maxActivities) }
    }
}

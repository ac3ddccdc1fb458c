import BerthJSON
import BerthScaling

/// Application Auto Scaling shapes (botocore application-autoscaling 2016-02-06) in and out;
/// the describe shapes are also what the agent persists.
extension Params {
    func double(_ key: String) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else { throw typeError(key, "a number", v) }
        return d
    }
}

enum ScalingShapes {
    static func suspendedJSON(_ s: SuspendedState) -> JSONValue {
        ["DynamicScalingInSuspended": .bool(s.dynamicScalingInSuspended), "DynamicScalingOutSuspended": .bool(s.dynamicScalingOutSuspended),
         "ScheduledScalingSuspended": .bool(s.scheduledScalingSuspended)]
    }

    static func suspended(_ p: Params?, base: SuspendedState) throws(APIError) -> SuspendedState {
        guard let p else { return base }
        var s = base
        if let v = try p.bool("DynamicScalingInSuspended") { s.dynamicScalingInSuspended = v }
        if let v = try p.bool("DynamicScalingOutSuspended") { s.dynamicScalingOutSuspended = v }
        if let v = try p.bool("ScheduledScalingSuspended") { s.scheduledScalingSuspended = v }
        return s
    }

    static func targetJSON(_ t: ScalableTarget) -> JSONValue {
        ["ServiceNamespace": "ecs", "ResourceId": .string(t.resourceId), "ScalableDimension": "ecs:service:DesiredCount",
         "MinCapacity": .int(t.minCapacity), "MaxCapacity": .int(t.maxCapacity), "RoleARN": .string(t.roleARN),
         "CreationTime": .double(t.createdAt), "SuspendedState": suspendedJSON(t.suspended), "ScalableTargetARN": .string(t.arn)]
    }

    static func target(_ p: Params) throws(APIError) -> ScalableTarget {
        var t = ScalableTarget(resourceId: try p.requiredString("ResourceId"), minCapacity: try p.int("MinCapacity") ?? 0,
                               maxCapacity: try p.int("MaxCapacity") ?? 0, roleARN: try p.string("RoleARN") ?? "",
                               arn: try p.string("ScalableTargetARN") ?? "", createdAt: try p.double("CreationTime") ?? 0)
        t.suspended = try suspended(try p.object("SuspendedState"), base: .init())
        return t
    }

    /// The DescribeScalingPolicies shape; `alarms: false` is the stored form (AlarmId instead
    /// of the Alarms list).
    static func policyJSON(_ policy: ScalingPolicy, alarms: Bool = true) -> JSONValue {
        var members: [(String, JSONValue?)] = [
            ("PolicyARN", .string(policy.arn)), ("PolicyName", .string(policy.name)), ("ServiceNamespace", "ecs"),
            ("ResourceId", .string(policy.resourceId)), ("ScalableDimension", "ecs:service:DesiredCount"),
        ]
        switch policy.configuration {
        case .targetTracking(let c):
            members.append(("PolicyType", "TargetTrackingScaling"))
            members.append(("TargetTrackingScalingPolicyConfiguration", .obj([
                ("TargetValue", .double(c.targetValue)),
                ("PredefinedMetricSpecification", .obj([("PredefinedMetricType", .string(c.metric.rawValue)),
                                                         ("ResourceLabel", c.resourceLabel.map { .string($0) })])),
                ("ScaleOutCooldown", .int(Int(c.scaleOutCooldown))), ("ScaleInCooldown", .int(Int(c.scaleInCooldown))),
                ("DisableScaleIn", .bool(c.disableScaleIn)),
            ])))
            if alarms {
                let arn = "arn:aws:cloudwatch:\(policy.arn.split(separator: ":")[3]):\(policy.arn.split(separator: ":")[4]):alarm:"
                members.append(("Alarms", [
                    ["AlarmName": .string(policy.highAlarmName), "AlarmARN": .string(arn + policy.highAlarmName)],
                    ["AlarmName": .string(policy.lowAlarmName), "AlarmARN": .string(arn + policy.lowAlarmName)],
                ]))
            } else {
                members.append(("AlarmId", .string(policy.alarmId)))
            }
        case .step(let c):
            members.append(("PolicyType", "StepScaling"))
            members.append(("StepScalingPolicyConfiguration", .obj([
                ("AdjustmentType", .string(c.adjustmentType.rawValue)),
                ("StepAdjustments", .array(c.steps.map { s in .obj([
                    ("MetricIntervalLowerBound", s.lowerBound.map { .double($0) }), ("MetricIntervalUpperBound", s.upperBound.map { .double($0) }),
                    ("ScalingAdjustment", .int(s.scalingAdjustment)),
                ]) })),
                ("MinAdjustmentMagnitude", c.minAdjustmentMagnitude.map { .int($0) }), ("Cooldown", .int(Int(c.cooldown))),
                ("MetricAggregationType", .string(c.aggregation.rawValue)),
            ])))
        }
        members.append(("CreationTime", .double(policy.createdAt)))
        return .obj(members)
    }

    static func configuration(_ p: Params) throws(APIError) -> PolicyConfiguration {
        let type = try p.string("PolicyType") ?? "StepScaling"
        switch type {
        case "TargetTrackingScaling":
            guard let c = try p.object("TargetTrackingScalingPolicyConfiguration") else {
                throw APIError("ValidationException", "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.")
            }
            if c.value("CustomizedMetricSpecification") != nil {
                throw APIError("ValidationException", "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification is not supported by Berth: use PredefinedMetricSpecification.")
            }
            guard let spec = try c.object("PredefinedMetricSpecification"), let typeName = try spec.string("PredefinedMetricType") else {
                throw APIError("ValidationException", "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType is required.")
            }
            guard let metric = PredefinedMetric(rawValue: typeName) else {
                throw APIError("ValidationException", "PredefinedMetricType \(typeName) is not supported for ecs:service:DesiredCount by Berth (supported: \(PredefinedMetric.allCases.map(\.rawValue).joined(separator: ", "))).")
            }
            let label = try spec.string("ResourceLabel")
            if metric == .albRequestCountPerTarget {
                guard let label, ELBMetrics.splitResourceLabel(label) != nil else {
                    throw APIError("ValidationException", "PredefinedMetricSpecification.ResourceLabel is required for ALBRequestCountPerTarget: app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>\(label.map { ", not \($0.prefix(256))" } ?? "").")
                }
            } else if label != nil {
                throw APIError("ValidationException", "PredefinedMetricSpecification.ResourceLabel applies to ALBRequestCountPerTarget only.")
            }
            guard let value = try c.double("TargetValue"), value > 0 else {
                throw APIError("ValidationException", "TargetTrackingScalingPolicyConfiguration.TargetValue is required and must be above 0.")
            }
            let out = try c.int("ScaleOutCooldown") ?? 300, inc = try c.int("ScaleInCooldown") ?? 300
            guard out >= 0, inc >= 0 else { throw APIError("ValidationException", "ScaleOutCooldown and ScaleInCooldown must not be negative.") }
            return .targetTracking(.init(targetValue: value, metric: metric, scaleOutCooldown: Double(out), scaleInCooldown: Double(inc),
                                         disableScaleIn: try c.bool("DisableScaleIn") ?? false, resourceLabel: label))
        case "StepScaling":
            guard let c = try p.object("StepScalingPolicyConfiguration") else {
                throw APIError("ValidationException", "StepScalingPolicyConfiguration is required for a StepScaling policy.")
            }
            guard let typeName = try c.string("AdjustmentType"), let adjustment = AdjustmentType(rawValue: typeName) else {
                throw APIError("ValidationException", "StepScalingPolicyConfiguration.AdjustmentType must be ChangeInCapacity, PercentChangeInCapacity or ExactCapacity.")
            }
            var steps: [StepAdjustment] = []
            for s in try c.objects("StepAdjustments") ?? [] {
                guard let adj = try s.int("ScalingAdjustment") else { throw APIError("ValidationException", "\(s.path).ScalingAdjustment is required.") }
                steps.append(StepAdjustment(lowerBound: try s.double("MetricIntervalLowerBound"), upperBound: try s.double("MetricIntervalUpperBound"), scalingAdjustment: adj))
            }
            if let problem = validateSteps(steps) { throw APIError("ValidationException", "StepScalingPolicyConfiguration.StepAdjustments: \(problem)") }
            let aggregation = try c.string("MetricAggregationType") ?? "Average"
            guard let agg = Statistic(rawValue: aggregation), [.average, .minimum, .maximum].contains(agg) else {
                throw APIError("ValidationException", "MetricAggregationType must be Average, Minimum or Maximum.")
            }
            let mam = try c.int("MinAdjustmentMagnitude")
            if mam != nil && adjustment != .percentChangeInCapacity {
                throw APIError("ValidationException", "MinAdjustmentMagnitude is only valid with PercentChangeInCapacity.")
            }
            return .step(.init(adjustmentType: adjustment, steps: steps, minAdjustmentMagnitude: mam, cooldown: Double(try c.int("Cooldown") ?? 300), aggregation: agg))
        case "PredictiveScaling":
            throw APIError("ValidationException", "PolicyType PredictiveScaling is not supported by Berth (it forecasts from 14 days of history).")
        default:
            throw APIError("ValidationException", "PolicyType must be TargetTrackingScaling or StepScaling, not \(type.prefix(64)).")
        }
    }

    static func actionJSON(_ a: ScheduledAction) -> JSONValue {
        var action: [(String, JSONValue?)] = []
        if let m = a.minCapacity { action.append(("MinCapacity", .int(m))) }
        if let m = a.maxCapacity { action.append(("MaxCapacity", .int(m))) }
        return .obj([
            ("ScheduledActionName", .string(a.name)), ("ScheduledActionARN", .string(a.arn)), ("ServiceNamespace", "ecs"),
            ("Schedule", .string(a.expression)), ("Timezone", a.timezone.map { .string($0) }), ("ResourceId", .string(a.resourceId)),
            ("ScalableDimension", "ecs:service:DesiredCount"), ("StartTime", a.startTime.map { .double($0) }),
            ("EndTime", a.endTime.map { .double($0) }), ("ScalableTargetAction", .obj(action)), ("CreationTime", .double(a.createdAt)),
        ])
    }

    static func activityJSON(_ a: ScalingActivity) -> JSONValue {
        ["ActivityId": .string(a.id), "ServiceNamespace": "ecs", "ResourceId": .string(a.resourceId),
         "ScalableDimension": "ecs:service:DesiredCount", "Description": .string(a.description), "Cause": .string(a.cause),
         "StartTime": .double(a.startTime), "EndTime": .double(a.endTime), "StatusCode": .string(a.statusCode),
         "StatusMessage": .string(a.statusMessage)]
    }

    static func activity(_ p: Params) throws(APIError) -> ScalingActivity {
        ScalingActivity(id: try p.requiredString("ActivityId"), resourceId: try p.requiredString("ResourceId"),
                        description: try p.string("Description") ?? "", cause: try p.string("Cause") ?? "",
                        startTime: try p.double("StartTime") ?? 0, endTime: try p.double("EndTime") ?? 0,
                        statusCode: try p.string("StatusCode") ?? "Successful", statusMessage: try p.string("StatusMessage") ?? "")
    }
}

/// Application Auto Scaling for ECS services (ecs-extensions.md §2): the scalable target of a
/// service's desiredCount, its policies and scheduled actions. Times are agent-clock seconds
/// since 1970; durations are in real AWS seconds and multiplied by the agent's time scale when
/// used (`ScalingClock`).
public typealias Seconds = Double

public struct SuspendedState: Sendable, Equatable {
    public var dynamicScalingInSuspended = false
    public var dynamicScalingOutSuspended = false
    public var scheduledScalingSuspended = false
    public init(dynamicScalingInSuspended: Bool = false, dynamicScalingOutSuspended: Bool = false, scheduledScalingSuspended: Bool = false) {
        self.dynamicScalingInSuspended = dynamicScalingInSuspended
        self.dynamicScalingOutSuspended = dynamicScalingOutSuspended
        self.scheduledScalingSuspended = scheduledScalingSuspended
    }
}

/// `ecs:service:DesiredCount` of `service/<cluster>/<service>`.
public struct ScalableTarget: Sendable, Equatable {
    public var resourceId: String
    public var minCapacity: Int
    public var maxCapacity: Int
    public var suspended: SuspendedState
    public var roleARN: String
    public var arn: String
    public var createdAt: Seconds
    public init(resourceId: String, minCapacity: Int, maxCapacity: Int, suspended: SuspendedState = .init(), roleARN: String = "", arn: String = "", createdAt: Seconds = 0) {
        self.resourceId = resourceId
        self.minCapacity = minCapacity
        self.maxCapacity = maxCapacity
        self.suspended = suspended
        self.roleARN = roleARN
        self.arn = arn
        self.createdAt = createdAt
    }

    public func clamp(_ capacity: Int) -> Int { min(max(capacity, minCapacity), maxCapacity) }
}

/// The predefined ECS metrics of target tracking and the CloudWatch metric each reads.
public enum PredefinedMetric: String, Sendable, CaseIterable {
    case cpu = "ECSServiceAverageCPUUtilization"
    case memory = "ECSServiceAverageMemoryUtilization"
    case cpuHighResolution = "ECSServiceAverageCPUUtilizationHighResolution"
    case memoryHighResolution = "ECSServiceAverageMemoryUtilizationHighResolution"
    /// Requests per healthy target of the target group its ResourceLabel names, per minute.
    case albRequestCountPerTarget = "ALBRequestCountPerTarget"

    public var metricName: String {
        switch self {
        case .cpu, .cpuHighResolution: "CPUUtilization"
        case .memory, .memoryHighResolution: "MemoryUtilization"
        case .albRequestCountPerTarget: "RequestCountPerTarget"
        }
    }

    /// Alarm period in AWS seconds: 60, or 20 for the high-resolution types.
    public var period: Seconds {
        switch self {
        case .cpu, .memory, .albRequestCountPerTarget: 60
        case .cpuHighResolution, .memoryHighResolution: 20
        }
    }

    /// The statistic the managed alarms read: a utilization is averaged, a count summed.
    public var statistic: Statistic {
        self == .albRequestCountPerTarget ? .sum : .average
    }
}

public struct TargetTrackingConfiguration: Sendable, Equatable {
    public var targetValue: Double
    public var metric: PredefinedMetric
    public var scaleOutCooldown: Seconds
    public var scaleInCooldown: Seconds
    public var disableScaleIn: Bool
    /// ALBRequestCountPerTarget: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`.
    public var resourceLabel: String?
    public init(targetValue: Double, metric: PredefinedMetric, scaleOutCooldown: Seconds = 300, scaleInCooldown: Seconds = 300, disableScaleIn: Bool = false,
                resourceLabel: String? = nil) {
        self.targetValue = targetValue
        self.metric = metric
        self.scaleOutCooldown = scaleOutCooldown
        self.scaleInCooldown = scaleInCooldown
        self.disableScaleIn = disableScaleIn
        self.resourceLabel = resourceLabel
    }

    /// The name of the series the policy reads in `ScalingInput.metrics` (with `metricsKey`):
    /// the metric name, qualified by the resource label when there is one.
    public var seriesName: String {
        resourceLabel.map { "\(metric.metricName)@\($0)" } ?? metric.metricName
    }
}

public enum AdjustmentType: String, Sendable, CaseIterable {
    case changeInCapacity = "ChangeInCapacity"
    case percentChangeInCapacity = "PercentChangeInCapacity"
    case exactCapacity = "ExactCapacity"
}

/// One step: bounds relative to the alarm threshold, nil meaning -inf/+inf.
public struct StepAdjustment: Sendable, Equatable {
    public var lowerBound: Double?
    public var upperBound: Double?
    public var scalingAdjustment: Int
    public init(lowerBound: Double? = nil, upperBound: Double? = nil, scalingAdjustment: Int) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.scalingAdjustment = scalingAdjustment
    }
}

public struct StepScalingConfiguration: Sendable, Equatable {
    public var adjustmentType: AdjustmentType
    public var steps: [StepAdjustment]
    public var minAdjustmentMagnitude: Int?
    public var cooldown: Seconds
    public var aggregation: Statistic
    public init(adjustmentType: AdjustmentType, steps: [StepAdjustment], minAdjustmentMagnitude: Int? = nil, cooldown: Seconds = 300, aggregation: Statistic = .average) {
        self.adjustmentType = adjustmentType
        self.steps = steps
        self.minAdjustmentMagnitude = minAdjustmentMagnitude
        self.cooldown = cooldown
        self.aggregation = aggregation
    }
}

public enum PolicyConfiguration: Sendable, Equatable {
    case targetTracking(TargetTrackingConfiguration)
    case step(StepScalingConfiguration)
}

public struct ScalingPolicy: Sendable, Equatable {
    public var name: String
    public var arn: String
    public var resourceId: String
    public var configuration: PolicyConfiguration
    /// Target tracking: the ids of its two managed alarms.
    public var alarmId: String
    public var createdAt: Seconds
    public init(name: String, arn: String, resourceId: String, configuration: PolicyConfiguration, alarmId: String = "", createdAt: Seconds = 0) {
        self.name = name
        self.arn = arn
        self.resourceId = resourceId
        self.configuration = configuration
        self.alarmId = alarmId
        self.createdAt = createdAt
    }

    public var highAlarmName: String { "TargetTracking-\(resourceId)-AlarmHigh-\(alarmId)" }
    public var lowAlarmName: String { "TargetTracking-\(resourceId)-AlarmLow-\(alarmId)" }
}

public struct ScalingActivity: Sendable, Equatable {
    public var id: String
    public var resourceId: String
    public var description: String
    public var cause: String
    public var startTime: Seconds
    public var endTime: Seconds
    public var statusCode: String
    public var statusMessage: String
    public init(id: String, resourceId: String, description: String, cause: String, startTime: Seconds, endTime: Seconds, statusCode: String = "Successful", statusMessage: String) {
        self.id = id
        self.resourceId = resourceId
        self.description = description
        self.cause = cause
        self.startTime = startTime
        self.endTime = endTime
        self.statusCode = statusCode
        self.statusMessage = statusMessage
    }
}

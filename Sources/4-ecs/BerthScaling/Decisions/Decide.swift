/// What the engine remembers between ticks for one scalable target.
public struct ScalingState: Sendable, Equatable {
    public var scaleOutCooldownUntil: Seconds?
    public var scaleInCooldownUntil: Seconds?
    /// Scheduled actions have been run for every occurrence up to this time.
    public var scheduleCheckedAt: Seconds?
    public init(scaleOutCooldownUntil: Seconds? = nil, scaleInCooldownUntil: Seconds? = nil, scheduleCheckedAt: Seconds? = nil) {
        self.scaleOutCooldownUntil = scaleOutCooldownUntil
        self.scaleInCooldownUntil = scaleInCooldownUntil
        self.scheduleCheckedAt = scheduleCheckedAt
    }
}

/// Everything a decision depends on; `metrics` holds the datapoints of each metric name for
/// each AWS period (60, 20), keyed by `metricsKey`.
public struct ScalingInput: Sendable {
    public var target: ScalableTarget
    public var policies: [ScalingPolicy]
    /// User alarms (PutMetricAlarm) whose actions name step policies.
    public var alarms: [MetricAlarm]
    public var scheduledActions: [ScheduledAction]
    /// The service's desiredCount.
    public var capacity: Int
    public var deploymentInProgress: Bool
    public var metrics: [String: [Datapoint]]
    public var state: ScalingState
    public var now: Seconds
    public var timeScale: Double
    public init(target: ScalableTarget, policies: [ScalingPolicy] = [], alarms: [MetricAlarm] = [], scheduledActions: [ScheduledAction] = [], capacity: Int, deploymentInProgress: Bool = false, metrics: [String: [Datapoint]] = [:], state: ScalingState = .init(), now: Seconds, timeScale: Double = 1) {
        self.target = target
        self.policies = policies
        self.alarms = alarms
        self.scheduledActions = scheduledActions
        self.capacity = capacity
        self.deploymentInProgress = deploymentInProgress
        self.metrics = metrics
        self.state = state
        self.now = now
        self.timeScale = timeScale
    }
}

public func metricsKey(_ metricName: String, period: Seconds) -> String { "\(metricName)/\(Int(period))" }

public struct ScalingOutcome: Sendable, Equatable {
    public var target: ScalableTarget
    /// The new desiredCount, nil when unchanged.
    public var desiredCount: Int?
    public var state: ScalingState
    public var activities: [ScalingActivity]
    public var alarmStates: [String: AlarmState]
}

/// One proposal of a policy.
struct Proposal {
    var capacity: Int
    var cause: String
    var outCooldown: Seconds
    var inCooldown: Seconds
}

/// The scaling decision for one target at `now`: scheduled actions first (they set min/max and
/// the capacity is clamped into them), then the dynamic policies. Several policies: the largest
/// capacity wins; a scale-out needs one policy, a scale-in needs every target tracking policy
/// that may scale in to agree. No scale-in during a deployment or a cooldown; a scale-out is
/// allowed during a scale-in cooldown (and ends it) but not during a scale-out cooldown.
public func decide(_ input: ScalingInput, makeId: () -> String) -> ScalingOutcome {
    var target = input.target
    var state = input.state
    var activities: [ScalingActivity] = []
    var capacity = input.capacity
    let now = input.now

    func activity(_ to: Int, cause: String) {
        activities.append(ScalingActivity(
            id: makeId(), resourceId: target.resourceId, description: "Setting desired count to \(to).",
            cause: "At \(isoTime(now)) \(cause)", startTime: now, endTime: now,
            statusMessage: "Successfully set desired count to \(to). Change successfully fulfilled by ecs."))
    }

    // Scheduled actions.
    let from = state.scheduleCheckedAt ?? now
    if !target.suspended.scheduledScalingSuspended {
        for action in input.scheduledActions.sorted(by: { $0.name < $1.name }) where action.fires(after: from, upTo: now, timeScale: input.timeScale) {
            if let m = action.minCapacity { target.minCapacity = m }
            if let m = action.maxCapacity { target.maxCapacity = m }
            if target.minCapacity > target.maxCapacity { target.maxCapacity = target.minCapacity }
            let clamped = target.clamp(capacity)
            if clamped != capacity {
                activity(clamped, cause: "scheduled action name \(action.name) set min capacity to \(target.minCapacity) and max capacity to \(target.maxCapacity), changing the desired capacity from \(capacity) to \(clamped).")
                capacity = clamped
            }
        }
    }
    state.scheduleCheckedAt = now

    // Capacity outside [min, max] (a RegisterScalableTarget that moved the range) is clamped.
    let clamped = target.clamp(capacity)
    if clamped != capacity {
        activity(clamped, cause: "the desired count \(capacity) was outside the range [\(target.minCapacity), \(target.maxCapacity)] of the scalable target, changing the desired count from \(capacity) to \(clamped).")
        capacity = clamped
    }

    // Dynamic policies.
    var outs: [Proposal] = [], ins: [Proposal] = []
    var blockingScaleIn = false
    var alarmStates: [String: AlarmState] = [:]
    for policy in input.policies.sorted(by: { $0.name < $1.name }) {
        switch policy.configuration {
        case .targetTracking(let config):
            let (high, low) = managedAlarms(policy, config)
            let points = input.metrics[metricsKey(config.seriesName, period: config.metric.period)] ?? []
            let h = evaluate(high, datapoints: points, now: now, timeScale: input.timeScale)
            let l = evaluate(low, datapoints: points, now: now, timeScale: input.timeScale)
            alarmStates[high.name] = h.state
            alarmStates[low.name] = config.disableScaleIn ? .insufficientData : l.state
            let wanted = h.latest.map { Int((Double(capacity) * $0 / config.targetValue - 1e-9).rounded(.up)) }
            if h.state == .alarm, let w = wanted, target.clamp(w) > capacity {
                outs.append(Proposal(capacity: target.clamp(w), cause: "monitor alarm \(high.name) in state ALARM triggered policy \(policy.name)",
                                     outCooldown: config.scaleOutCooldown, inCooldown: config.scaleInCooldown))
            } else if !config.disableScaleIn {
                if l.state == .alarm, let w = l.latest.map({ Int((Double(capacity) * $0 / config.targetValue - 1e-9).rounded(.up)) }), target.clamp(max(w, 0)) < capacity {
                    ins.append(Proposal(capacity: target.clamp(w), cause: "monitor alarm \(low.name) in state ALARM triggered policy \(policy.name)",
                                        outCooldown: config.scaleOutCooldown, inCooldown: config.scaleInCooldown))
                } else {
                    blockingScaleIn = true
                }
            }
        case .step(let config):
            for alarm in input.alarms where alarm.actions.contains(policy.arn) {
                var a = alarm
                a.statistic = config.aggregation
                let e = evaluate(a, datapoints: input.metrics[metricsKey(alarm.metricName, period: alarm.period)] ?? [], now: now, timeScale: input.timeScale)
                alarmStates[alarm.name] = e.state
                guard e.state == .alarm, let value = e.latest, let step = matchingStep(config.steps, value: value, threshold: alarm.threshold) else { continue }
                let wanted = target.clamp(adjustedCapacity(capacity, step.scalingAdjustment, config.adjustmentType, minAdjustmentMagnitude: config.minAdjustmentMagnitude))
                let p = Proposal(capacity: wanted, cause: "monitor alarm \(alarm.name) in state ALARM triggered policy \(policy.name)",
                                 outCooldown: config.cooldown, inCooldown: config.cooldown)
                if wanted > capacity { outs.append(p) } else if wanted < capacity { ins.append(p) }
            }
        }
    }

    let outAllowed = !target.suspended.dynamicScalingOutSuspended && now >= (state.scaleOutCooldownUntil ?? -.infinity)
    let inAllowed = !target.suspended.dynamicScalingInSuspended && !input.deploymentInProgress && !blockingScaleIn
        && now >= (state.scaleOutCooldownUntil ?? -.infinity) && now >= (state.scaleInCooldownUntil ?? -.infinity)
    if outAllowed, let best = outs.max(by: { $0.capacity < $1.capacity }) {
        activity(best.capacity, cause: "\(best.cause) to set desired count to \(best.capacity), changing the desired capacity from \(capacity) to \(best.capacity).")
        capacity = best.capacity
        state.scaleOutCooldownUntil = now + best.outCooldown * input.timeScale
        state.scaleInCooldownUntil = nil
    } else if outs.isEmpty, inAllowed, let best = ins.max(by: { $0.capacity < $1.capacity }) {
        activity(best.capacity, cause: "\(best.cause) to set desired count to \(best.capacity), changing the desired capacity from \(capacity) to \(best.capacity).")
        capacity = best.capacity
        state.scaleInCooldownUntil = now + best.inCooldown * input.timeScale
    }
    return ScalingOutcome(target: target, desiredCount: capacity == input.capacity ? nil : capacity, state: state, activities: activities, alarmStates: alarmStates)
}

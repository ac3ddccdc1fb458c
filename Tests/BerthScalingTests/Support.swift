@testable import BerthScaling

/// A service's scaling on a fake clock: one datapoint per minute fed by `load`.
struct ScalingWorld {
    var target = ScalableTarget(resourceId: "service/c/web", minCapacity: 1, maxCapacity: 10)
    var policies: [ScalingPolicy] = []
    var alarms: [MetricAlarm] = []
    var scheduled: [ScheduledAction] = []
    var capacity = 1
    var deploying = false
    var state = ScalingState()
    var now: Seconds = 1_800_000_000
    var points: [String: [Datapoint]] = [:]
    var activities: [ScalingActivity] = []
    var alarmStates: [String: AlarmState] = [:]
    var nextId = 0

    mutating func trackCPU(_ target: Double, name: String = "cpu", outCooldown: Seconds = 300, inCooldown: Seconds = 300, disableScaleIn: Bool = false) {
        policies.append(ScalingPolicy(name: name, arn: "arn:\(name)", resourceId: self.target.resourceId,
                                      configuration: .targetTracking(.init(targetValue: target, metric: .cpu, scaleOutCooldown: outCooldown, scaleInCooldown: inCooldown, disableScaleIn: disableScaleIn)),
                                      alarmId: "id-\(name)"))
    }

    /// Records one one-minute CPU datapoint for the minute that starts now, then moves to the
    /// next minute and decides.
    mutating func minute(cpu: Double?, metric: String = "CPUUtilization") {
        if let cpu {
            points[metricsKey(metric, period: 60), default: []].append(Datapoint(timestamp: periodStart(now, period: 60), average: cpu, minimum: cpu, maximum: cpu, sum: cpu, sampleCount: 1))
        }
        now += 60
        decideNow()
    }

    mutating func decideNow() {
        let input = ScalingInput(target: target, policies: policies, alarms: alarms, scheduledActions: scheduled, capacity: capacity,
                                 deploymentInProgress: deploying, metrics: points, state: state, now: now)
        var id = nextId
        let out = decide(input) { id += 1; return "act-\(id)" }
        nextId = id
        target = out.target
        state = out.state
        activities += out.activities
        alarmStates = out.alarmStates
        if let d = out.desiredCount { capacity = d }
    }

    /// Runs `n` minutes of the same load; returns the capacities after each.
    @discardableResult
    mutating func minutes(_ n: Int, cpu: Double?) -> [Int] {
        (0..<n).map { _ in minute(cpu: cpu); return capacity }
    }
}

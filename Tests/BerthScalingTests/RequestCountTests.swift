import Testing
@testable import BerthScaling

/// ALBRequestCountPerTarget on the fake clock: the managed alarms read the Sum of the
/// per-target request counts of each minute (samples taken every 5 s), scale out to
/// ceil(current × metric / target) and back in once the requests stop.
@Suite struct RequestCountTests {
    static let label = "app/web/0123456789abcdef/targetgroup/web-tg/fedcba9876543210"

    @Test func managedAlarmsSumRequestCountPerTarget() {
        let config = TargetTrackingConfiguration(targetValue: 50, metric: .albRequestCountPerTarget, resourceLabel: Self.label)
        let policy = ScalingPolicy(name: "req", arn: "arn:req", resourceId: "service/c/web", configuration: .targetTracking(config), alarmId: "x")
        let (high, low) = managedAlarms(policy, config)
        #expect(high.metricName == "RequestCountPerTarget" && high.statistic == .sum && high.period == 60 && high.evaluationPeriods == 3)
        #expect(low.statistic == .sum && low.threshold == 45 && low.evaluationPeriods == 15)
        #expect(high.name == "TargetTracking-service/c/web-AlarmHigh-x")
        #expect(config.seriesName == "RequestCountPerTarget@" + Self.label)
        #expect(TargetTrackingConfiguration(targetValue: 50, metric: .cpu).seriesName == "CPUUtilization")
    }

    @Test func weightedSamplesAggregateAsTheirObservations() {
        let points = aggregate([MetricSample(time: 0, value: 0.1, weight: 3), MetricSample(time: 10, value: 0.5, weight: 1),
                                MetricSample(time: 20, value: 9, weight: 0)], period: 60)
        #expect(points.count == 1)
        #expect(abs(points[0].sum - 0.8) < 1e-9 && points[0].sampleCount == 4 && abs(points[0].average - 0.2) < 1e-9)
        #expect(points[0].minimum == 0.1 && points[0].maximum == 0.5)
    }

    /// `rate` requests per minute reach the group, spread over `capacity` healthy targets; the
    /// store gets a sample every 5 s as the agent's sampler makes them.
    struct World {
        var w = ScalingWorld()
        let store = MetricStore()
        let key = MetricKey(namespace: "AWS/ApplicationELB", metricName: "RequestCountPerTarget", dimensions: [MetricDimension("TargetGroup", "targetgroup/web-tg/fedcba9876543210")])

        init() {
            let config = TargetTrackingConfiguration(targetValue: 50, metric: .albRequestCountPerTarget, scaleOutCooldown: 60, scaleInCooldown: 60, resourceLabel: RequestCountTests.label)
            w.policies.append(ScalingPolicy(name: "req", arn: "arn:req", resourceId: w.target.resourceId, configuration: .targetTracking(config), alarmId: "x"))
            w.target.maxCapacity = 6
        }

        mutating func minute(rate: Double) {
            for i in 0..<12 {
                store.record(key, MetricSample(time: w.now + Double(i) * 5, value: rate / 12 / Double(w.capacity)))
            }
            w.now += 60
            let series = "RequestCountPerTarget@" + RequestCountTests.label
            w.points[metricsKey(series, period: 60)] = store.datapoints(key, period: 60, from: w.now - 1200, to: w.now)
            w.decideNow()
        }
    }

    @Test func scalesOutOnRequestsAndBackInWhenTheyStop() {
        var r = World()
        r.minute(rate: 140)
        r.minute(rate: 140)
        #expect(r.w.capacity == 1)
        r.minute(rate: 140)
        #expect(r.w.capacity == 3)  // ceil(1 × 140 / 50): the Sum of the minute, not the 5 s average
        #expect(r.w.alarmStates["TargetTracking-service/c/web-AlarmHigh-x"] == .alarm)
        #expect(r.w.activities.last!.cause.contains("AlarmHigh-x in state ALARM triggered policy req to set desired count to 3"))
        // 140 per minute over 3 targets is 46.7 each: between 90 % of the target and the target.
        for _ in 0..<20 { r.minute(rate: 140) }
        #expect(r.w.capacity == 3)
        // The client stops: 0 requests per target for 15 minutes, then back to the minimum.
        for _ in 0..<14 { r.minute(rate: 0) }
        #expect(r.w.capacity == 3)
        r.minute(rate: 0)
        #expect(r.w.capacity == 1)
        #expect(r.w.activities.last!.cause.contains("AlarmLow-x in state ALARM"))
    }
}

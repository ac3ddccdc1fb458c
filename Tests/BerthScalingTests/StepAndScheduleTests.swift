import Foundation
import Testing
@testable import BerthScaling

@Suite struct StepScalingTests {
    static let steps = [
        StepAdjustment(lowerBound: 0, upperBound: 20, scalingAdjustment: 1),
        StepAdjustment(lowerBound: 20, upperBound: nil, scalingAdjustment: 3),
    ]

    func world(_ type: AdjustmentType = .changeInCapacity, steps: [StepAdjustment] = steps, cooldown: Seconds = 300, mam: Int? = nil) -> ScalingWorld {
        var w = ScalingWorld()
        w.policies = [ScalingPolicy(name: "up", arn: "arn:up", resourceId: w.target.resourceId,
                                    configuration: .step(.init(adjustmentType: type, steps: steps, minAdjustmentMagnitude: mam, cooldown: cooldown)))]
        w.alarms = [MetricAlarm(name: "high-cpu", metricName: "CPUUtilization", evaluationPeriods: 2, threshold: 60, comparison: .greaterThanOrEqual, actions: ["arn:up"])]
        return w
    }

    @Test func intervalsPickTheAdjustment() {
        var w = world()
        w.minutes(2, cpu: 70)
        #expect(w.capacity == 2)  // 70 - 60 = 10 is in [0, 20)
        var v = world()
        v.minutes(2, cpu: 80)
        #expect(v.capacity == 4)  // 20 is in [20, +inf)
        #expect(v.alarmStates["high-cpu"] == .alarm)
    }

    @Test func boundsBelowTheThresholdAreInclusiveAbove() {
        let steps = [StepAdjustment(lowerBound: -10, upperBound: 0, scalingAdjustment: -1), StepAdjustment(upperBound: -10, scalingAdjustment: -2)]
        // delta -10 is not in (-10, 0] but in (-inf, -10]
        #expect(matchingStep(steps, value: 50, threshold: 60)?.scalingAdjustment == -2)
        #expect(matchingStep(steps, value: 55, threshold: 60)?.scalingAdjustment == -1)
        #expect(validateSteps(steps) == nil)
        #expect(validateSteps([StepAdjustment(lowerBound: 0, upperBound: 10, scalingAdjustment: 1), StepAdjustment(lowerBound: 20, scalingAdjustment: 2)]) != nil)
    }

    @Test func percentAndExactAdjustments() {
        #expect(adjustedCapacity(10, 25, .percentChangeInCapacity, minAdjustmentMagnitude: nil) == 12)
        #expect(adjustedCapacity(2, 10, .percentChangeInCapacity, minAdjustmentMagnitude: nil) == 3)
        #expect(adjustedCapacity(2, 10, .percentChangeInCapacity, minAdjustmentMagnitude: 2) == 4)
        #expect(adjustedCapacity(10, -15, .percentChangeInCapacity, minAdjustmentMagnitude: nil) == 9)
        #expect(adjustedCapacity(3, 7, .exactCapacity, minAdjustmentMagnitude: nil) == 7)
        var w = world(.exactCapacity, steps: [StepAdjustment(lowerBound: 0, scalingAdjustment: 6)])
        w.minutes(2, cpu: 90)
        #expect(w.capacity == 6)
    }

    @Test func cooldownSpacesStepAdjustments() {
        var w = world(cooldown: 180)
        w.minutes(2, cpu: 70)
        #expect(w.capacity == 2)
        #expect(w.minutes(3, cpu: 70) == [2, 2, 3])
    }

    @Test func okAlarmDoesNothing() {
        var w = world()
        w.minutes(5, cpu: 50)
        #expect(w.capacity == 1)
        #expect(w.alarmStates["high-cpu"] == .ok)
    }
}

@Suite struct ScheduledActionTests {
    @Test func atSetsMinAndMaxAtItsTime() throws {
        var w = ScalingWorld()
        let when = w.now + 150
        w.scheduled = [ScheduledAction(name: "peak", resourceId: w.target.resourceId, expression: "at", schedule: .at(when), minCapacity: 3, maxCapacity: 6, createdAt: w.now)]
        w.decideNow()
        w.minute(cpu: nil)
        w.minute(cpu: nil)
        #expect(w.capacity == 1)
        w.minute(cpu: nil)
        #expect(w.capacity == 3)
        #expect(w.target.minCapacity == 3 && w.target.maxCapacity == 6)
        #expect(w.activities.last!.cause.contains("scheduled action name peak set min capacity to 3 and max capacity to 6"))
        w.minutes(5, cpu: nil)
        #expect(w.activities.count == 1)
    }

    @Test func suspendedScheduledScalingSkipsIt() {
        var w = ScalingWorld()
        w.target.suspended.scheduledScalingSuspended = true
        w.scheduled = [ScheduledAction(name: "peak", resourceId: w.target.resourceId, expression: "at", schedule: .at(w.now + 30), minCapacity: 3, createdAt: w.now)]
        w.decideNow()
        w.minute(cpu: nil)
        #expect(w.capacity == 1 && w.target.minCapacity == 1)
    }

    @Test func rateRepeatsFromItsStartAndFollowsTheTimeScale() {
        let a = ScheduledAction(name: "r", resourceId: "x", expression: "rate(5 minutes)", schedule: .rate(300), maxCapacity: 2, createdAt: 1000)
        #expect(!a.fires(after: 1000, upTo: 1299, timeScale: 1))
        #expect(a.fires(after: 1299, upTo: 1300, timeScale: 1))
        #expect(!a.fires(after: 1300, upTo: 1500, timeScale: 1))
        #expect(a.fires(after: 1002, upTo: 1003, timeScale: 0.01))
    }

    @Test func parsesSchedulesWithTimezones() throws {
        guard case .at(let t) = try Schedule.parse("at(2026-12-07T09:00:00)", timezone: "Europe/Paris") else { Issue.record("not at"); return }
        let expected: Double = 1_796_601_600 + 8 * 3600  // 08:00 UTC
        #expect(t == expected)
        guard case .cron(let c) = try Schedule.parse("cron(30 9 ? * MON-FRI *)", timezone: "America/New_York") else { Issue.record("not cron"); return }
        // Monday 2026-12-07 00:00 UTC → the first run is that day 09:30 EST = 14:30 UTC.
        let monday: Double = 1_796_601_600
        let first: Double = monday + 14.5 * 3600
        #expect(c.next(after: monday) == first)
        // Friday 2026-12-11 15:00 UTC (after 09:30 EST) → Monday 2026-12-14 14:30 UTC.
        let friday: Double = monday + 4 * 86_400 + 15 * 3600
        let nextMonday: Double = monday + 7 * 86_400 + 14.5 * 3600
        #expect(c.next(after: friday) == nextMonday)
        #expect(throws: ScheduleError.self) { try Schedule.parse("cron(0 9 L * ? *)", timezone: nil) }
        #expect(throws: ScheduleError.self) { try Schedule.parse("rate(5 weeks)", timezone: nil) }
        #expect(throws: ScheduleError.self) { try Schedule.parse("at(2026-12-07T09:00:00)", timezone: "Mars/Base") }
    }
}

@Suite struct MetricTests {
    @Test func aggregatesSamplesIntoAlignedPeriods() {
        let samples = [MetricSample(time: 120, value: 10), MetricSample(time: 150, value: 30), MetricSample(time: 185, value: 5)]
        let points = aggregate(samples, period: 60)
        #expect(points == [
            Datapoint(timestamp: 120, average: 20, minimum: 10, maximum: 30, sum: 40, sampleCount: 2),
            Datapoint(timestamp: 180, average: 5, minimum: 5, maximum: 5, sum: 5, sampleCount: 1),
        ])
    }

    @Test func storeKeepsABoundedHistory() {
        let store = MetricStore(maxSamples: 3)
        let key = MetricKey("CPUUtilization", cluster: "c", service: "s")
        for i in 0..<5 { store.record(key, MetricSample(time: Double(i), value: Double(i))) }
        #expect(store.samples(key).map(\.value) == [2, 3, 4])
        store.forget(cluster: "c", service: "s")
        #expect(store.keys.isEmpty)
    }

    @Test func utilizationIsUsageAgainstTheReservationAveragedOverTasks() {
        let a = TaskUsage(cpuSeconds: 2.5, interval: 5, cpuUnits: 512, memoryBytes: 64 * 1_048_576, memoryMiB: 256)
        let b = TaskUsage(cpuSeconds: 0.5, interval: 5, cpuUnits: 512, memoryBytes: 128 * 1_048_576, memoryMiB: 256)
        #expect(a.cpuPercent == 100)
        #expect(b.cpuPercent == 20)
        let u = serviceUtilization([a, b])
        #expect(u.cpu == 60)
        #expect(u.memory == 37.5)
        #expect(serviceUtilization([]).cpu == nil)
    }
}

import Testing
@testable import BerthScaling

@Suite struct TargetTrackingTests {
    @Test func scalesOutProportionallyAfterThreeBreachingDatapoints() {
        var w = ScalingWorld()
        w.trackCPU(50)
        #expect(w.minutes(2, cpu: 180) == [1, 1])
        w.minute(cpu: 180)
        #expect(w.capacity == 4)  // ceil(1 × 180 / 50)
        #expect(w.alarmStates["TargetTracking-service/c/web-AlarmHigh-id-cpu"] == .alarm)
        let a = w.activities.last!
        #expect(a.description == "Setting desired count to 4.")
        #expect(a.cause.contains("monitor alarm TargetTracking-service/c/web-AlarmHigh-id-cpu in state ALARM triggered policy cpu to set desired count to 4, changing the desired capacity from 1 to 4."))
        #expect(a.statusCode == "Successful")
    }

    @Test func oneMissingDatapointInTheWindowIsNotEnough() {
        var w = ScalingWorld()
        w.trackCPU(50)
        w.minutes(2, cpu: 90)
        w.minute(cpu: nil)
        w.minute(cpu: 90)
        #expect(w.capacity == 1)
        w.minutes(2, cpu: 90)
        #expect(w.capacity == 2)
    }

    @Test func insufficientDataDoesNothing() {
        var w = ScalingWorld()
        w.capacity = 5
        w.trackCPU(50)
        w.minutes(30, cpu: nil)
        #expect(w.capacity == 5)
        #expect(w.activities.isEmpty)
        #expect(w.alarmStates.values.allSatisfy { $0 == .insufficientData })
    }

    @Test func scalesInConservativelyAfterFifteenLowDatapoints() {
        var w = ScalingWorld()
        w.capacity = 4
        w.trackCPU(50)
        #expect(w.minutes(14, cpu: 20).allSatisfy { $0 == 4 })
        w.minute(cpu: 20)
        #expect(w.capacity == 2)  // ceil(4 × 20 / 50): 2 tasks at 40 % stay under the target
        #expect(w.activities.last!.cause.contains("AlarmLow-id-cpu in state ALARM"))
    }

    @Test func slightlyBelowTargetDoesNotScaleIn() {
        var w = ScalingWorld()
        w.capacity = 4
        w.trackCPU(50)
        w.minutes(40, cpu: 46)  // above 90 % of the target
        #expect(w.capacity == 4)
    }

    @Test func disableScaleInKeepsCapacity() {
        var w = ScalingWorld()
        w.capacity = 4
        w.trackCPU(50, disableScaleIn: true)
        w.minutes(40, cpu: 5)
        #expect(w.capacity == 4)
        w.minutes(3, cpu: 100)
        #expect(w.capacity == 8)
    }

    @Test func clampsToMinAndMax() {
        var w = ScalingWorld()
        w.target.maxCapacity = 3
        w.trackCPU(50)
        w.minutes(3, cpu: 400)
        #expect(w.capacity == 3)
        w.target.minCapacity = 2
        w.minutes(30, cpu: 1)
        #expect(w.capacity == 2)
    }

    @Test func capacityOutsideTheRangeIsClamped() {
        var w = ScalingWorld()
        w.capacity = 0
        w.target.minCapacity = 2
        w.decideNow()
        #expect(w.capacity == 2)
        #expect(w.activities.count == 1)
    }

    @Test func scaleOutCooldownHoldsFurtherScaleOut() {
        var w = ScalingWorld()
        w.trackCPU(50, outCooldown: 300)
        w.minutes(3, cpu: 100)
        #expect(w.capacity == 2)
        #expect(w.minutes(4, cpu: 100) == [2, 2, 2, 2])  // 240 s of the 300 s cooldown
        w.minute(cpu: 100)
        #expect(w.capacity == 4)
    }

    @Test func scaleOutIsAllowedDuringAScaleInCooldownAndEndsIt() {
        var w = ScalingWorld()
        w.capacity = 4
        w.trackCPU(50, outCooldown: 0, inCooldown: 3600)
        w.minutes(15, cpu: 10)
        #expect(w.capacity == 1)
        #expect(w.state.scaleInCooldownUntil != nil)
        w.minutes(3, cpu: 120)
        #expect(w.capacity == 3)
        #expect(w.state.scaleInCooldownUntil == nil)
    }

    @Test func scaleInWaitsForItsCooldown() {
        var w = ScalingWorld()
        w.capacity = 8
        w.trackCPU(50, inCooldown: 1200)
        w.minutes(15, cpu: 20)
        #expect(w.capacity == 4)
        w.minutes(19, cpu: 20)
        #expect(w.capacity == 4)
        w.minute(cpu: 20)
        #expect(w.capacity == 2)
    }

    @Test func severalPoliciesTakeTheLargestCapacity() {
        var w = ScalingWorld()
        w.trackCPU(50, name: "a")
        w.trackCPU(25, name: "b")
        w.minutes(3, cpu: 100)
        #expect(w.capacity == 4)  // b: ceil(1 × 100 / 25) beats a: 2
    }

    @Test func scaleInNeedsEveryPolicyToAgree() {
        var w = ScalingWorld()
        w.capacity = 4
        w.trackCPU(50, name: "a")
        w.trackCPU(21, name: "b")
        w.minutes(20, cpu: 20)  // below a's low alarm (45), not below b's (18.9)
        #expect(w.capacity == 4)
    }

    @Test func noScaleInDuringADeploymentButScaleOutContinues() {
        var w = ScalingWorld()
        w.capacity = 4
        w.deploying = true
        w.trackCPU(50)
        w.minutes(20, cpu: 10)
        #expect(w.capacity == 4)
        w.minutes(3, cpu: 100)
        #expect(w.capacity == 8)
        w.deploying = false
        w.minutes(15, cpu: 5)
        #expect(w.capacity == 1)
    }

    @Test func suspendedStatesBlockTheirDirection() {
        var w = ScalingWorld()
        w.capacity = 4
        w.target.suspended.dynamicScalingInSuspended = true
        w.trackCPU(50)
        w.minutes(20, cpu: 10)
        #expect(w.capacity == 4)
        w.target.suspended = .init(dynamicScalingOutSuspended: true)
        w.minutes(10, cpu: 100)
        #expect(w.capacity == 4)
        w.target.suspended = .init()
        w.minute(cpu: 100)
        #expect(w.capacity == 8)
    }

    @Test func timeScaleShrinksPeriodsAndCooldowns() {
        var w = ScalingWorld()
        w.trackCPU(50)
        let scale = 0.01
        for _ in 0..<3 {
            w.points[metricsKey("CPUUtilization", period: 60), default: []].append(
                Datapoint(timestamp: periodStart(w.now, period: 60 * scale), average: 150, minimum: 150, maximum: 150, sum: 150, sampleCount: 1))
            w.now += 60 * scale
            let out = decide(ScalingInput(target: w.target, policies: w.policies, capacity: w.capacity, metrics: w.points, state: w.state, now: w.now, timeScale: scale)) { "x" }
            w.state = out.state
            if let d = out.desiredCount { w.capacity = d }
        }
        #expect(w.capacity == 3)
        #expect(w.state.scaleOutCooldownUntil! - w.now == 300 * scale)
    }
}

import Testing
@testable import BerthController

@Suite struct ThrottleScheduleTests {
    @Test func defaultScheduleDoublesFrom10SecondsUpTo27Minutes() {
        let schedule = ThrottleSchedule()
        let delays = (1...13).map { schedule.delay(afterFailures: $0) }
        #expect(delays == [0, 0, 10, 20, 40, 80, 160, 320, 640, 1280, 1620, 1620, 1620])
    }

    @Test func neverExceedsTheCapEvenAfterManyFailures() {
        #expect(ThrottleSchedule().delay(afterFailures: 10_000) == 1_620)
    }

    @Test func scheduleIsConfigurable() {
        let schedule = ThrottleSchedule(failuresBeforeThrottle: 1, baseDelaySeconds: 5, multiplier: 3, maxDelaySeconds: 100)
        #expect((1...5).map { schedule.delay(afterFailures: $0) } == [5, 15, 45, 100, 100])
    }

    @Test func timeScaleShrinksTheCap() {
        let config = ControllerConfig(timeScale: 0.01)
        #expect(config.scaled(ThrottleSchedule().delay(afterFailures: 50)) == 16.2)
        #expect(config.scaled(config.healthyAfterRunningSeconds) == 0.4)
    }
}

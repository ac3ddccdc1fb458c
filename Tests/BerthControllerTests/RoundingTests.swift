import Testing
@testable import BerthController

@Suite struct RoundingTests {
    @Test(arguments: [
        (4, 50, 2), (2, 75, 2), (3, 50, 2), (3, 100, 3), (1, 50, 1), (0, 100, 0), (5, 0, 0), (7, 33, 3),
    ])
    func minimumHealthyRoundsUp(desired: Int, percent: Int, expected: Int) {
        let config = DeploymentConfiguration(minimumHealthyPercent: percent)
        #expect(config.minimumHealthyTasks(desired: desired) == expected)
    }

    @Test(arguments: [
        (4, 200, 8), (3, 125, 3), (3, 150, 4), (4, 150, 6), (1, 150, 1), (5, 110, 5), (0, 200, 0),
    ])
    func maximumRoundsDown(desired: Int, percent: Int, expected: Int) {
        let config = DeploymentConfiguration(maximumPercent: percent)
        #expect(config.maximumTasks(desired: desired) == expected)
    }

    @Test func defaultsAre100And200WithoutBreaker() {
        let config = DeploymentConfiguration()
        #expect(config.minimumHealthyPercent == 100)
        #expect(config.maximumPercent == 200)
        #expect(config.deploymentCircuitBreaker == nil)
    }

    @Test(arguments: [(1, 3), (5, 3), (6, 3), (7, 4), (25, 13), (400, 200), (800, 200), (0, 3)])
    func circuitBreakerThresholdIsClampedHalf(desired: Int, expected: Int) {
        #expect(CircuitBreakerConfiguration.threshold(desired: desired) == expected)
    }
}

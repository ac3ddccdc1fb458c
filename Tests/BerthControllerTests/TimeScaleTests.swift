import Testing
@testable import BerthController

/// Whole stories at timeScale 0.01 with tasks that start in 50 ms: what takes minutes in
/// ECS time takes seconds.
@Suite struct TimeScaleTests {
    let fast = Behavior(startDelay: 0.05, hasHealthCheck: false, stopDelay: 0.02)

    func fastStory(desired: Int, minimum: Int = 100, maximum: Int = 200, breaker: CircuitBreakerConfiguration? = nil) -> Story {
        var story = Story(desired: desired, minimum: minimum, maximum: maximum, breaker: breaker, config: ControllerConfig(timeScale: 0.01))
        story.world.defaultBehavior = fast
        return story
    }

    @Test func rollingUpdateFinishesInAboutASecond() {
        var story = fastStory(desired: 4, minimum: 50, maximum: 150)
        #expect(story.run(dt: 0.02) { $0.isSteady })
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let start = story.now
        let done = story.run(dt: 0.02, invariant: { s in
            #expect(s.healthy.count >= 2)
            #expect(s.live.count <= 6)
        }, until: { $0.isSteady })
        #expect(done)
        #expect(story.now - start < 2)
    }

    @Test func breakerRollbackStoryInSeconds() {
        var story = fastStory(desired: 2, breaker: CircuitBreakerConfiguration(enable: true, rollback: true))
        story.run(dt: 0.02) { $0.isSteady }
        story.world.behaviors[Story.taskDefV2] = Behavior(startDelay: 0.05, failsToStart: true)
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let start = story.now
        #expect(story.run(dt: 0.02) { $0.isSteady && $0.state.primary?.restoresDeploymentId != nil })
        #expect(story.now - start < 3)
        #expect(story.live.allSatisfy { $0.taskDefinitionArn == Story.taskDefV1 })
    }

    @Test func throttleCapIs16SecondsAtOneHundredthScale() {
        var story = fastStory(desired: 1)
        story.world.defaultBehavior = Behavior(startDelay: 0.05, failsToStart: true)
        story.run(dt: 0.05, upTo: 4000) { $0.state.throttle.consecutiveFailures >= 12 }
        #expect(story.state.throttle.consecutiveFailures >= 12)
        #expect(abs(story.state.throttle.currentDelay - 16.2) < 1e-9)
    }
}

import Testing
@testable import BerthController

@Suite struct CircuitBreakerTests {
    /// A steady service on v1, then an update to a v2 that cannot start.
    func brokenUpdate(desired: Int = 2, rollback: Bool, behavior: Behavior = Behavior(failsToStart: true)) -> Story {
        var story = Story(desired: desired, breaker: CircuitBreakerConfiguration(enable: true, rollback: rollback))
        story.run { $0.isSteady }
        story.world.behaviors[Story.taskDefV2] = behavior
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        return story
    }

    @Test func tripsAtThresholdWithoutRollback() {
        var story = brokenUpdate(rollback: false)
        let failedId = story.state.primary!.id
        #expect(story.run(upTo: 300) { $0.state.primary?.rolloutState == .failed })
        let primary = story.state.primary!
        #expect(primary.id == failedId)
        #expect(primary.failedTasks >= 3)  // two tasks launch (and fail) at a time: 2, then 4
        #expect(primary.rolloutStateReason == "ECS deployment circuit breaker: tasks failed to start.")
        #expect(primary.circuitBreakerStatus(story.state.deploymentConfiguration) == "TRIGGERED")
        #expect(story.messages.contains("(service web) (deployment \(failedId)) deployment failed: tasks failed to start."))
        // A FAILED deployment launches nothing more; the old tasks keep serving.
        let starts = story.starts.count
        story.run(upTo: 100) { _ in false }
        #expect(story.starts.count == starts)
        #expect(story.healthy.count == 2)
        #expect(story.healthy.allSatisfy { $0.taskDefinitionArn == Story.taskDefV1 })
    }

    @Test func rollsBackToTheLastCompletedDeployment() {
        var story = brokenUpdate(rollback: true)
        let completed = story.state.lastCompleted!
        let failedId = story.state.primary!.id
        #expect(story.run(upTo: 300) { $0.state.primary?.id != failedId })
        let rollback = story.state.primary!
        #expect(rollback.taskDefinition == Story.taskDefV1)
        #expect(rollback.id != completed.id)
        #expect(rollback.rolloutState == .inProgress)
        #expect(rollback.rolloutStateReason == "ECS deployment circuit breaker: rolling back to deploymentId \(completed.id).")
        #expect(rollback.restoresDeploymentId == completed.id)
        // The failed deployment has no tasks left, so it is already drained away; if it
        // were still listed it would be ACTIVE and FAILED.
        if let failed = story.state.deployments.first(where: { $0.id == failedId }) {
            #expect(failed.status == .active)
            #expect(failed.rolloutState == .failed)
        }
        #expect(story.messages.prefix(2).contains("(service web) rolling back to deployment \(completed.id)."))
        #expect(story.run { $0.isSteady })
        #expect(story.state.deployments.count == 1)
        #expect(story.live.allSatisfy { $0.taskDefinitionArn == Story.taskDefV1 })
        #expect(story.state.lastCompleted?.id == rollback.id)
    }

    @Test func thresholdFollowsDesiredCount() {
        // desired 8, maximumPercent 125: two new tasks at a time, so failures come in pairs
        // and the breaker (threshold 4) trips exactly when the count reaches 4.
        var story = Story(desired: 8, maximum: 125, breaker: CircuitBreakerConfiguration(enable: true, rollback: false))
        story.run { $0.isSteady }
        story.world.behaviors[Story.taskDefV2] = Behavior(failsToStart: true)
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        var counts: [Int] = []
        story.run(upTo: 300, invariant: { s in
            if let n = s.state.primary?.failedTasks, counts.last != n { counts.append(n) }
        }, until: { $0.state.primary?.rolloutState == .failed })
        #expect(counts == [0, 2, 4])
        #expect(story.state.primary?.rolloutState == .failed)
    }

    @Test func healthCheckFailuresBeforeHealthyCountForTheBreaker() {
        let sick = Behavior(hasHealthCheck: true, healthyAfter: nil, unhealthyAfter: 1)
        var story = brokenUpdate(rollback: true, behavior: sick)
        let failedId = story.state.primary!.id
        var failedTasks = 0
        let rolledBack = story.run(upTo: 300, invariant: { s in
            failedTasks = s.state.deployments.first { $0.id == failedId }?.failedTasks ?? failedTasks
        }, until: { $0.state.primary?.id != failedId })
        #expect(rolledBack)
        #expect(story.stops.contains { $0.reason == "Task failed container health checks" })
        #expect(failedTasks >= 2)  // the tick that trips it also drains it from the list
        #expect(story.messages.contains(EventMessage.deploymentFailed("web", deploymentId: failedId)))
        // Stopped for health checks: breaker yes, start throttle no (ecs-semantics §5.8).
        #expect(story.state.throttle.consecutiveFailures == 0)
    }

    @Test func breakerStopsWatchingOnceATaskWasHealthy() {
        var story = Story(desired: 2, breaker: CircuitBreakerConfiguration(enable: true, rollback: true))
        story.run { $0.isSteady }
        #expect(story.state.primary?.healthyTaskSeen == true)
        #expect(story.state.primary?.circuitBreakerStatus(story.state.deploymentConfiguration) == "MONITORING_COMPLETE")
        // Tasks now crash once healthy: replaced forever, never a breaker trip.
        for i in story.world.tasks.indices { story.world.tasks[i].behavior.crashAfter = 45 }
        story.world.defaultBehavior = Behavior(crashAfter: 45)
        story.run(upTo: 400) { _ in false }
        #expect(story.state.primary?.rolloutState == .completed)
        #expect(story.state.primary?.failedTasks == 0)
    }

    @Test func noRollbackWithoutACompletedDeployment() {
        var story = Story(desired: 1, breaker: CircuitBreakerConfiguration(enable: true, rollback: true))
        story.world.defaultBehavior = Behavior(failsToStart: true)
        story.run(upTo: 300) { $0.state.primary?.rolloutState == .failed }
        #expect(story.state.deployments.count == 1)
        #expect(story.state.primary?.rolloutState == .failed)
        #expect(!story.messages.contains { $0.contains("rolling back") })
    }

    @Test func aFailingRollbackIsNotRolledBackAgain() {
        var story = brokenUpdate(rollback: true)
        story.world.behaviors[Story.taskDefV1] = Behavior(failsToStart: true)  // v1 broke too
        story.run(upTo: 2000) { s in s.state.primary?.restoresDeploymentId != nil && s.state.primary?.rolloutState == .failed }
        #expect(story.state.primary?.rolloutState == .failed)
        #expect(story.state.primary?.restoresDeploymentId != nil)
        #expect(story.messages.filter { $0.contains("rolling back to deployment") }.count == 1)
    }

    @Test func disabledBreakerNeverFails() {
        var story = Story(desired: 1)
        story.world.defaultBehavior = Behavior(failsToStart: true)
        story.run(upTo: 300) { _ in false }
        #expect(story.state.primary?.rolloutState == .inProgress)
        #expect(story.state.primary?.failedTasks ?? 0 >= 3)
        #expect(story.state.primary?.circuitBreakerStatus(story.state.deploymentConfiguration) == "DISABLED")
    }
}

import Testing
@testable import BerthController

@Suite struct HealthReplacementTests {
    /// Healthy service whose tasks later turn UNHEALTHY.
    func storyWithTasksTurningUnhealthy(grace: Int, unhealthyAfter: Double) -> Story {
        var story = Story(desired: 2, minimum: 50, maximum: 200, grace: grace)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: 2, unhealthyAfter: unhealthyAfter)
        return story
    }

    @Test func unhealthyTaskIsStoppedWithReasonAndEvent() {
        var story = storyWithTasksTurningUnhealthy(grace: 0, unhealthyAfter: 30)
        #expect(story.run(upTo: 200) { !$0.stops.isEmpty })
        let stop = story.stops[0]
        #expect(stop.reason == "Task failed container health checks")
        #expect(stop.stopCode == .serviceSchedulerInitiated)
        let id = taskIdFromArn(stop.taskArn)
        #expect(story.messages.contains("(service web) (task \(id)) failed container health checks."))
        #expect(story.messages.contains { $0.hasPrefix("(service web) has stopped") && $0.contains(id) })
    }

    @Test func replacementIsStartedWhileTheUnhealthyTaskStops() {
        var story = storyWithTasksTurningUnhealthy(grace: 0, unhealthyAfter: 30)
        story.run(upTo: 200) { !$0.stops.isEmpty }
        // maximumPercent 200 leaves room: the replacement starts in the same tick.
        #expect(story.lastActions.contains { if case .startTask = $0 { true } else { false } })
    }

    @Test func unhealthyTasksAreIgnoredDuringTheGracePeriod() {
        var story = Story(desired: 1, grace: 60)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: nil, unhealthyAfter: 1)
        story.run(upTo: 60) { _ in false }  // RUNNING at +2 s, grace until +62 s
        #expect(story.stops.isEmpty)
        #expect(story.lastWake != nil)
        story.run(upTo: 5) { !$0.stops.isEmpty }
        #expect(story.stops.count == 1)
        #expect(story.stops[0].reason == "Task failed container health checks")
    }

    @Test func gracePeriodFollowsTheTimeScale() {
        var story = Story(desired: 1, grace: 60, config: ControllerConfig(timeScale: 0.1))
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: nil, unhealthyAfter: 0.1)
        story.run(dt: 0.1, upTo: 200) { !$0.stops.isEmpty }
        let startedAt = story.world.tasks[0].task.startedAt!
        #expect(story.now - startedAt >= 6 && story.now - startedAt < 6.3)
    }

    @Test func healthCheckFailuresNeverDropBelowMinimumHealthy() {
        var story = Story(desired: 4, minimum: 50, maximum: 150)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: 2)
        story.run { $0.isSteady }
        // From now on one task at a time goes bad.
        let arn = story.live[0].taskArn
        let i = story.world.tasks.firstIndex { $0.task.taskArn == arn }!
        story.world.tasks[i].task.healthStatus = .unhealthy
        story.world.tasks[i].behavior.unhealthyAfter = 0
        let done = story.run(invariant: { s in
            #expect(s.live.count <= 6)
        }, until: { $0.healthy.count == 4 && !$0.live.contains { $0.taskArn == arn } })
        #expect(done)
        #expect(story.healthy.count == 4)
        // A task that had been healthy is not a deployment failure.
        #expect(story.state.primary?.failedTasks == 0)
        #expect(story.state.throttle.consecutiveFailures == 0)
    }

    @Test func tasksWithoutHealthCheckCountHealthyAfter40Seconds() {
        var story = Story(desired: 1)
        story.tick()
        story.run(upTo: 100) { $0.state.primary?.rolloutState == .completed }
        let startedAt = story.world.tasks[0].task.startedAt!
        #expect(story.now - startedAt >= 40 && story.now - startedAt < 41)
    }
}

import Testing
@testable import BerthController

@Suite struct HealthReplacementTests {
    /// A steady service whose first task then fails its health checks for good.
    func storyWithOneTaskGoingBad(desired: Int, minimum: Int = 100, maximum: Int = 200, grace: Int = 0) -> (Story, String) {
        var story = Story(desired: desired, minimum: minimum, maximum: maximum, grace: grace)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: 2)
        story.run { $0.isSteady }
        let arn = story.world.tasks[0].task.taskArn
        story.world.tasks[0].behavior.unhealthyAfter = 0
        return (story, arn)
    }

    func startCount(_ actions: [ControllerAction]) -> Int {
        actions.filter { if case .startTask = $0 { true } else { false } }.count
    }

    @Test func replacementStartsFirstAndTheUnhealthyTaskStopsOnceItIsHealthy() {
        var (story, arn) = storyWithOneTaskGoingBad(desired: 2)
        story.tick()
        let id = taskIdFromArn(arn)
        #expect(story.messages.prefix(2).contains("(service web) (task \(id)) failed container health checks."))
        #expect(startCount(story.lastActions) == 1)
        #expect(story.stops.isEmpty)  // still running while its replacement starts
        #expect(story.run(upTo: 20) { !$0.stops.isEmpty })
        #expect(story.healthy.count == 2)  // the replacement is healthy before the stop
        #expect(story.stops == [StopTaskOrder(taskArn: arn, reason: "Task failed container health checks", stopCode: .serviceSchedulerInitiated)])
        #expect(story.messages.contains { $0.hasPrefix("(service web) has stopped 1 running tasks: (task \(id)).") })
        #expect(story.messages.filter { $0.contains("failed container health checks") }.count == 1)
        #expect(story.run { $0.isSteady && $0.healthy.count == 2 })
        // A task that had been healthy is no deployment failure.
        #expect(story.state.primary?.failedTasks == 0)
        #expect(story.state.throttle.consecutiveFailures == 0)
    }

    @Test func withoutRoomUnhealthyTasksAreStoppedOneAtATime() {
        var story = Story(desired: 3, minimum: 0, maximum: 100)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: 2)
        story.run { $0.isSteady }
        for i in story.world.tasks.indices { story.world.tasks[i].behavior.unhealthyAfter = 0 }
        story.tick()
        #expect(story.stops.count == 1)
        #expect(startCount(story.lastActions) == 0)
        let done = story.run(invariant: { s in
            #expect(s.live.count <= 3)
            let stoppingForHealth = s.live.filter { $0.desiredStatus == .stopped }.count
            #expect(stoppingForHealth <= 1)
        }, until: { $0.isSteady && $0.healthy.count == 3 })
        #expect(done)
        #expect(story.stops.count == 3)
    }

    @Test func unhealthyTasksAreIgnoredDuringTheGracePeriod() {
        var story = Story(desired: 1, grace: 60)
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: nil, unhealthyAfter: 1)
        story.run(upTo: 60) { _ in false }  // RUNNING at +2 s, grace until +62 s
        #expect(story.starts.count == 1)
        #expect(!story.messages.contains { $0.contains("failed container health checks") })
        #expect(story.lastWake != nil)
        story.run(upTo: 5) { $0.starts.count > 1 }
        #expect(story.starts.count == 2)
        #expect(story.messages.contains { $0.contains("failed container health checks") })
    }

    @Test func gracePeriodFollowsTheTimeScale() {
        var story = Story(desired: 1, grace: 60, config: ControllerConfig(timeScale: 0.1))
        story.world.defaultBehavior = Behavior(hasHealthCheck: true, healthyAfter: nil, unhealthyAfter: 0.1)
        story.run(dt: 0.1, upTo: 200) { $0.starts.count > 1 }
        let startedAt = story.world.tasks[0].task.startedAt!
        #expect(story.now - startedAt >= 6 && story.now - startedAt < 6.3)
    }

    @Test func boundsHoldWhileReplacingUnhealthyTasks() {
        var (story, arn) = storyWithOneTaskGoingBad(desired: 4, minimum: 50, maximum: 150)
        let done = story.run(invariant: { s in
            #expect(s.live.count <= 6)
            #expect(s.healthy.count >= 2)
        }, until: { $0.healthy.count == 4 && !$0.live.contains { $0.taskArn == arn } })
        #expect(done)
    }

    @Test func scaleInStopsUnhealthyTasksFirst() {
        var (story, arn) = storyWithOneTaskGoingBad(desired: 3, maximum: 100)
        story.update(UpdateServiceInput(desiredCount: 2))
        story.tick()
        #expect(story.stops.map(\.taskArn) == [arn])
        #expect(story.stops.first?.reason == "Task failed container health checks")
    }

    @Test func tasksWithoutHealthCheckCountHealthyAfter40Seconds() {
        var story = Story(desired: 1)
        story.tick()
        story.run(upTo: 100) { $0.state.primary?.rolloutState == .completed }
        let startedAt = story.world.tasks[0].task.startedAt!
        #expect(story.now - startedAt >= 40 && story.now - startedAt < 41)
    }
}

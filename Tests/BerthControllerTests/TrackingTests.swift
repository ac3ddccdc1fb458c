import Testing
@testable import BerthController

@Suite struct TrackingTests {
    @Test func liveTaskOfAnUnknownDeploymentIsStopped() {
        var story = Story(desired: 1)
        story.run { $0.isSteady }
        let stray = ObservedTask(
            taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/feedfeedfeedfeedfeedfeedfeedfeed",
            deploymentId: "ecs-svc/1111111111111111111", taskDefinitionArn: Story.taskDefV1,
            lastStatus: .running, createdAt: story.now, startedAt: story.now)
        story.world.tasks.append(.init(task: stray, behavior: Behavior()))
        story.tick()
        #expect(story.lastActions == [.stopTask(StopTaskOrder(
            taskArn: stray.taskArn, reason: "Scaling activity initiated by (deployment ecs-svc/1111111111111111111)"))])
        #expect(story.run { $0.isSteady && $0.live.count == 1 })
    }

    @Test func aTaskThatVanishesIsReplaced() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        story.world.tasks.removeFirst()
        story.tick()
        #expect(story.lastActions.count == 1)
        #expect(story.state.throttle.consecutiveFailures == 0)  // it had been healthy
        #expect(story.run { $0.isSteady })
    }

    @Test func wakeAtPointsAtTheFortySecondRule() {
        var story = Story(desired: 1)
        story.run(upTo: 10) { $0.state.runningCount == 1 }
        let startedAt = story.world.tasks[0].task.startedAt!
        #expect(story.lastWake == startedAt + 40)
    }

    @Test func wakeAtPointsAtTheThrottleEnd() {
        var story = Story(desired: 1)
        story.world.defaultBehavior = Behavior(failsToStart: true)
        story.run(upTo: 100) { $0.state.throttledUntil(now: $0.now) != nil }
        #expect(story.lastWake == story.state.throttle.nextLaunchAt)
    }

    @Test func stopsOrderedByTheControllerAreNotFailures() {
        var story = Story(desired: 3)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 1))
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 3))
        story.tick()
        story.update(UpdateServiceInput(desiredCount: 1))  // stop them before they are healthy
        story.run { $0.isSteady }
        #expect(story.state.throttle.consecutiveFailures == 0)
        #expect(story.state.primary?.failedTasks == 0)
    }

    @Test func sameInputsGiveSameOutputs() {
        var a = Story(desired: 3, minimum: 50, maximum: 150)
        var b = Story(desired: 3, minimum: 50, maximum: 150)
        a.run(upTo: 80) { _ in false }
        b.run(upTo: 80) { _ in false }
        #expect(a.state == b.state)
        #expect(a.allActions == b.allActions)
    }
}

extension TrackingTests {
    @Test func aLaunchFirstSeenAlreadyStoppedIsAFailedStart() {
        var story = Story(desired: 1)
        story.world.defaultBehavior = Behavior(startDelay: 0.5, failsToStart: true)
        story.tick()
        story.tick()  // the task went PROVISIONING -> STOPPED between two ticks
        #expect(story.state.throttle.consecutiveFailures == 1)
        #expect(story.state.primary?.failedTasks == 1)
        #expect(story.state.bookkeeping.tasks.isEmpty)
    }
}

extension TrackingTests {
    @Test func aStopOrderTheAgentLostIsRepeated() {
        var story = Story(desired: 2, config: ControllerConfig(launchTimeoutSeconds: 5))
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 1))
        // The agent dies before applying the stop.
        story.now += 1
        let result = reconcile(story.state, tasks: story.world.observed, now: story.now, config: story.config, ids: &story.ids)
        story.state = result.state
        guard case .stopTask(let lost) = result.actions.first else {
            Issue.record("expected a stop")
            return
        }
        story.run(upTo: 4) { _ in false }
        #expect(story.stops.isEmpty)  // not yet: the agent may still apply it
        story.run(upTo: 3) { !$0.stops.isEmpty }
        #expect(story.stops == [lost])
        #expect(story.run { $0.isSteady && $0.live.count == 1 })
        #expect(story.messages.filter { $0.hasPrefix("(service web) has stopped") }.count == 1)
    }
}

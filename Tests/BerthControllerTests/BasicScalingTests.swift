import Testing
@testable import BerthController

@Suite struct BasicScalingTests {
    @Test func createServiceStartsDesiredTasksAndReachesSteadyState() {
        var story = Story(desired: 3)
        story.tick()
        #expect(story.lastActions.count == 3)
        #expect(story.state.pendingCount == 3)
        #expect(story.state.primary?.pendingCount == 3)
        #expect(story.messages.first?.hasPrefix("(service web) has started 3 tasks: (task ") == true)
        #expect(story.run { $0.isSteady })
        #expect(story.state.runningCount == 3)
        #expect(story.state.primary?.rolloutState == .completed)
        #expect(story.messages.prefix(2) == [
            "(service web) has reached a steady state.",
            "(service web) (deployment \(story.state.primary!.id)) deployment completed.",
        ])
    }
}

extension BasicScalingTests {
    @Test func countsFollowTaskStatusesAtEveryTick() {
        var story = Story(desired: 2)
        story.run(upTo: 120, invariant: { s in
            let live = s.live
            #expect(s.state.runningCount == live.filter { $0.lastStatus == .running }.count)
            let pending = live.filter { $0.lastStatus < .running }.count
            // Launch orders of this tick are already tasks in the world.
            #expect(s.state.pendingCount == pending)
            #expect(s.state.primary?.runningCount == s.state.runningCount)
        }, until: { $0.isSteady })
        #expect(story.isSteady)
    }

    @Test func startedTasksCarryDeploymentIdAndServiceGroup() {
        var story = Story(desired: 2)
        story.tick()
        let primary = story.state.primary!
        #expect(story.starts.count == 2)
        for order in story.starts {
            #expect(order.deploymentId == primary.id)
            #expect(order.taskDefinition == Story.taskDefV1)
            #expect(order.group == "service:web")
            #expect(order.taskId.count == 32)
        }
    }

    @Test func doesNotStartTwiceWhileLaunchesAreInFlight() {
        var story = Story(desired: 2)
        story.world.dropStarts = true
        story.tick()
        story.tick()
        #expect(story.starts.count == 2)
        #expect(story.state.pendingCount == 2)
    }

    @Test func replacesATaskThatStopsAfterBeingHealthy() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        let victim = story.live[0]
        story.world.requestStop(arn: victim.taskArn, code: .essentialContainerExited, reason: "Essential container in task exited", now: story.now)
        let before = story.starts.count
        story.run(upTo: 10) { $0.starts.count > before }
        #expect(story.starts.count == before + 1)
        #expect(story.state.throttle.consecutiveFailures == 0)
        #expect(story.run { $0.isSteady })
    }

    @Test func replacesATaskStoppedByTheUserWithoutCountingAFailure() {
        var story = Story(desired: 1)
        story.run { $0.isSteady }
        story.world.requestStop(arn: story.live[0].taskArn, code: .userInitiated, reason: "Task stopped by user", now: story.now)
        #expect(story.run { $0.isSteady })
        #expect(story.starts.count == 2)
        #expect(story.state.primary?.failedTasks == 0)
    }

    @Test func scaleOutStartsOnlyTheMissingTasks() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 5))
        #expect(story.state.deployments.count == 1)
        story.tick()
        #expect(story.lastActions.count == 3)
        #expect(story.run { $0.isSteady })
        #expect(story.state.runningCount == 5)
    }

    @Test func scaleInStopsPendingThenNotYetHealthyThenHealthyNewestFirst() {
        var story = Story(desired: 3)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 5))
        story.tick()  // two new tasks, still provisioning
        let fresh = Set(story.lastActions.compactMap { if case .startTask(let o) = $0 { o.taskId } else { nil } })
        story.update(UpdateServiceInput(desiredCount: 2))
        story.tick()
        let stopped = story.lastActions.compactMap { if case .stopTask(let o) = $0 { taskIdFromArn(o.taskArn) } else { nil } }
        #expect(stopped.count == 3)
        #expect(Set(stopped.prefix(2)) == fresh)
        for action in story.lastActions {
            if case .stopTask(let o) = action {
                #expect(o.stopCode == .serviceSchedulerInitiated)
                #expect(o.reason == "Scaling activity initiated by (deployment \(story.state.primary!.id))")
            }
        }
        #expect(story.messages.first?.hasPrefix("(service web) has stopped 3 running tasks: ") == true)
        #expect(story.run { $0.isSteady })
        #expect(story.state.runningCount == 2)
    }

    @Test func scaleToZeroStopsEverything() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 0))
        #expect(story.run { $0.live.isEmpty && $0.isSteady })
        #expect(story.state.runningCount == 0)
    }

    @Test func steadyStateIsRepeatedEverySixHoursScaled() {
        var story = Story(desired: 1, config: ControllerConfig(timeScale: 0.001))
        story.run(dt: 0.01) { $0.isSteady }
        let count = { (s: Story) in s.messages.filter { $0 == "(service web) has reached a steady state." }.count }
        #expect(count(story) == 1)
        story.run(dt: 1, upTo: 21) { _ in false }  // 21 s < 21.6 s
        #expect(count(story) == 1)
        story.tick(1)
        #expect(count(story) == 2)
        #expect(story.lastWake != nil)
    }

    @Test func eventsAreCappedAtOneHundredNewestFirst() {
        var story = Story(desired: 1, config: ControllerConfig(timeScale: 0.0001))
        story.run(dt: 0.01) { $0.isSteady }
        story.run(dt: 3, upTo: 200) { _ in false }
        #expect(story.state.events.count == 100)
        #expect(story.state.events[0].createdAt >= story.state.events[99].createdAt)
    }
}

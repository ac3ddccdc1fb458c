import Testing
@testable import BerthController

@Suite struct RollingUpdateTests {
    /// The integration scenario: 4 tasks, min 50 %, max 150 %: never fewer than 2 healthy,
    /// never more than 6 live, ends with one COMPLETED deployment running the new revision.
    @Test(arguments: [false, true])
    func fourTasksMin50Max150KeepsBounds(healthChecks: Bool) {
        var story = Story(desired: 4, minimum: 50, maximum: 150)
        story.world.defaultBehavior = Behavior(startDelay: 3, hasHealthCheck: healthChecks, healthyAfter: 5)
        #expect(story.run { $0.isSteady })
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        #expect(story.state.deployments.map(\.status) == [.primary, .active])
        var minHealthy = Int.max
        var maxLive = 0
        let done = story.run(invariant: { s in
            minHealthy = min(minHealthy, s.healthy.count)
            maxLive = max(maxLive, s.live.count)
        }, until: { $0.isSteady })
        #expect(done)
        #expect(minHealthy >= 2)
        #expect(maxLive <= 6)
        #expect(story.state.deployments.count == 1)
        #expect(story.state.primary?.rolloutState == .completed)
        #expect(story.state.primary?.taskDefinition == Story.taskDefV2)
        #expect(story.live.allSatisfy { $0.taskDefinitionArn == Story.taskDefV2 })
        #expect(story.state.taskDefinition == Story.taskDefV2)
    }

    @Test(arguments: [(3, 50, 150), (5, 100, 200), (2, 0, 100), (3, 34, 134), (6, 50, 200), (1, 100, 200), (7, 75, 125)])
    func boundsHoldForOtherConfigurations(desired: Int, minimum: Int, maximum: Int) {
        var story = Story(desired: desired, minimum: minimum, maximum: maximum)
        #expect(story.run { $0.isSteady })
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let lower = (desired * minimum + 99) / 100
        let upper = desired * maximum / 100
        let done = story.run(invariant: { s in
            #expect(s.healthy.count >= lower)
            #expect(s.live.count <= upper)
        }, until: { $0.isSteady })
        #expect(done)
        #expect(story.live.count == desired)
        #expect(story.live.allSatisfy { $0.taskDefinitionArn == Story.taskDefV2 })
    }

    @Test func defaultConfigStartsAllNewTasksFirst() {
        var story = Story(desired: 3)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        story.tick()
        let starts = story.lastActions.filter { if case .startTask = $0 { true } else { false } }
        #expect(starts.count == 3)
        #expect(story.lastActions.count == 3)  // nothing stopped before new tasks are healthy
    }

    @Test func min50StopsHalfTheOldTasksFirst() {
        var story = Story(desired: 4, minimum: 50, maximum: 100)
        story.run { $0.isSteady }
        let old = story.state.primary!.id
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        story.tick()
        let stops = story.lastActions.compactMap { if case .stopTask(let o) = $0 { o } else { nil } }
        #expect(stops.count == 2)
        #expect(stops.allSatisfy { $0.reason == "Scaling activity initiated by (deployment \(old))" })
        #expect(story.lastActions.count == 2)  // maximumPercent 100 leaves no room to start yet
        story.tick(2)  // stopped tasks are gone: two new ones start
        #expect(story.lastActions.filter { if case .startTask = $0 { true } else { false } }.count == 2)
    }

    @Test func oldDeploymentDrainsAndDisappears() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        let oldId = story.state.primary!.id
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let newId = story.state.primary!.id
        #expect(oldId != newId)
        var sawOldShrink = false
        story.run(invariant: { s in
            if let old = s.state.deployments.first(where: { $0.id == oldId }) {
                #expect(old.status == .active)
                if old.desiredCount < 2 { sawOldShrink = true }
            }
        }, until: { $0.isSteady })
        #expect(sawOldShrink)
        #expect(story.state.deployments.map(\.id) == [newId])
        #expect(story.state.lastCompleted?.id == newId)
        #expect(story.messages.contains("(service web) (deployment \(newId)) deployment completed."))
        #expect(story.messages.first == "(service web) has reached a steady state.")
    }

    @Test func forceNewDeploymentWithSameTaskDefinitionRollsTasks() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        let firstTasks = Set(story.live.map(\.taskArn))
        story.update(UpdateServiceInput(forceNewDeployment: true))
        #expect(story.state.deployments.count == 2)
        #expect(story.run { $0.isSteady })
        #expect(Set(story.live.map(\.taskArn)).isDisjoint(with: firstTasks))
    }

    @Test func desiredCountOnlyUpdateDoesNotStartADeployment() {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(desiredCount: 3, taskDefinition: Story.taskDefV1))
        #expect(story.state.deployments.count == 1)
        #expect(story.state.primary?.desiredCount == 3)
    }

    @Test func newUpdateDuringARolloutDrainsBothOldDeployments() {
        var story = Story(desired: 2, minimum: 50, maximum: 200)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        story.tick()
        story.tick()
        story.update(UpdateServiceInput(taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"))
        #expect(story.state.deployments.map(\.status) == [.primary, .active, .active])
        let done = story.run(invariant: { s in
            #expect(s.healthy.count >= 1)
            #expect(s.live.count <= 4)
        }, until: { $0.isSteady })
        #expect(done)
        #expect(story.live.allSatisfy { $0.taskDefinitionArn.hasSuffix("web:3") })
    }

    @Test func configurationThatAllowsNeitherStartNorStopReportsDeadlockOnce() {
        var story = Story(desired: 2, minimum: 75, maximum: 125)
        story.run { $0.isSteady }
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        story.run(upTo: 30) { _ in false }
        let deadlock = EventMessage.configurationDeadlock("web")
        #expect(story.messages.filter { $0 == deadlock }.count == 1)
        #expect(story.state.deployments.count == 2)
        #expect(story.state.primary?.rolloutState == .inProgress)
        // Fixing the configuration lets the rollout finish.
        story.update(UpdateServiceInput(deploymentConfiguration: DeploymentConfiguration(minimumHealthyPercent: 50, maximumPercent: 200)))
        #expect(story.run { $0.isSteady })
    }

    @Test func oldTasksThatAreNotYetRunningAreStoppedFirst() {
        var story = Story(desired: 2, minimum: 100, maximum: 200)
        story.world.defaultBehavior = Behavior(startDelay: 1000)
        story.tick()  // two v1 tasks, pending for a long time
        story.world.defaultBehavior = Behavior(startDelay: 2)
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        story.tick()
        let stops = story.lastActions.filter { if case .stopTask = $0 { true } else { false } }
        #expect(stops.count == 2)  // pending old tasks do not count as healthy: stop at once
        #expect(story.run { $0.isSteady })
    }
}

extension RollingUpdateTests {
    /// Over a whole rollout: starts only for the new deployment, stops only of old tasks
    /// (with the old deployment's reason), and no old task is stopped before a new one is
    /// healthy when minimumHealthyPercent is 100.
    @Test func startsAreNewAndStopsAreOld() {
        var story = Story(desired: 3)
        story.run { $0.isSteady }
        let oldId = story.state.primary!.id
        let oldTasks = Set(story.live.map(\.taskArn))
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let newId = story.state.primary!.id
        story.allActions = []
        var firstStopAt: Double?
        var firstNewHealthyAt: Double?
        story.run(invariant: { s in
            if firstStopAt == nil, !s.lastActions.filter({ if case .stopTask = $0 { true } else { false } }).isEmpty {
                firstStopAt = s.now
            }
            if firstNewHealthyAt == nil, s.healthy.contains(where: { $0.deploymentId == newId }) {
                firstNewHealthyAt = s.now
            }
        }, until: { $0.isSteady })
        #expect(story.starts.count == 3 && story.starts.allSatisfy { $0.deploymentId == newId })
        #expect(story.stops.count == 3)
        #expect(story.stops.allSatisfy { oldTasks.contains($0.taskArn) })
        #expect(story.stops.allSatisfy { $0.reason == "Scaling activity initiated by (deployment \(oldId))" })
        #expect(firstNewHealthyAt != nil && firstStopAt != nil && firstNewHealthyAt! <= firstStopAt!)
    }
}

extension RollingUpdateTests {
    /// A rollout that completes never reports the configuration deadlock or the restart
    /// throttle: the tick that sees the last old task STOPPED still lists the old deployment
    /// (it is dropped when counts are updated), and that is not a deadlock.
    @Test(arguments: [(2, 100, 200), (4, 50, 150), (3, 100, 134), (1, 0, 100), (4, 50, 100), (6, 50, 200)])
    func completedRolloutReportsNoStallEvents(desired: Int, minimum: Int, maximum: Int) {
        var story = Story(desired: desired, minimum: minimum, maximum: maximum)
        #expect(story.run { $0.isSteady })
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        #expect(story.run { $0.isSteady })
        story.run(upTo: 60) { _ in false }
        let stall = [EventMessage.configurationDeadlock("web"), EventMessage.unableToStart("web")]
        #expect(story.messages.filter(stall.contains).isEmpty, "\(story.messages)")
        #expect(story.state.primary?.rolloutState == .completed)
    }
}

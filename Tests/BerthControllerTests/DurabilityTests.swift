import BerthJSON
import Testing
@testable import BerthController

@Suite struct DurabilityTests {
    /// Through the text the agent persists (`ServiceState+JSON.swift`).
    func roundTrip(_ state: ServiceState) throws -> ServiceState {
        try ServiceState.read(json: state.jsonValue.serializedBytes())
    }

    /// Run a rolling update; at every tick, a copy of the story resumes from the JSON of the
    /// state and must make exactly the same decisions as the original for the next ticks.
    @Test func stateRoundTripsAndReconcileContinuesIdentically() throws {
        var story = Story(desired: 3, minimum: 50, maximum: 150, breaker: CircuitBreakerConfiguration(enable: true, rollback: true))
        story.run { $0.isSteady }
        story.world.behaviors[Story.taskDefV2] = Behavior(failsToStart: true)
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        for _ in 0..<120 {
            story.tick()
            let decoded = try roundTrip(story.state)
            #expect(decoded == story.state)
            var twin = story
            twin.state = decoded
            var original = story
            for _ in 0..<5 {
                original.tick()
                twin.tick()
                #expect(twin.lastActions == original.lastActions)
                #expect(twin.state == original.state)
            }
        }
        #expect(story.run { $0.isSteady })
    }

    @Test func deploymentIdsSurviveARestart() throws {
        var story = Story(desired: 2)
        story.tick()
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        let ids = story.state.deployments.map(\.id)
        story.state = try roundTrip(story.state)
        story.tick()
        #expect(story.state.deployments.map(\.id) == ids)
        #expect(story.starts.allSatisfy { ids.contains($0.deploymentId) })
    }

    @Test func jsonUsesEcsEnumSpellings() throws {
        var story = Story(desired: 1)
        story.run { $0.isSteady }
        let json = String(decoding: story.state.jsonValue.serializedBytes(), as: UTF8.self)
        #expect(json.contains("\"PRIMARY\""))
        #expect(json.contains("\"COMPLETED\""))
        #expect(json.contains("\"ACTIVE\""))
    }

    @Test func agentCrashBeforeCreatingTasksIsRecovered() {
        // The agent persisted the state but died before applying the start orders.
        var story = Story(desired: 2, config: ControllerConfig(launchTimeoutSeconds: 10))
        story.world.dropStarts = true
        story.tick()
        story.world.dropStarts = false
        #expect(story.run(upTo: 200) { $0.isSteady })
        #expect(story.live.count == 2)
    }

    @Test func agentCrashBeforePersistingIsRecovered() {
        // The agent created the tasks but lost the state that ordered them: the controller
        // adopts them by their deployment id instead of starting more.
        var story = Story(desired: 2)
        let before = story.state
        story.tick()
        story.state = before
        story.tick()
        #expect(story.starts.count == 2)
        #expect(story.run { $0.isSteady })
        #expect(story.live.count == 2)
    }
}

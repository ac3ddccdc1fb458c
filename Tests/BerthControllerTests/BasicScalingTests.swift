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

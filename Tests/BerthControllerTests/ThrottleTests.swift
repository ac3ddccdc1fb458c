import Testing
@testable import BerthController

@Suite struct ThrottleTests {
    func failingStory(desired: Int = 1, behavior: Behavior = Behavior(failsToStart: true)) -> Story {
        var story = Story(desired: desired)
        story.world.defaultBehavior = behavior
        return story
    }

    /// Times at which start orders were issued.
    func launchTimes(_ story: inout Story, ticks: Int) -> [Double] {
        var times: [Double] = []
        for _ in 0..<ticks {
            story.tick()
            if story.lastActions.contains(where: { if case .startTask = $0 { true } else { false } }) {
                times.append(story.now)
            }
        }
        return times
    }

    @Test func delaysGrowAfterTheThirdConsecutiveFailure() {
        var story = failingStory()
        let times = launchTimes(&story, ticks: 400)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // Each attempt takes 2 s to fail; after the 3rd failure the wait is 10 s, then 20, 40, ...
        let expected: [Double] = [2, 2, 12, 22, 42, 82, 162]
        #expect(Array(gaps.prefix(7)) == expected)
        #expect(story.state.throttle.consecutiveFailures >= 7)
    }

    @Test func delayIsCappedAt27MinutesScaled() {
        var story = failingStory()
        story.config = ControllerConfig(timeScale: 0.01)
        var times: [Double] = []
        for _ in 0..<8000 {
            story.tick(0.05)
            if story.lastActions.contains(where: { if case .startTask = $0 { true } else { false } }) {
                times.append(story.now)
            }
        }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.count >= 12)
        #expect(gaps.max()! <= 16.2 + 2 + 0.11)  // cap + time to fail + two tick roundings
        #expect(abs(story.state.throttle.currentDelay - 16.2) < 1e-9)
    }

    @Test func throttleEventOnceWithReasonAndUntil() {
        var story = failingStory()
        story.run(upTo: 100) { $0.state.throttle.consecutiveFailures >= 5 }
        let event = EventMessage.unableToStart("web")
        #expect(story.messages.filter { $0 == event }.count == 1)
        #expect(story.state.throttle.reason == "CannotPullContainerError: pull access denied")
        #expect(story.state.throttle.nextLaunchAt != nil)
        story.tick()  // the 5th failure was just seen: the next launch waits 40 s
        let status = story.state.throttleStatus(now: story.now)
        #expect(status?.until == story.state.throttle.nextLaunchAt)
        #expect(status?.consecutiveFailures == 5)
        #expect(status?.delaySeconds == 40)
        #expect(status?.description == "launches held back for 40 s after 5 consecutive failed tasks (last: CannotPullContainerError: pull access denied)")
        story.run(upTo: 100) { $0.state.throttleStatus(now: $0.now) == nil }
        #expect(story.state.throttleStatus(now: story.now) == nil)
    }

    @Test func crashBeforeHealthyCountsButCrashAfterHealthyDoesNot() {
        var quick = failingStory(behavior: Behavior(crashAfter: 5))
        quick.run(upTo: 200) { $0.state.throttle.consecutiveFailures >= 3 }
        #expect(quick.state.throttle.consecutiveFailures >= 3)
        #expect(quick.state.throttle.reason == "Essential container in task exited (exit code 1), before it became healthy")

        var slow = failingStory(behavior: Behavior(crashAfter: 60))
        slow.run(upTo: 400) { _ in false }
        #expect(slow.state.throttle.consecutiveFailures == 0)
        #expect(slow.starts.count >= 5)  // restarted every ~62 s, never throttled
    }

    @Test func newDeploymentResetsTheThrottle() {
        var story = failingStory()
        story.run(upTo: 200) { $0.state.throttle.consecutiveFailures >= 6 }
        #expect(story.state.throttledUntil(now: story.now) != nil)
        story.world.defaultBehavior = Behavior()
        story.update(UpdateServiceInput(taskDefinition: Story.taskDefV2))
        #expect(story.state.throttle == ThrottleState())
        story.tick()
        #expect(story.lastActions.contains { if case .startTask = $0 { true } else { false } })
        #expect(story.run { $0.isSteady })
    }

    @Test func aHealthyTaskResetsTheThrottle() {
        var story = failingStory()
        story.run(upTo: 100) { $0.state.throttle.consecutiveFailures >= 4 }
        story.world.defaultBehavior = Behavior()  // the registry came back
        #expect(story.run(upTo: 400) { $0.isSteady })
        #expect(story.state.throttle.consecutiveFailures == 0)
        #expect(story.state.throttledUntil(now: story.now) == nil)
    }

    @Test func launchesTheAgentNeverCreatedCountAsFailures() {
        var story = failingStory(behavior: Behavior())
        story.world.dropStarts = true
        story.config = ControllerConfig(launchTimeoutSeconds: 5)
        story.run(upTo: 30) { _ in false }
        #expect(story.state.throttle.consecutiveFailures >= 3)
        #expect(story.state.throttle.reason?.hasSuffix("was not created by the agent") == true)
    }
}

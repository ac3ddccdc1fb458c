import Testing
@testable import BerthController

@Suite struct ServiceOperationsTests {
    let input = CreateServiceInput(
        serviceName: "api", serviceArn: "arn:aws:ecs:us-east-1:000000000000:service/default/api",
        clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
        taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/api:1", desiredCount: 2)

    @Test func createMakesOnePrimaryInProgress() throws {
        let state = try createService(input, now: 1_700_000_000)
        #expect(state.status == .active)
        #expect(state.deployments.count == 1)
        let d = state.deployments[0]
        #expect(d.status == .primary)
        #expect(d.desiredCount == 2 && d.runningCount == 0 && d.pendingCount == 0)
        #expect(d.rolloutState == .inProgress)
        #expect(d.rolloutStateReason == "ECS deployment \(d.id) in progress.")
        #expect(state.taskDefinition == input.taskDefinition)
    }

    @Test func createRejectsBadInputWithTheField() {
        var bad = input
        bad.desiredCount = -1
        #expect(throws: ServiceError.self) { try createService(bad, now: 0) }
        bad = input
        bad.deploymentConfiguration.minimumHealthyPercent = 120
        do {
            _ = try createService(bad, now: 0)
            Issue.record("expected an error")
        } catch {
            #expect(error.type == "InvalidParameterException")
            #expect(error.message.contains("minimumHealthyPercent"))
        }
        bad = input
        bad.deploymentConfiguration.maximumPercent = 90
        #expect(throws: ServiceError.self) { try createService(bad, now: 0) }
    }

    @Test func updateOnlyStartsADeploymentForANewTaskDefinitionOrForce() throws {
        let state = try createService(input, now: 1_700_000_000)
        let same = try updateService(state, UpdateServiceInput(desiredCount: 3, healthCheckGracePeriodSeconds: 30), now: 1_700_000_010)
        #expect(same.deployments.count == 1)
        #expect(same.desiredCount == 3 && same.primary?.desiredCount == 3)
        #expect(same.healthCheckGracePeriodSeconds == 30)
        let forced = try updateService(same, UpdateServiceInput(forceNewDeployment: true), now: 1_700_000_020)
        #expect(forced.deployments.map(\.status) == [.primary, .active])
        #expect(forced.primary?.taskDefinition == input.taskDefinition)
        #expect(forced.primary?.desiredCount == 3)
    }

    @Test func deleteNeedsZeroOrForceThenDrainsToInactive() throws {
        var story = Story(desired: 2)
        story.run { $0.isSteady }
        do {
            _ = try deleteService(story.state, force: false, now: story.now)
            Issue.record("expected an error")
        } catch {
            #expect(error == ServiceError("InvalidParameterException", "The service cannot be stopped while it is scaled above 0."))
        }
        story.state = try deleteService(story.state, force: true, now: story.now)
        #expect(story.state.status == .draining)
        #expect(story.state.desiredCount == 0)
        story.tick()
        #expect(story.stops.count == 2)
        #expect(story.state.status == .draining)
        #expect(story.state.listedDeployments.map(\.status) == [.primary])
        #expect(story.run(upTo: 10) { $0.state.status == .inactive })
        #expect(story.live.isEmpty)
        // DescribeServices lists no deployment for an INACTIVE service; taskDefinition stays.
        #expect(story.state.listedDeployments.isEmpty)
        #expect(story.state.taskDefinition == Story.taskDefV1)
        // INACTIVE services do nothing, and cannot be updated.
        story.tick()
        #expect(story.lastActions.isEmpty)
        #expect(throws: ServiceError.notActive) { try updateService(story.state, UpdateServiceInput(desiredCount: 1), now: story.now) }
    }

    @Test func deleteOfAScaledDownServiceNeedsNoForce() throws {
        let state = try createService(CreateServiceInput(
            serviceName: "a", serviceArn: "arn", clusterArn: "c", taskDefinition: "td", desiredCount: 0), now: 0)
        let deleted = try deleteService(state, force: false, now: 1)
        #expect(deleted.status == .draining)
        var ids = SequentialIdentifiers()
        let inactive = reconcile(deleted, tasks: [], now: 2, ids: &ids).state
        #expect(inactive.status == .inactive)
        #expect(inactive.listedDeployments.isEmpty)
    }
}

import BerthJSON
import Testing
@testable import BerthController

/// The persisted `ServiceState` text: files written before BerthJSON (by Foundation's
/// JSONEncoder with sorted keys) read back identically, and every member survives a round trip.
@Suite struct StateFileTests {
    /// A state with every optional member set and fractional timestamps.
    static var full: ServiceState {
        var d = Deployment(id: "ecs-svc/1", status: .primary, taskDefinition: "arn:td:2", desiredCount: 2, createdAt: 1700000000.25,
                           rolloutStateReason: "rolling back", restoresDeploymentId: "ecs-svc/0")
        d.pendingCount = 1; d.runningCount = 1; d.failedTasks = 3; d.updatedAt = 1700000010.5; d.rolloutState = .failed
        d.healthyTaskSeen = true
        var throttle = ThrottleState()
        throttle.consecutiveFailures = 4; throttle.nextLaunchAt = 1700000020.125; throttle.currentDelay = 0.3
        throttle.reason = "exit 1"; throttle.eventEmittedAt = 1700000011
        var b = Bookkeeping()
        var t = TrackedTask(deploymentId: "ecs-svc/1", firstSeenAt: 1700000001.5)
        t.wasHealthy = true; t.stopKind = .unhealthy; t.unhealthySince = 1700000002; t.stopOrderedAt = 1700000003.75
        t.stopReason = "unhealthy"
        b.tasks = ["t1": t, "t2": TrackedTask(deploymentId: "ecs-svc/0", firstSeenAt: 1700000000)]
        b.launches = [PendingLaunch(taskId: "t3", deploymentId: "ecs-svc/1", taskDefinition: "arn:td:2", orderedAt: 1700000004.5)]
        b.steadyStateEventAt = 1700000005; b.deadlockEventAt = 1700000006.5
        return ServiceState(
            serviceName: "web", serviceArn: "arn:svc/web", clusterArn: "arn:cluster/default", status: .draining, desiredCount: 2,
            deploymentConfiguration: DeploymentConfiguration(minimumHealthyPercent: 50, maximumPercent: 150,
                                                             deploymentCircuitBreaker: CircuitBreakerConfiguration(enable: true, rollback: false)),
            healthCheckGracePeriodSeconds: 30, createdAt: 1699999999.875, deployments: [d],
            events: [ServiceEvent(id: "e1", createdAt: 1700000007.25, message: "(service web) has reached a steady state.")],
            runningCount: 1, pendingCount: 1, throttle: throttle, lastCompleted: DeploymentRef(id: "ecs-svc/0", taskDefinition: "arn:td:1"),
            bookkeeping: b)
    }

    /// `full` as the previous version wrote it (JSONEncoder, sorted keys, escaped slashes).
    static let previousVersionText = #"""
    {"bookkeeping":{"deadlockEventAt":1700000006.5,"launches":[{"deploymentId":"ecs-svc\/1","orderedAt":1700000004.5,"taskDefinition":"arn:td:2","taskId":"t3"}],"steadyStateEventAt":1700000005,"tasks":{"t1":{"deploymentId":"ecs-svc\/1","firstSeenAt":1700000001.5,"stopKind":"unhealthy","stopOrderedAt":1700000003.75,"stopReason":"unhealthy","unhealthySince":1700000002,"wasHealthy":true},"t2":{"deploymentId":"ecs-svc\/0","firstSeenAt":1700000000,"wasHealthy":false}}},"clusterArn":"arn:cluster\/default","createdAt":1699999999.875,"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":false},"maximumPercent":150,"minimumHealthyPercent":50},"deployments":[{"createdAt":1700000000.25,"desiredCount":2,"failedTasks":3,"healthyTaskSeen":true,"id":"ecs-svc\/1","pendingCount":1,"restoresDeploymentId":"ecs-svc\/0","rolloutState":"FAILED","rolloutStateReason":"rolling back","runningCount":1,"status":"PRIMARY","taskDefinition":"arn:td:2","updatedAt":1700000010.5}],"desiredCount":2,"events":[{"createdAt":1700000007.25,"id":"e1","message":"(service web) has reached a steady state."}],"healthCheckGracePeriodSeconds":30,"lastCompleted":{"id":"ecs-svc\/0","taskDefinition":"arn:td:1"},"pendingCount":1,"runningCount":1,"serviceArn":"arn:svc\/web","serviceName":"web","status":"DRAINING","throttle":{"consecutiveFailures":4,"currentDelay":0.3,"eventEmittedAt":1700000011,"nextLaunchAt":1700000020.125,"reason":"exit 1"}}
    """#

    @Test func readsWhatThePreviousVersionWrote() throws {
        #expect(try ServiceState.read(json: Array(Self.previousVersionText.utf8)) == Self.full)
    }

    @Test func writesTheSameMembers() throws {
        let previous = try JSONValue.parse(bytes: Array(Self.previousVersionText.utf8))
        #expect(Self.full.jsonValue.serialized(sortedKeys: true) == previous.serialized(sortedKeys: true))
        #expect(try ServiceState.read(json: Self.full.jsonValue.serializedBytes()) == Self.full)
    }

    @Test func aBadMemberIsNamedWithItsPath() throws {
        var json = Self.full.jsonValue
        json["deployments"] = [["id": "x", "status": "SIDEWAYS"]]
        #expect(throws: JSONShapeError.self) { try ServiceState(json: json, path: .root) }
        do { _ = try ServiceState(json: json, path: .root) } catch {
            #expect(error.description.hasPrefix("deployments[0]."))
        }
    }
}

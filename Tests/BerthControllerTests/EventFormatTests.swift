import Testing
@testable import BerthController

@Suite struct EventFormatTests {
    let id = "ecs-svc/9223370564341623665"

    @Test func startedAndStoppedListBareTaskIds() {
        #expect(EventMessage.started("web", taskIds: ["a1", "b2"]) == "(service web) has started 2 tasks: (task a1) (task b2).")
        #expect(EventMessage.started("web", taskIds: ["a1"]) == "(service web) has started 1 tasks: (task a1).")
        #expect(EventMessage.stopped("web", taskIds: ["a1"]) == "(service web) has stopped 1 running tasks: (task a1).")
    }

    @Test func deploymentMessages() {
        #expect(EventMessage.steadyState("web") == "(service web) has reached a steady state.")
        #expect(EventMessage.deploymentCompleted("web", deploymentId: id)
            == "(service web) (deployment ecs-svc/9223370564341623665) deployment completed.")
        #expect(EventMessage.deploymentFailed("web", deploymentId: id)
            == "(service web) (deployment ecs-svc/9223370564341623665) deployment failed: tasks failed to start.")
        #expect(EventMessage.rollingBack("web", deploymentId: id)
            == "(service web) rolling back to deployment ecs-svc/9223370564341623665.")
    }

    @Test func warningMessages() {
        #expect(EventMessage.unableToStart("web")
            == "(service web) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
        #expect(EventMessage.failedHealthChecks("web", taskId: "abc")
            == "(service web) (task abc) failed container health checks.")
        #expect(EventMessage.configurationDeadlock("web")
            == "(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.")
    }

    @Test func reasons() {
        #expect(ReasonText.scaling(id) == "Scaling activity initiated by (deployment ecs-svc/9223370564341623665)")
        #expect(ReasonText.failedHealthChecks == "Task failed container health checks")
        #expect(ReasonText.inProgress(id) == "ECS deployment ecs-svc/9223370564341623665 in progress.")
        #expect(ReasonText.completed(id) == "ECS deployment ecs-svc/9223370564341623665 completed.")
        #expect(ReasonText.breakerFailed == "ECS deployment circuit breaker: tasks failed to start.")
        #expect(ReasonText.rollingBack(to: id) == "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/9223370564341623665.")
    }

    @Test func taskIdComesFromTheArn() {
        #expect(taskIdFromArn("arn:aws:ecs:us-east-1:000000000000:task/default/0123abcd") == "0123abcd")
        #expect(taskIdFromArn("0123abcd") == "0123abcd")
    }
}

@Suite struct IdentifierTests {
    @Test func deploymentIdIsInt64MaxMinusMillis() {
        // The real example id ecs-svc/9223370564341623665 was created at 1472513152.142.
        #expect(makeDeploymentId(now: 1_472_513_152.142, taken: []) == "ecs-svc/9223370564341623665")
    }

    @Test func deploymentIdHas19DigitsAndIsUnique() {
        let first = makeDeploymentId(now: 1_700_000_000, taken: [])
        let second = makeDeploymentId(now: 1_700_000_000, taken: [first])
        #expect(first != second)
        for id in [first, second] {
            #expect(id.hasPrefix("ecs-svc/"))
            #expect(id.dropFirst(8).count == 19 && id.dropFirst(8).allSatisfy(\.isNumber))
        }
    }

    @Test func randomIdsHaveTheRightShape() {
        var ids = RandomIdentifiers()
        let task = ids.newTaskId()
        #expect(task.count == 32 && task.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let event = ids.newEventId()
        #expect(event.count == 36 && event.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(Array(event)[14] == "4")
        #expect(ids.newTaskId() != task)
    }

    @Test func sequentialIdsAreDeterministic() {
        var a = SequentialIdentifiers()
        var b = SequentialIdentifiers()
        #expect(a.newTaskId() == b.newTaskId())
        #expect(a.newEventId() == "00000000-0000-0000-0000-000000000001")
    }
}

/// Service event texts, byte for byte as ECS writes them (ecs-semantics §5.6).
public enum EventMessage {
    public static func started(_ s: String, taskIds: [String]) -> String {
        "(service \(s)) has started \(taskIds.count) tasks: \(taskList(taskIds))."
    }

    public static func stopped(_ s: String, taskIds: [String]) -> String {
        "(service \(s)) has stopped \(taskIds.count) running tasks: \(taskList(taskIds))."
    }

    public static func steadyState(_ s: String) -> String {
        "(service \(s)) has reached a steady state."
    }

    public static func deploymentCompleted(_ s: String, deploymentId: String) -> String {
        "(service \(s)) (deployment \(deploymentId)) deployment completed."
    }

    public static func failedHealthChecks(_ s: String, taskId: String) -> String {
        "(service \(s)) (task \(taskId)) failed container health checks."
    }

    public static func failedELBHealthChecks(_ s: String, taskId: String, targetGroup: String) -> String {
        "(service \(s)) (task \(taskId)) failed ELB health checks in (target-group \(targetGroup))."
    }

    public static func registeredTargets(_ s: String, count: Int, targetGroup: String) -> String {
        "(service \(s)) registered \(count) targets in (target-group \(targetGroup))"
    }

    public static func deregisteredTargets(_ s: String, count: Int, targetGroup: String) -> String {
        "(service \(s)) deregistered \(count) targets in (target-group \(targetGroup))"
    }

    public static func drainingConnections(_ s: String, count: Int) -> String {
        "(service \(s)) has begun draining connections on \(count) tasks."
    }

    public static func deploymentFailed(_ s: String, deploymentId: String) -> String {
        "(service \(s)) (deployment \(deploymentId)) deployment failed: tasks failed to start."
    }

    public static func rollingBack(_ s: String, deploymentId: String) -> String {
        "(service \(s)) rolling back to deployment \(deploymentId)."
    }

    public static func unableToStart(_ s: String) -> String {
        "(service \(s)) is unable to consistently start tasks successfully. For more information, "
            + "see the Troubleshooting section of the Amazon ECS Developer Guide."
    }

    public static func configurationDeadlock(_ s: String) -> String {
        "(service \(s)) was unable to stop or start tasks during a deployment because of the "
            + "service deployment configuration. Update the minimumHealthyPercent or "
            + "maximumPercent value and try again."
    }

    private static func taskList(_ ids: [String]) -> String {
        ids.map { "(task \($0))" }.joined(separator: " ")
    }
}

/// Deployment `rolloutStateReason` and task `stoppedReason` texts (ecs-semantics §4.2, §5.4).
public enum ReasonText {
    public static func inProgress(_ id: String) -> String { "ECS deployment \(id) in progress." }
    public static func completed(_ id: String) -> String { "ECS deployment \(id) completed." }
    public static let breakerFailed = "ECS deployment circuit breaker: tasks failed to start."
    public static func rollingBack(to id: String) -> String {
        "ECS deployment circuit breaker: rolling back to deploymentId \(id)."
    }
    public static func scaling(_ deploymentId: String) -> String {
        "Scaling activity initiated by (deployment \(deploymentId))"
    }
    public static let failedHealthChecks = "Task failed container health checks"
    public static func failedELBHealthChecks(_ targetGroup: String) -> String {
        "Task failed ELB health checks in (target-group \(targetGroup))"
    }
}

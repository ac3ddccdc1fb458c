import BerthECS
import BerthJSON
import Foundation

/// One task run without the agent (`berth run`), seen by the metadata endpoint as the agent
/// would show it: its Task object is made as RunTask makes it (`ECSBackend.initialTask`) and
/// moved by the engine's observations as the agent moves its own (`TaskLifecycle.apply`).
/// `observe` gives the engine's latest observation (nil: not started yet: no document).
public final class StandaloneTask: TaskMetadataSource, @unchecked Sendable {
    public let plan: TaskLaunchPlan
    let observeTask: @Sendable () -> TaskObservation?
    let statsOf: @Sendable () throws -> TaskStats
    private let lock = NSLock()
    private var task: ECSTask

    /// The plan of a task named as RunTask would name it in `cluster`, for a definition that was
    /// never registered: its ARN says revision 1.
    public static func plan(taskId: String, taskDefinition: JSONValue, cluster: String = "default", region: String = BackendConfig().region,
                            accountId: String = BackendConfig().accountId) -> TaskLaunchPlan {
        let arns = ARNFormat(region: region, account: accountId)
        return TaskLaunchPlan(taskArn: arns.task(cluster: cluster, id: taskId), taskId: taskId, clusterName: cluster,
                              clusterArn: arns.cluster(cluster),
                              taskDefinitionArn: arns.taskDefinition(taskDefinition["family"]?.stringValue ?? "", 1),
                              taskDefinition: taskDefinition, overrides: nil, region: region, accountId: accountId)
    }

    public init(plan: TaskLaunchPlan, createdAt: Double, observe: @escaping @Sendable () -> TaskObservation?,
                stats: @escaping @Sendable () throws -> TaskStats) {
        self.plan = plan
        observeTask = observe
        statsOf = stats
        task = ECSBackend.initialTask(plan: plan, arns: ARNFormat(region: plan.region, account: plan.accountId), createdAt: createdAt,
                                      overrides: plan.overrides, startedBy: nil, group: "family:\(plan.family)",
                                      launchType: ECSBackend.defaultLaunchType(plan.taskDefinition))
    }

    public func metadataView(taskArn: String) -> TaskMetadataView? {
        guard taskArn == plan.taskArn, let o = observeTask() else { return nil }
        return lock.withLock {
            _ = TaskLifecycle.apply(o, to: &task, plan: plan)
            return TaskMetadataView(task: task, plan: plan, tags: [])
        }
    }

    public func metadataStats(taskArn: String) throws -> TaskStats {
        guard taskArn == plan.taskArn else { throw EngineError(.notFound, "unknown task \(taskArn)") }
        return try statsOf()
    }
}

import BerthECS
import BerthJSON

/// What the metadata endpoint needs of one task: the agent's record (as DescribeTasks has it),
/// its launch plan and tags.
public struct TaskMetadataView: Sendable {
    public var task: ECSTask
    public var plan: TaskLaunchPlan
    public var tags: [(String, String)]
    public init(task: ECSTask, plan: TaskLaunchPlan, tags: [(String, String)]) {
        self.task = task
        self.plan = plan
        self.tags = tags
    }
}

/// The agent's side of the endpoint (ECSBackend implements it).
public protocol TaskMetadataSource: Sendable {
    func metadataView(taskArn: String) -> TaskMetadataView?
    func metadataStats(taskArn: String) throws -> TaskStats
}

extension ECSBackend: TaskMetadataSource {
    public func metadataView(taskArn: String) -> TaskMetadataView? {
        refreshFromEngine(maxAge: 0.01)  // as DescribeTasks: what the engine knows now
        lock.lock()
        defer { lock.unlock() }
        guard let (_, id) = arns.taskId(taskArn), let r = tasks[id], r.arn == taskArn else { return nil }
        return TaskMetadataView(task: r.task, plan: r.plan, tags: r.tags)
    }

    public func metadataStats(taskArn: String) throws -> TaskStats { try engine.stats(taskArn: taskArn) }
}

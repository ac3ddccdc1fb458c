import BerthECS

/// ECS reasons, in one place (the status enums are BerthECS's).
public enum ECSText {
    public static let essentialExited = "Essential container in task exited"
    public static let userStopped = "Task stopped by user"
    public static let oom = "OutOfMemoryError: Container killed due to memory usage"
    public static let taskFailedToStart = "Task failed to start"
}

/// One container as ECS reports it (`Container` in DescribeTasks) plus a few local facts.
public struct ContainerSnapshot: Sendable, Equatable {
    public var name: String
    public var runtimeId: String
    public var essential: Bool
    public var lastStatus: ContainerLastStatus
    public var exitCode: Int32?
    public var reason: String?
    public var healthStatus: HealthStatus
    /// Output of the last health check (truncated), as the agent keeps it.
    public var lastHealthOutput: String?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var restartCount: Int
    public var lastRestartAt: Double?
    public var pid: Int32?
    public var networkBindings: [PublishedPort]? = nil
}

/// One task as ECS reports it (`Task` in DescribeTasks), local subset.
public struct TaskSnapshot: Sendable, Equatable {
    public var taskId: String
    public var lastStatus: TaskStatus
    public var desiredStatus: DesiredStatus
    public var healthStatus: HealthStatus
    public var stopCode: StopCode?
    public var stoppedReason: String?
    public var createdAt: Double
    public var startedAt: Double?
    public var stoppingAt: Double?
    public var executionStoppedAt: Double?
    public var stoppedAt: Double?
    /// Increments on every state change.
    public var version: Int
    /// Berth extension: the essential container whose exit stopped the task (EssentialContainerExited).
    public var stoppedByContainer: String?
    public var containers: [ContainerSnapshot]

    public func container(_ name: String) -> ContainerSnapshot? { containers.first { $0.name == name } }
}

/// Something that happened, for logs and for the agent.
public struct TaskEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case taskStatus, containerStarted, containerStopped, containerRestarted, healthChanged, healthCheckFailed
        case stopRequested, signalSent, pidsLimitReached, error
    }
    public var time: Double
    public var kind: Kind
    public var container: String?
    public var message: String
    public var description: String { (container.map { "\($0): " } ?? "") + message }
    /// Shown even by `berth run --quiet` and logged by the agent.
    public var isProblem: Bool { kind == .error || kind == .pidsLimitReached }
}

/// Task health from its essential containers only (reference §2.3).
public func taskHealth(_ containers: [ContainerSnapshot]) -> HealthStatus {
    let essential = containers.filter(\.essential)
    if essential.contains(where: { $0.healthStatus == .unhealthy }) { return .unhealthy }
    if essential.contains(where: { $0.healthStatus == .unknown }) { return .unknown }
    return essential.isEmpty ? .unknown : .healthy
}

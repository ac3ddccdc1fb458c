/// The ECS task and container states, defined once for the task engine, the service
/// controller and the agent. Raw values are the wire strings (DescribeTasks, state files).

/// `Task.lastStatus` in lifecycle order (ecs-semantics §4.1): a task only moves forward.
public enum TaskStatus: String, JSONEnum, Codable, Comparable {
    case provisioning = "PROVISIONING"
    case pending = "PENDING"
    case activating = "ACTIVATING"
    case running = "RUNNING"
    case deactivating = "DEACTIVATING"
    case stopping = "STOPPING"
    case deprovisioning = "DEPROVISIONING"
    case stopped = "STOPPED"
    case deleted = "DELETED"

    /// Declaration order is lifecycle order.
    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: TaskStatus, b: TaskStatus) -> Bool { a.rank < b.rank }

    /// Counted in `pendingCount` (PROVISIONING, PENDING, ACTIVATING).
    public var isPending: Bool { self < .running }
    /// Still occupies the host: counts against maximumPercent.
    public var isLive: Bool { self < .stopped }
}

/// `Task.desiredStatus`: RUNNING or STOPPED.
public enum DesiredStatus: String, JSONEnum, Codable {
    case running = "RUNNING"
    case stopped = "STOPPED"
}

/// `Container.lastStatus`. A restart policy may take a container from STOPPED back to RUNNING.
public enum ContainerLastStatus: String, JSONEnum, Codable {
    case pending = "PENDING"
    case running = "RUNNING"
    case stopped = "STOPPED"
}

/// Task and container `healthStatus` (ecs-semantics §2.3).
public enum HealthStatus: String, JSONEnum, Codable {
    case healthy = "HEALTHY"
    case unhealthy = "UNHEALTHY"
    case unknown = "UNKNOWN"
}

/// `Task.stopCode` (ecs-semantics §4.2).
public enum StopCode: String, JSONEnum, Codable {
    case taskFailedToStart = "TaskFailedToStart"
    case essentialContainerExited = "EssentialContainerExited"
    case userInitiated = "UserInitiated"
    case serviceSchedulerInitiated = "ServiceSchedulerInitiated"
    case spotInterruption = "SpotInterruption"
    case terminationNotice = "TerminationNotice"
}

/// `Task.connectivity`.
public enum Connectivity: String, JSONEnum, Codable {
    case connected = "CONNECTED"
    case disconnected = "DISCONNECTED"
}

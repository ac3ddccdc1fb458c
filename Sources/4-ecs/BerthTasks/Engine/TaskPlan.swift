import BerthInit
import BerthRuntime

/// A dependsOn condition (ECS `ContainerDependency.condition`).
public enum DependencyCondition: String, Sendable {
    case start = "START", complete = "COMPLETE", success = "SUCCESS", healthy = "HEALTHY"
}

public struct Dependency: Sendable, Equatable {
    public var containerName: String
    public var condition: DependencyCondition
    public init(containerName: String, condition: DependencyCondition) {
        self.containerName = containerName
        self.condition = condition
    }
}

/// A container health check with ECS defaults already applied (interval 30, timeout 5, retries 3, startPeriod 0).
public struct HealthCheckPlan: Sendable, Equatable {
    /// The process to exec: `CMD` stripped, `CMD-SHELL` turned into `/bin/sh -c <string>`.
    public var args: [String]
    public var interval: Double
    public var timeout: Double
    public var retries: Int
    public var startPeriod: Double

    public init(args: [String], interval: Double = 30, timeout: Double = 5, retries: Int = 3, startPeriod: Double = 0) {
        self.args = args
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }

    /// ECS `healthCheck.command` → argv. `["CMD", prog, args...]` runs directly, `["CMD-SHELL", s]`
    /// runs `/bin/sh -c s`; without a prefix `CMD` is assumed.
    public static func argv(fromECSCommand command: [String]) -> [String] {
        guard let first = command.first else { return [] }
        switch first {
        case "CMD": return Array(command.dropFirst())
        case "CMD-SHELL": return ["/bin/sh", "-c", command.dropFirst().joined(separator: " ")]
        default: return command
        }
    }
}

/// ECS `restartPolicy` with defaults applied.
public struct RestartPolicyPlan: Sendable, Equatable {
    public var enabled: Bool
    public var ignoredExitCodes: [Int32]
    /// Seconds a container must have run before it may be restarted (default 300).
    public var restartAttemptPeriod: Double
    public init(enabled: Bool, ignoredExitCodes: [Int32] = [], restartAttemptPeriod: Double = 300) {
        self.enabled = enabled
        self.ignoredExitCodes = ignoredExitCodes
        self.restartAttemptPeriod = restartAttemptPeriod
    }
}

/// Everything the engine needs to run one container of a task: lifecycle rules plus the
/// fully translated OCI spec.
public struct TaskContainer: Sendable {
    public var name: String
    public var essential: Bool
    public var dependsOn: [Dependency]
    public var startTimeout: Double?
    /// Seconds between the stop signal and SIGKILL (ECS default 30).
    public var stopTimeout: Double
    /// The image's STOPSIGNAL (default SIGTERM), sent first when the container is stopped.
    public var stopSignal: Int32 = 15
    public var healthCheck: HealthCheckPlan?
    public var restartPolicy: RestartPolicyPlan?
    public var spec: Spec
    public var bundle: String
    public var stdio: StdioMode
    /// Namespace types (pid, ipc) joined from the first running container of the task
    /// (`pidMode`/`ipcMode` `task`); the first container to start creates them.
    public var shareNamespaces: [String] = []
    /// Ports published on the host for this container (set once the host is prepared).
    public var networkBindings: [PublishedPort] = []

    public init(name: String, essential: Bool = true, dependsOn: [Dependency] = [], startTimeout: Double? = nil,
                stopTimeout: Double = 30, healthCheck: HealthCheckPlan? = nil, restartPolicy: RestartPolicyPlan? = nil,
                spec: Spec, bundle: String = "/", stdio: StdioMode = .null) {
        self.name = name
        self.essential = essential
        self.dependsOn = dependsOn
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        self.healthCheck = healthCheck
        self.restartPolicy = restartPolicy
        self.spec = spec
        self.bundle = bundle
        self.stdio = stdio
    }
}

/// One task ready to run: its id and its containers in task-definition order.
public struct TaskPlan: Sendable {
    public var taskId: String
    public var containers: [TaskContainer]
    public init(taskId: String, containers: [TaskContainer]) {
        self.taskId = taskId
        self.containers = containers
    }

    /// Record the published ports on their containers.
    public mutating func setNetworkBindings(_ ports: [PublishedPort]) {
        for i in containers.indices { containers[i].networkBindings = ports.filter { $0.container == containers[i].name } }
    }

    /// The runtime id of a container of this task.
    public static func runtimeId(task: String, container: String) -> String { "\(task)-\(container)" }
}

extension TaskPlan {
    /// Every engine duration multiplied by `factor` (tests run ECS-valid definitions faster).
    public func scaled(by factor: Double) -> TaskPlan {
        var copy = self
        for i in copy.containers.indices {
            copy.containers[i].stopTimeout *= factor
            copy.containers[i].startTimeout = copy.containers[i].startTimeout.map { $0 * factor }
            if var hc = copy.containers[i].healthCheck {
                hc.interval *= factor
                hc.timeout *= factor
                hc.startPeriod *= factor
                copy.containers[i].healthCheck = hc
            }
            copy.containers[i].restartPolicy?.restartAttemptPeriod *= factor
        }
        return copy
    }
}

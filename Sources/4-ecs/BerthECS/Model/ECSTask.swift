import BerthJSON

/// A task as DescribeTasks answers it ([M:Task]), without `tags` (the agent keeps them apart).
/// The agent's record of a task and the `task` member of its state file. Members are written in
/// ECS's (alphabetical) order; absent ones are left out. Timestamps are epoch seconds, written
/// with millisecond precision.
public struct ECSTask: JSONShape, Sendable, Equatable {
    /// Raw ECS-only members, echoed as given.
    public var attachments: JSONValue?
    public var attributes: JSONValue?
    public var availabilityZone: String?
    public var clusterArn: String
    public var connectivity: Connectivity?
    public var connectivityAt: Double?
    public var containers: [ECSContainer]
    public var cpu: String?
    public var createdAt: Double
    public var desiredStatus: DesiredStatus
    public var enableExecuteCommand: Bool
    public var ephemeralStorage: EphemeralStorage?
    public var executionStoppedAt: Double?
    public var group: String?
    public var healthStatus: HealthStatus
    public var lastStatus: TaskStatus
    public var launchType: String?
    public var memory: String?
    /// As ECS shows them: every container named in `containerOverrides`.
    public var overrides: TaskOverride?
    public var platformFamily: String?
    public var platformVersion: String?
    public var pullStartedAt: Double?
    public var pullStoppedAt: Double?
    public var startedAt: Double?
    public var startedBy: String?
    public var stopCode: StopCode?
    public var stoppedAt: Double?
    public var stoppedReason: String?
    public var stoppingAt: Double?
    public var taskArn: String
    public var taskDefinitionArn: String
    public var version: Int

    /// A task just accepted: PROVISIONING, desired RUNNING, version 1.
    public init(taskArn: String, clusterArn: String, taskDefinitionArn: String, containers: [ECSContainer], createdAt: Double) {
        self.taskArn = taskArn
        self.clusterArn = clusterArn
        self.taskDefinitionArn = taskDefinitionArn
        self.containers = containers
        self.createdAt = createdAt
        desiredStatus = .running
        enableExecuteCommand = false
        healthStatus = .unknown
        lastStatus = .provisioning
        version = 1
    }

    public init(reading r: ObjectReader) {
        self.init(taskArn: r("taskArn") ?? "", clusterArn: r("clusterArn") ?? "", taskDefinitionArn: r("taskDefinitionArn") ?? "",
                  containers: r("containers") ?? [], createdAt: r("createdAt") ?? 0)
        attachments = r("attachments"); attributes = r("attributes"); availabilityZone = r("availabilityZone")
        connectivity = r("connectivity"); connectivityAt = r("connectivityAt"); cpu = r("cpu")
        desiredStatus = r("desiredStatus") ?? .running; enableExecuteCommand = r("enableExecuteCommand") ?? false
        ephemeralStorage = r("ephemeralStorage"); executionStoppedAt = r("executionStoppedAt"); group = r("group")
        healthStatus = r("healthStatus") ?? .unknown; lastStatus = r("lastStatus") ?? .provisioning; launchType = r("launchType")
        memory = r("memory"); overrides = r("overrides"); platformFamily = r("platformFamily"); platformVersion = r("platformVersion")
        pullStartedAt = r("pullStartedAt"); pullStoppedAt = r("pullStoppedAt"); startedAt = r("startedAt"); startedBy = r("startedBy")
        stopCode = r("stopCode"); stoppedAt = r("stoppedAt"); stoppedReason = r("stoppedReason"); stoppingAt = r("stoppingAt")
        version = r("version") ?? 1
        r.accept(["tags"])
    }

    public func write(to w: inout ObjectWriter) {
        w.set("attachments", attachments); w.set("attributes", attributes); w.set("availabilityZone", availabilityZone)
        w.set("clusterArn", clusterArn); w.set("connectivity", connectivity); w.set("connectivityAt", connectivityAt.map(WireTimestamp.init))
        w.set("containers", containers); w.set("cpu", cpu); w.set("createdAt", WireTimestamp(createdAt))
        w.set("desiredStatus", desiredStatus); w.set("enableExecuteCommand", enableExecuteCommand); w.set("ephemeralStorage", ephemeralStorage)
        w.set("executionStoppedAt", executionStoppedAt.map(WireTimestamp.init)); w.set("group", group); w.set("healthStatus", healthStatus)
        w.set("lastStatus", lastStatus); w.set("launchType", launchType); w.set("memory", memory); w.set("overrides", overrides)
        w.set("platformFamily", platformFamily); w.set("platformVersion", platformVersion)
        w.set("pullStartedAt", pullStartedAt.map(WireTimestamp.init)); w.set("pullStoppedAt", pullStoppedAt.map(WireTimestamp.init))
        w.set("startedAt", startedAt.map(WireTimestamp.init)); w.set("startedBy", startedBy); w.set("stopCode", stopCode)
        w.set("stoppedAt", stoppedAt.map(WireTimestamp.init)); w.set("stoppedReason", stoppedReason)
        w.set("stoppingAt", stoppingAt.map(WireTimestamp.init)); w.set("taskArn", taskArn); w.set("taskDefinitionArn", taskDefinitionArn)
        w.set("version", version)
    }
}

/// One container of a task ([M:Container]). `cpu`, `memory` and `memoryReservation` are strings
/// on the wire.
public struct ECSContainer: JSONShape, Sendable, Equatable {
    public var containerArn: String
    public var taskArn: String
    public var name: String
    public var image: String?
    public var lastStatus: ContainerLastStatus
    public var networkInterfaces: JSONValue?
    public var healthStatus: HealthStatus
    public var cpu: String?
    public var memory: String?
    public var memoryReservation: String?
    public var exitCode: Int?
    public var reason: String?
    public var runtimeId: String?
    public var imageDigest: String?
    public var networkBindings: [NetworkBinding]?

    /// A container not started yet: PENDING, health UNKNOWN.
    public init(containerArn: String, taskArn: String, name: String, image: String?) {
        self.containerArn = containerArn
        self.taskArn = taskArn
        self.name = name
        self.image = image
        lastStatus = .pending
        healthStatus = .unknown
    }

    public init(reading r: ObjectReader) {
        self.init(containerArn: r("containerArn") ?? "", taskArn: r("taskArn") ?? "", name: r("name") ?? "", image: r("image"))
        lastStatus = r("lastStatus") ?? .pending; networkInterfaces = r("networkInterfaces"); healthStatus = r("healthStatus") ?? .unknown
        cpu = r("cpu"); memory = r("memory"); memoryReservation = r("memoryReservation"); exitCode = r("exitCode"); reason = r("reason")
        runtimeId = r("runtimeId"); imageDigest = r("imageDigest"); networkBindings = r("networkBindings")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("containerArn", containerArn); w.set("taskArn", taskArn); w.set("name", name); w.set("image", image)
        w.set("lastStatus", lastStatus); w.set("networkInterfaces", networkInterfaces); w.set("healthStatus", healthStatus)
        w.set("cpu", cpu); w.set("memory", memory); w.set("memoryReservation", memoryReservation); w.set("exitCode", exitCode)
        w.set("reason", reason); w.set("runtimeId", runtimeId); w.set("imageDigest", imageDigest); w.set("networkBindings", networkBindings)
    }
}

/// A published port of a running container ([M:NetworkBinding]).
public struct NetworkBinding: JSONShape, Sendable, Equatable {
    public var bindIP: String
    public var containerPort: Int
    public var hostPort: Int
    public var `protocol`: String

    public init(bindIP: String, containerPort: Int, hostPort: Int, protocol: String) {
        self.bindIP = bindIP
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.protocol = `protocol`
    }

    public init(reading r: ObjectReader) {
        self.init(bindIP: r("bindIP") ?? "", containerPort: r("containerPort") ?? 0, hostPort: r("hostPort") ?? 0, protocol: r("protocol") ?? "tcp")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("bindIP", bindIP); w.set("containerPort", containerPort); w.set("hostPort", hostPort); w.set("protocol", `protocol`)
    }
}

/// An ECS timestamp: epoch seconds with millisecond precision (`JSONValue.timestamp`).
struct WireTimestamp: JSONEncodable {
    var seconds: Double
    init(_ seconds: Double) { self.seconds = seconds }
    var jsonValue: JSONValue { .timestamp(seconds) }
}

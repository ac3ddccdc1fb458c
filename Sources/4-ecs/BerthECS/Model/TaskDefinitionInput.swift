import BerthJSON

/// A RegisterTaskDefinition request ([M:RegisterTaskDefinitionRequest]). After
/// `TaskDefinitionNormalizer.normalize` the task `cpu`/`memory` are integer strings.
public struct TaskDefinitionInput: JSONShape, Sendable, Equatable {
    public var family: String?
    public var taskRoleArn: String?
    public var executionRoleArn: String?
    public var networkMode: NetworkMode?
    public var containerDefinitions: [ContainerDefinition]?
    public var volumes: [Volume]?
    public var placementConstraints: [TaskDefinitionPlacementConstraint]?
    public var requiresCompatibilities: [Compatibility]?
    public var cpu: String?
    public var memory: String?
    public var tags: [Tag]?
    public var pidMode: PIDMode?
    public var ipcMode: IPCMode?
    public var proxyConfiguration: ProxyConfiguration?
    public var inferenceAccelerators: [InferenceAccelerator]?
    public var ephemeralStorage: EphemeralStorage?
    public var runtimePlatform: RuntimePlatform?
    public var enableFaultInjection: Bool?

    public init(family: String? = nil, containerDefinitions: [ContainerDefinition]? = nil) {
        self.family = family
        self.containerDefinitions = containerDefinitions
    }

    public init(reading r: ObjectReader) {
        family = r.required("family"); taskRoleArn = r("taskRoleArn"); executionRoleArn = r("executionRoleArn")
        networkMode = r("networkMode"); containerDefinitions = r.required("containerDefinitions"); volumes = r("volumes")
        placementConstraints = r("placementConstraints"); requiresCompatibilities = r("requiresCompatibilities")
        cpu = r("cpu"); memory = r("memory"); tags = r("tags"); pidMode = r("pidMode"); ipcMode = r("ipcMode")
        proxyConfiguration = r("proxyConfiguration"); inferenceAccelerators = r("inferenceAccelerators")
        ephemeralStorage = r("ephemeralStorage"); runtimePlatform = r("runtimePlatform"); enableFaultInjection = r("enableFaultInjection")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("family", family); w.set("taskRoleArn", taskRoleArn); w.set("executionRoleArn", executionRoleArn)
        w.set("networkMode", networkMode); w.set("containerDefinitions", containerDefinitions); w.set("volumes", volumes)
        w.set("placementConstraints", placementConstraints); w.set("requiresCompatibilities", requiresCompatibilities)
        w.set("cpu", cpu); w.set("memory", memory); w.set("tags", tags); w.set("pidMode", pidMode); w.set("ipcMode", ipcMode)
        w.set("proxyConfiguration", proxyConfiguration); w.set("inferenceAccelerators", inferenceAccelerators)
        w.set("ephemeralStorage", ephemeralStorage); w.set("runtimePlatform", runtimePlatform); w.set("enableFaultInjection", enableFaultInjection)
    }

    /// `networkMode` defaults to bridge.
    public var effectiveNetworkMode: NetworkMode { networkMode ?? .bridge }
    public var requiresFargate: Bool { requiresCompatibilities?.contains(.fargate) ?? false }
    public var containers: [ContainerDefinition] { containerDefinitions ?? [] }
    public func container(named name: String) -> ContainerDefinition? { containers.first { $0.name == name } }
    public func volume(named name: String) -> Volume? { volumes?.first { $0.name == name } }
}

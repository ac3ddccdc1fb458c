import BerthJSON

/// Small nested shapes of task definitions ([M] botocore ECS model). Every member is optional
/// here, exactly as on the wire; the decoder reports model-required members that are missing.

public struct KeyValuePair: JSONShape, Sendable, Equatable {
    public var name: String?
    public var value: String?
    public init(name: String? = nil, value: String? = nil) { self.name = name; self.value = value }
    public init(reading r: ObjectReader) { name = r("name"); value = r("value") }
    public func write(to w: inout ObjectWriter) { w.set("name", name); w.set("value", value) }
}

public struct Tag: JSONShape, Sendable, Equatable {
    public var key: String?
    public var value: String?
    public init(key: String? = nil, value: String? = nil) { self.key = key; self.value = value }
    public init(reading r: ObjectReader) { key = r("key"); value = r("value") }
    public func write(to w: inout ObjectWriter) { w.set("key", key); w.set("value", value) }
}

public struct PortMapping: JSONShape, Sendable, Equatable {
    public var containerPort: Int?
    public var hostPort: Int?
    public var `protocol`: TransportProtocol?
    public var name: String?
    public var appProtocol: ApplicationProtocol?
    public var containerPortRange: String?
    public init() {}
    public init(reading r: ObjectReader) {
        containerPort = r("containerPort"); hostPort = r("hostPort"); `protocol` = r("protocol")
        name = r("name"); appProtocol = r("appProtocol"); containerPortRange = r("containerPortRange")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("containerPort", containerPort); w.set("hostPort", hostPort); w.set("protocol", `protocol`)
        w.set("name", name); w.set("appProtocol", appProtocol); w.set("containerPortRange", containerPortRange)
    }
}

public struct EnvironmentFile: JSONShape, Sendable, Equatable {
    public var value: String?
    public var type: EnvironmentFileType?
    public init(value: String? = nil, type: EnvironmentFileType? = .s3) { self.value = value; self.type = type }
    public init(reading r: ObjectReader) { value = r.required("value"); type = r.required("type") }
    public func write(to w: inout ObjectWriter) { w.set("value", value); w.set("type", type) }

    /// A local file this points at (Berth extension: an absolute path or `file://` URL), else nil (S3).
    public var localPath: String? {
        guard let value else { return nil }
        if value.hasPrefix("file://") { return String(value.dropFirst("file://".count)) }
        return value.hasPrefix("/") ? value : nil
    }
}

public struct MountPoint: JSONShape, Sendable, Equatable {
    public var sourceVolume: String?
    public var containerPath: String?
    public var readOnly: Bool?
    public init(sourceVolume: String? = nil, containerPath: String? = nil, readOnly: Bool? = nil) {
        self.sourceVolume = sourceVolume; self.containerPath = containerPath; self.readOnly = readOnly
    }
    public init(reading r: ObjectReader) { sourceVolume = r("sourceVolume"); containerPath = r("containerPath"); readOnly = r("readOnly") }
    public func write(to w: inout ObjectWriter) {
        w.set("sourceVolume", sourceVolume); w.set("containerPath", containerPath); w.set("readOnly", readOnly)
    }
}

public struct VolumeFrom: JSONShape, Sendable, Equatable {
    public var sourceContainer: String?
    public var readOnly: Bool?
    public init(sourceContainer: String? = nil, readOnly: Bool? = nil) { self.sourceContainer = sourceContainer; self.readOnly = readOnly }
    public init(reading r: ObjectReader) { sourceContainer = r("sourceContainer"); readOnly = r("readOnly") }
    public func write(to w: inout ObjectWriter) { w.set("sourceContainer", sourceContainer); w.set("readOnly", readOnly) }
}

public struct Secret: JSONShape, Sendable, Equatable {
    public var name: String?
    public var valueFrom: String?
    public init(name: String? = nil, valueFrom: String? = nil) { self.name = name; self.valueFrom = valueFrom }
    public init(reading r: ObjectReader) { name = r.required("name"); valueFrom = r.required("valueFrom") }
    public func write(to w: inout ObjectWriter) { w.set("name", name); w.set("valueFrom", valueFrom) }
}

public struct ContainerDependency: JSONShape, Sendable, Equatable {
    public var containerName: String?
    public var condition: ContainerCondition?
    public init(containerName: String? = nil, condition: ContainerCondition? = nil) {
        self.containerName = containerName; self.condition = condition
    }
    public init(reading r: ObjectReader) { containerName = r.required("containerName"); condition = r.required("condition") }
    public func write(to w: inout ObjectWriter) { w.set("containerName", containerName); w.set("condition", condition) }
}

public struct HostEntry: JSONShape, Sendable, Equatable {
    public var hostname: String?
    public var ipAddress: String?
    public init(hostname: String? = nil, ipAddress: String? = nil) { self.hostname = hostname; self.ipAddress = ipAddress }
    public init(reading r: ObjectReader) { hostname = r.required("hostname"); ipAddress = r.required("ipAddress") }
    public func write(to w: inout ObjectWriter) { w.set("hostname", hostname); w.set("ipAddress", ipAddress) }
}

public struct Ulimit: JSONShape, Sendable, Equatable {
    public var name: UlimitName?
    public var softLimit: Int?
    public var hardLimit: Int?
    public init(name: UlimitName? = nil, softLimit: Int? = nil, hardLimit: Int? = nil) {
        self.name = name; self.softLimit = softLimit; self.hardLimit = hardLimit
    }
    public init(reading r: ObjectReader) { name = r.required("name"); softLimit = r.required("softLimit"); hardLimit = r.required("hardLimit") }
    public func write(to w: inout ObjectWriter) { w.set("name", name); w.set("softLimit", softLimit); w.set("hardLimit", hardLimit) }
}

public struct SystemControl: JSONShape, Sendable, Equatable {
    public var namespace: String?
    public var value: String?
    public init(namespace: String? = nil, value: String? = nil) { self.namespace = namespace; self.value = value }
    public init(reading r: ObjectReader) { namespace = r("namespace"); value = r("value") }
    public func write(to w: inout ObjectWriter) { w.set("namespace", namespace); w.set("value", value) }
}

public struct ResourceRequirement: JSONShape, Sendable, Equatable {
    public var value: String?
    public var type: ResourceType?
    public init(value: String? = nil, type: ResourceType? = nil) { self.value = value; self.type = type }
    public init(reading r: ObjectReader) { value = r.required("value"); type = r.required("type") }
    public func write(to w: inout ObjectWriter) { w.set("value", value); w.set("type", type) }
}

public struct RepositoryCredentials: JSONShape, Sendable, Equatable {
    public var credentialsParameter: String?
    public init(credentialsParameter: String? = nil) { self.credentialsParameter = credentialsParameter }
    public init(reading r: ObjectReader) { credentialsParameter = r.required("credentialsParameter") }
    public func write(to w: inout ObjectWriter) { w.set("credentialsParameter", credentialsParameter) }
}

public struct HealthCheck: JSONShape, Sendable, Equatable {
    public var command: [String]?
    public var interval: Int?
    public var timeout: Int?
    public var retries: Int?
    public var startPeriod: Int?
    public init(command: [String]? = nil, interval: Int? = nil, timeout: Int? = nil, retries: Int? = nil, startPeriod: Int? = nil) {
        self.command = command; self.interval = interval; self.timeout = timeout; self.retries = retries; self.startPeriod = startPeriod
    }
    public init(reading r: ObjectReader) {
        command = r.required("command"); interval = r("interval"); timeout = r("timeout"); retries = r("retries"); startPeriod = r("startPeriod")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("command", command); w.set("interval", interval); w.set("timeout", timeout)
        w.set("retries", retries); w.set("startPeriod", startPeriod)
    }

    /// ECS defaults (§2.1): interval 30 s, timeout 5 s, retries 3, startPeriod 0.
    public var effectiveInterval: Int { interval ?? 30 }
    public var effectiveTimeout: Int { timeout ?? 5 }
    public var effectiveRetries: Int { retries ?? 3 }
    public var effectiveStartPeriod: Int { startPeriod ?? 0 }
}

public struct ContainerRestartPolicy: JSONShape, Sendable, Equatable {
    public var enabled: Bool?
    public var ignoredExitCodes: [Int]?
    public var restartAttemptPeriod: Int?
    public init(enabled: Bool? = nil, ignoredExitCodes: [Int]? = nil, restartAttemptPeriod: Int? = nil) {
        self.enabled = enabled; self.ignoredExitCodes = ignoredExitCodes; self.restartAttemptPeriod = restartAttemptPeriod
    }
    public init(reading r: ObjectReader) {
        enabled = r.required("enabled"); ignoredExitCodes = r("ignoredExitCodes"); restartAttemptPeriod = r("restartAttemptPeriod")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("enabled", enabled); w.set("ignoredExitCodes", ignoredExitCodes); w.set("restartAttemptPeriod", restartAttemptPeriod)
    }
    /// Default 300 s (§3.5).
    public var effectiveRestartAttemptPeriod: Int { restartAttemptPeriod ?? 300 }
}

public struct LogConfiguration: JSONShape, Sendable, Equatable {
    public var logDriver: LogDriver?
    public var options: [String: String]?
    public var secretOptions: [Secret]?
    public init(logDriver: LogDriver? = nil, options: [String: String]? = nil, secretOptions: [Secret]? = nil) {
        self.logDriver = logDriver; self.options = options; self.secretOptions = secretOptions
    }
    public init(reading r: ObjectReader) { logDriver = r.required("logDriver"); options = r("options"); secretOptions = r("secretOptions") }
    public func write(to w: inout ObjectWriter) { w.set("logDriver", logDriver); w.set("options", options); w.set("secretOptions", secretOptions) }
}

public struct FirelensConfiguration: JSONShape, Sendable, Equatable {
    public var type: FirelensConfigurationType?
    public var options: [String: String]?
    public init(type: FirelensConfigurationType? = nil, options: [String: String]? = nil) { self.type = type; self.options = options }
    public init(reading r: ObjectReader) { type = r.required("type"); options = r("options") }
    public func write(to w: inout ObjectWriter) { w.set("type", type); w.set("options", options) }
}

public struct KernelCapabilities: JSONShape, Sendable, Equatable {
    public var add: [String]?
    public var drop: [String]?
    public init(add: [String]? = nil, drop: [String]? = nil) { self.add = add; self.drop = drop }
    public init(reading r: ObjectReader) { add = r("add"); drop = r("drop") }
    public func write(to w: inout ObjectWriter) { w.set("add", add); w.set("drop", drop) }
}

public struct Device: JSONShape, Sendable, Equatable {
    public var hostPath: String?
    public var containerPath: String?
    public var permissions: [DeviceCgroupPermission]?
    public init(hostPath: String? = nil, containerPath: String? = nil, permissions: [DeviceCgroupPermission]? = nil) {
        self.hostPath = hostPath; self.containerPath = containerPath; self.permissions = permissions
    }
    public init(reading r: ObjectReader) { hostPath = r.required("hostPath"); containerPath = r("containerPath"); permissions = r("permissions") }
    public func write(to w: inout ObjectWriter) { w.set("hostPath", hostPath); w.set("containerPath", containerPath); w.set("permissions", permissions) }
}

public struct Tmpfs: JSONShape, Sendable, Equatable {
    public var containerPath: String?
    public var size: Int?
    public var mountOptions: [String]?
    public init(containerPath: String? = nil, size: Int? = nil, mountOptions: [String]? = nil) {
        self.containerPath = containerPath; self.size = size; self.mountOptions = mountOptions
    }
    public init(reading r: ObjectReader) { containerPath = r.required("containerPath"); size = r.required("size"); mountOptions = r("mountOptions") }
    public func write(to w: inout ObjectWriter) { w.set("containerPath", containerPath); w.set("size", size); w.set("mountOptions", mountOptions) }
}

public struct LinuxParameters: JSONShape, Sendable, Equatable {
    public var capabilities: KernelCapabilities?
    public var devices: [Device]?
    public var initProcessEnabled: Bool?
    public var sharedMemorySize: Int?
    public var tmpfs: [Tmpfs]?
    public var maxSwap: Int?
    public var swappiness: Int?
    public init() {}
    public init(reading r: ObjectReader) {
        capabilities = r("capabilities"); devices = r("devices"); initProcessEnabled = r("initProcessEnabled")
        sharedMemorySize = r("sharedMemorySize"); tmpfs = r("tmpfs"); maxSwap = r("maxSwap"); swappiness = r("swappiness")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("capabilities", capabilities); w.set("devices", devices); w.set("initProcessEnabled", initProcessEnabled)
        w.set("sharedMemorySize", sharedMemorySize); w.set("tmpfs", tmpfs); w.set("maxSwap", maxSwap); w.set("swappiness", swappiness)
    }
}

import BerthJSON

/// Task-level nested shapes.

public struct TaskDefinitionPlacementConstraint: JSONShape, Sendable, Equatable {
    public var type: PlacementConstraintType?
    public var expression: String?
    public init() {}
    public init(reading r: ObjectReader) { type = r("type"); expression = r("expression") }
    public func write(to w: inout ObjectWriter) { w.set("type", type); w.set("expression", expression) }
}

public struct ProxyConfiguration: JSONShape, Sendable, Equatable {
    public var type: ProxyConfigurationType?
    public var containerName: String?
    public var properties: [KeyValuePair]?
    public init() {}
    public init(reading r: ObjectReader) { type = r("type"); containerName = r.required("containerName"); properties = r("properties") }
    public func write(to w: inout ObjectWriter) { w.set("type", type); w.set("containerName", containerName); w.set("properties", properties) }
}

public struct InferenceAccelerator: JSONShape, Sendable, Equatable {
    public var deviceName: String?
    public var deviceType: String?
    public init() {}
    public init(reading r: ObjectReader) { deviceName = r.required("deviceName"); deviceType = r.required("deviceType") }
    public func write(to w: inout ObjectWriter) { w.set("deviceName", deviceName); w.set("deviceType", deviceType) }
}

public struct EphemeralStorage: JSONShape, Sendable, Equatable {
    public var sizeInGiB: Int?
    public init(sizeInGiB: Int? = nil) { self.sizeInGiB = sizeInGiB }
    public init(reading r: ObjectReader) { sizeInGiB = r.required("sizeInGiB") }
    public func write(to w: inout ObjectWriter) { w.set("sizeInGiB", sizeInGiB) }
}

public struct RuntimePlatform: JSONShape, Sendable, Equatable {
    public var cpuArchitecture: CPUArchitecture?
    public var operatingSystemFamily: OSFamily?
    public init(cpuArchitecture: CPUArchitecture? = nil, operatingSystemFamily: OSFamily? = nil) {
        self.cpuArchitecture = cpuArchitecture; self.operatingSystemFamily = operatingSystemFamily
    }
    public init(reading r: ObjectReader) { cpuArchitecture = r("cpuArchitecture"); operatingSystemFamily = r("operatingSystemFamily") }
    public func write(to w: inout ObjectWriter) { w.set("cpuArchitecture", cpuArchitecture); w.set("operatingSystemFamily", operatingSystemFamily) }
}

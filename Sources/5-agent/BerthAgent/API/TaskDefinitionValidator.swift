import BerthJSON
import BerthECS

/// What the agent stores for a registration: the normalised request (§1.2, without tags)
/// and the launch types ECS computes it is compatible with.
public struct ValidatedTaskDefinition: Sendable {
    public var definition: JSONValue
    public var compatibilities: [String]
    public init(definition: JSONValue, compatibilities: [String]) {
        self.definition = definition
        self.compatibilities = compatibilities
    }
}

/// Turns a RegisterTaskDefinition request into what ECS stores, or an ECS error.
public protocol TaskDefinitionValidator: Sendable {
    func validate(_ request: JSONValue) throws(APIError) -> ValidatedTaskDefinition
}

/// The BerthECS model: typed decoding with JSON paths, every register-time rule with ECS's
/// messages, and normalisation.
public struct ECSModelValidator: TaskDefinitionValidator {
    public init() {}

    public func validate(_ request: JSONValue) throws(APIError) -> ValidatedTaskDefinition {
        let report = ECSValidation.validateTaskDefinition(request)
        if let error = report.registerError { throw APIError(error) }
        guard let input = report.definition else { throw .client("The request is not a task definition.") }
        let registered = RegisteredTaskDefinition(definition: input, region: "local", account: "local", revision: 1, registeredAt: 0)
        var definition = input.jsonValue  // report.definition is already normalised
        definition["tags"] = nil
        return ValidatedTaskDefinition(definition: definition, compatibilities: registered.compatibilities.map(\.rawValue))
    }

    /// Task-level cpu ("1 vCPU", "1024") to the integer string ECS stores.
    static func cpu(_ text: String, field: String) throws(APIError) -> String {
        switch ResourceUnits.cpuUnits(text) {
        case .success(let n): return String(n)
        case .failure(let e): throw .client("Invalid '\(field)' setting: \(e)")
        }
    }

    /// Task-level memory ("1GB", "512") to the integer MiB string ECS stores.
    static func memory(_ text: String, field: String) throws(APIError) -> String {
        switch ResourceUnits.memoryMiB(text) {
        case .success(let n): return String(n)
        case .failure(let e): throw .client("Invalid '\(field)' setting: \(e)")
        }
    }
}

import BerthJSON
import BerthController
import Foundation

/// One service the agent owns: the controller's `ServiceState` (Codable, persisted as is) plus
/// the CreateService members the controller does not model (launch type, tags, ...). Persisted
/// as one JSON file `services/<cluster>@<name>.json`, rewritten atomically on every change.
struct ServiceRecord {
    var cluster: String
    var state: ServiceState
    var launchType: String
    var platformVersion: String?
    var networkConfiguration: JSONValue?
    var tags: [(String, String)]
    var propagateTags: String
    var enableECSManagedTags: Bool
    var enableExecuteCommand: Bool
    var clientToken: String?

    var name: String { state.serviceName }
    var key: String { ServiceRecord.key(cluster: cluster, name: name) }
    static func key(cluster: String, name: String) -> String { "\(cluster)@\(name)" }

    init(cluster: String, state: ServiceState, launchType: String) {
        self.cluster = cluster
        self.state = state
        self.launchType = launchType
        self.platformVersion = nil
        self.networkConfiguration = nil
        self.tags = []
        self.propagateTags = "NONE"
        self.enableECSManagedTags = false
        self.enableExecuteCommand = false
        self.clientToken = nil
    }

    var json: JSONValue {
        .obj([
            ("cluster", .string(cluster)), ("state", ServiceStateCoding.encode(state)), ("launchType", .string(launchType)),
            ("platformVersion", platformVersion.map(JSONValue.string)), ("networkConfiguration", networkConfiguration),
            ("tags", tagsJSON(tags)), ("propagateTags", .string(propagateTags)),
            ("enableECSManagedTags", .bool(enableECSManagedTags)), ("enableExecuteCommand", .bool(enableExecuteCommand)),
            ("clientToken", clientToken.map(JSONValue.string)),
        ])
    }

    init?(json: JSONValue) {
        guard let cluster = json["cluster"]?.stringValue, let stateJSON = json["state"],
              let state = ServiceStateCoding.decode(stateJSON) else { return nil }
        self.init(cluster: cluster, state: state, launchType: json["launchType"]?.stringValue ?? "EC2")
        platformVersion = json["platformVersion"]?.stringValue
        networkConfiguration = json["networkConfiguration"]
        tags = tagsFrom(json["tags"])
        propagateTags = json["propagateTags"]?.stringValue ?? "NONE"
        enableECSManagedTags = json["enableECSManagedTags"]?.boolValue ?? false
        enableExecuteCommand = json["enableExecuteCommand"]?.boolValue ?? false
        clientToken = json["clientToken"]?.stringValue
    }
}

/// `ServiceState` <-> the agent's JSON value, through Foundation's Codable coders.
enum ServiceStateCoding {
    static func encode(_ state: ServiceState) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(state), let value = try? JSONValue.parse(bytes: Array(data)) else { return .null }
        return value
    }

    static func decode(_ json: JSONValue) -> ServiceState? {
        try? JSONDecoder().decode(ServiceState.self, from: Data(json.serializedBytes()))
    }
}

import BerthJSON
import BerthAgent
import BerthController
import Foundation

/// `berth agent --controller-config FILE`: service controller timers as JSON, every member
/// optional (defaults are ECS's), for example
/// `{"healthyAfterRunningSeconds": 10, "throttle": {"baseDelaySeconds": 5, "maxDelaySeconds": 300}}`.
/// Unknown members and wrong types are errors naming the member.
enum ControllerConfigFile {
    static let numbers: Set<String> = ["timeScale", "healthyAfterRunningSeconds", "steadyStateEventIntervalSeconds",
                                       "duplicateEventIntervalSeconds", "launchTimeoutSeconds", "maxEvents"]
    static let throttleNumbers: Set<String> = ["failuresBeforeThrottle", "baseDelaySeconds", "multiplier", "maxDelaySeconds"]

    static func load(_ path: String, over base: ControllerConfig) throws -> ControllerConfig {
        let doc = try ClientSupport.readJSONFile(path)
        guard let members = doc.objectValue else { throw ClientFailure(message: "\(path): expected a JSON object") }
        var merged = ServiceJSON.encode(base)
        for (key, value) in members {
            if key == "throttle" {
                guard let inner = value.objectValue else { throw ClientFailure(message: "\(path): throttle: expected an object") }
                var throttle = merged["throttle"] ?? [:]
                for (k, v) in inner {
                    guard throttleNumbers.contains(k) else { throw ClientFailure(message: "\(path): unknown member throttle.\(k)") }
                    try check(v, "throttle.\(k)", path)
                    throttle[k] = v
                }
                merged["throttle"] = throttle
            } else {
                guard numbers.contains(key) else { throw ClientFailure(message: "\(path): unknown member \(key)") }
                try check(value, key, path)
                if key == "timeScale", value.doubleValue == 0 { throw ClientFailure(message: "\(path): timeScale must be above 0") }
                merged[key] = value
            }
        }
        guard let config = ServiceJSON.decode(ControllerConfig.self, merged) else {
            throw ClientFailure(message: "\(path): does not describe controller timers (integers where counts are expected?)")
        }
        return config
    }

    static func check(_ value: JSONValue, _ name: String, _ path: String) throws {
        guard let number = value.doubleValue, number.isFinite, number >= 0 else {
            throw ClientFailure(message: "\(path): \(name) must be a non-negative number")
        }
    }
}

/// Codable values <-> the agent's JSON.
enum ServiceJSON {
    static func encode<T: Encodable>(_ value: T) -> JSONValue {
        guard let data = try? JSONEncoder().encode(value), let json = try? JSONValue.parse(bytes: Array(data)) else { return .null }
        return json
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: JSONValue) -> T? {
        try? JSONDecoder().decode(type, from: Data(json.serializedBytes()))
    }
}

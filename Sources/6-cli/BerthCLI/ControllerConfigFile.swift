import BerthJSON
import BerthAgent
import BerthController

/// `berth agent --controller-config FILE`: service controller timers as JSON, every member
/// optional (defaults are ECS's), for example
/// `{"healthyAfterRunningSeconds": 10, "throttle": {"baseDelaySeconds": 5, "maxDelaySeconds": 300}}`.
/// Unknown members and wrong types are errors naming the member.
enum ControllerConfigFile {
    static func load(_ path: String, over base: ControllerConfig) throws -> ControllerConfig {
        let doc = try ClientSupport.readJSONFile(path)
        guard let members = doc.objectValue else { throw ClientFailure(message: "\(path): expected a JSON object") }
        var config = base
        for (key, value) in members {
            if key == "throttle" {
                guard let inner = value.objectValue else { throw ClientFailure(message: "\(path): throttle: expected an object") }
                for (k, v) in inner { try set("throttle.\(k)", v, &config, path) }
            } else {
                try set(key, value, &config, path)
            }
        }
        return config
    }

    /// Sets the member `name` (`throttle.` before the throttle's members) from a non-negative
    /// number; counts must be integers.
    static func set(_ name: String, _ value: JSONValue, _ c: inout ControllerConfig, _ path: String) throws {
        func number() throws -> Double {
            guard let n = value.doubleValue, n.isFinite, n >= 0 else {
                throw ClientFailure(message: "\(path): \(name) must be a non-negative number")
            }
            return n
        }
        func count() throws -> Int {
            guard let i = Int(exactly: try number()) else { throw ClientFailure(message: "\(path): \(name) must be an integer") }
            return i
        }
        switch name {
        case "timeScale":
            c.timeScale = try number()
            if c.timeScale == 0 { throw ClientFailure(message: "\(path): timeScale must be above 0") }
        case "healthyAfterRunningSeconds": c.healthyAfterRunningSeconds = try number()
        case "steadyStateEventIntervalSeconds": c.steadyStateEventIntervalSeconds = try number()
        case "duplicateEventIntervalSeconds": c.duplicateEventIntervalSeconds = try number()
        case "launchTimeoutSeconds": c.launchTimeoutSeconds = try number()
        case "maxEvents": c.maxEvents = try count()
        case "throttle.failuresBeforeThrottle": c.throttle.failuresBeforeThrottle = try count()
        case "throttle.baseDelaySeconds": c.throttle.baseDelaySeconds = try number()
        case "throttle.multiplier": c.throttle.multiplier = try number()
        case "throttle.maxDelaySeconds": c.throttle.maxDelaySeconds = try number()
        default: throw ClientFailure(message: "\(path): unknown member \(name)")
        }
    }
}

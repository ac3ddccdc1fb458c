import BerthJSON

/// Reads the members of one object. Every member read is remembered, so `finish()` can report
/// members the API does not have. `null` counts as absent (as the ECS service treats it).
public final class ObjectReader {
    public let object: JSONObject
    public let path: JSONPath
    public let diag: Diagnostics
    private var known: [String] = []

    public init(_ object: JSONObject, at path: JSONPath, _ diag: Diagnostics) {
        self.object = object
        self.path = path
        self.diag = diag
    }

    /// The member `key` decoded as `T`, or nil when absent, null or of the wrong type (reported).
    public func callAsFunction<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) -> T? {
        known.append(key)
        guard let raw = present(key) else { return nil }
        return T.decode(raw, at: path / key, diag)
    }

    /// Like `callAsFunction`, but a missing member is reported as a missing required parameter.
    public func required<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) -> T? {
        known.append(key)
        guard let raw = present(key) else {
            diag.invalid(path / key, "missing required parameter \(quoted(key))")
            return nil
        }
        return T.decode(raw, at: path / key, diag)
    }

    /// The member's value; `null` is absent, with a warning because the AWS CLI rejects it.
    private func present(_ key: String) -> JSONValue? {
        guard let raw = object[key] else { return nil }
        if raw == .null {
            diag.warning(path / key, "null is treated as if the member were absent (the AWS CLI would reject it: \"Invalid type for parameter\")")
            return nil
        }
        return raw
    }

    /// A member kept as raw JSON (cloud-only configuration echoed back), checked to be an object.
    public func rawObject(_ key: String) -> JSONValue? { raw(key, expected: "object") { $0.objectValue != nil } }

    /// A member kept as raw JSON, checked to be a list.
    public func rawList(_ key: String) -> JSONValue? { raw(key, expected: "list") { $0.arrayValue != nil } }

    private func raw(_ key: String, expected: String, _ ok: (JSONValue) -> Bool) -> JSONValue? {
        guard let value: JSONValue = self(key) else { return nil }
        guard ok(value) else {
            diag.invalid(path / key, typeMessage(expected: expected, got: value))
            return nil
        }
        return value
    }

    /// Marks members as known without decoding them (read-only fields handled elsewhere).
    public func accept(_ keys: [String]) { known.append(contentsOf: keys) }

    /// Reports every member that was never read, suggesting the closest known name.
    public func finish() {
        for key in object.keys where !known.contains(key) {
            var message = "unknown parameter \(quoted(key)): not part of the ECS API for this object"
            if let guess = closestName(to: key, in: known) { message += "; did you mean \(quoted(guess))?" }
            diag.invalid(path / key, message)
        }
    }
}

/// Case-insensitive match first, then the nearest name by edit distance (if close enough).
func closestName(to key: String, in candidates: [String]) -> String? {
    if let same = candidates.first(where: { $0.lowercased() == key.lowercased() }) { return same }
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(Array(key.lowercased()), Array(c.lowercased()))
        if d <= max(2, c.count / 3), d < (best?.1 ?? .max) { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// Decoding of any request shape, for the API layer.
public enum JSONRequest {
    /// Reads `json` as `T`: nil when it is not an object; shape problems (types, unknown members,
    /// enum values, missing required members) as InvalidParameterException problems.
    public static func decode<T: JSONShape>(_ json: JSONValue, as type: T.Type = T.self) -> (T?, [Problem]) {
        let diag = Diagnostics()
        guard case .object = json else {
            diag.invalid(.root, typeMessage(expected: "object", got: json))
            return (nil, diag.problems)
        }
        return (T.decode(json, at: .root, diag), diag.problems)
    }
}

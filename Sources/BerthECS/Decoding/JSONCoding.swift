/// A value that can be read from a JSON value with type checking. Type errors are reported with
/// their path into `Diagnostics`; the result is nil then.
protocol JSONDecodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self?
}

/// A value that can be written as JSON.
public protocol JSONEncodable {
    var jsonValue: JSONValue { get }
}

/// An API structure read member by member through an `ObjectReader`.
protocol JSONShape: JSONDecodable, JSONEncodable {
    init(reading r: ObjectReader)
    func write(to w: inout ObjectWriter)
}

extension JSONShape {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self? {
        guard case .object(let object) = value else {
            diag.invalid(path, typeMessage(expected: "object", got: value))
            return nil
        }
        let reader = ObjectReader(object, at: path, diag)
        let shape = Self(reading: reader)
        reader.finish()
        return shape
    }

    public var jsonValue: JSONValue { .object(jsonObject) }

    public var jsonObject: JSONObject {
        var w = ObjectWriter()
        write(to: &w)
        return w.object
    }
}

/// String enums of the API (`networkMode`, `protocol`, ...).
protocol JSONEnum: RawRepresentable, CaseIterable, JSONDecodable, JSONEncodable, Sendable where RawValue == String {}

extension JSONEnum {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self? {
        guard case .string(let s) = value else {
            diag.invalid(path, typeMessage(expected: "string", got: value))
            return nil
        }
        guard let v = Self(rawValue: s) else {
            let valid = allCases.map(\.rawValue).joined(separator: ", ")
            diag.invalid(path, "invalid value \(quoted(s)); valid values: \(valid)")
            return nil
        }
        return v
    }

    public var jsonValue: JSONValue { .string(rawValue) }
}

func typeMessage(expected: String, got value: JSONValue) -> String {
    let shown: String
    switch value {
    case .string(let s): shown = "string " + quoted(s)
    case .number(let n): shown = (n.isInteger ? "integer " : "number ") + n.literal
    case .bool(let b): shown = "boolean \(b)"
    case .object: shown = "an object"
    case .array: shown = "an array"
    case .null: shown = "null"
    }
    return "invalid type: expected \(expected), got \(shown)"
}

func quoted(_ s: String, limit: Int = 80) -> String {
    let cut = s.count > limit ? String(s.prefix(limit)) + "..." : s
    return JSONValue.string(cut).serialized()
}

extension String: JSONDecodable, JSONEncodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> String? {
        if case .string(let s) = value { return s }
        diag.invalid(path, typeMessage(expected: "string", got: value))
        return nil
    }
    public var jsonValue: JSONValue { .string(self) }
}

extension Int: JSONDecodable, JSONEncodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Int? {
        if case .number(let n) = value {
            if let i = n.intValue { return i }
            if n.isInteger {
                diag.invalid(path, "integer \(n.literal) is out of range")
                return nil
            }
        }
        diag.invalid(path, typeMessage(expected: "integer", got: value))
        return nil
    }
    public var jsonValue: JSONValue { .int(self) }
}

extension Double: JSONDecodable, JSONEncodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Double? {
        if case .number(let n) = value, let d = n.doubleValue { return d }
        diag.invalid(path, typeMessage(expected: "number", got: value))
        return nil
    }
    public var jsonValue: JSONValue { .double(self) }
}

extension Bool: JSONDecodable, JSONEncodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Bool? {
        if case .bool(let b) = value { return b }
        diag.invalid(path, typeMessage(expected: "boolean", got: value))
        return nil
    }
    public var jsonValue: JSONValue { .bool(self) }
}

extension Array: JSONDecodable where Element: JSONDecodable {
    /// Elements of the wrong type are reported and left out; `null` elements too.
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> [Element]? {
        guard case .array(let items) = value else {
            diag.invalid(path, typeMessage(expected: "list", got: value))
            return nil
        }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            if let e = Element.decode(item, at: path / i, diag) { out.append(e) }
        }
        return out
    }
}

extension Array: JSONEncodable where Element: JSONEncodable {
    public var jsonValue: JSONValue { .array(map(\.jsonValue)) }
}

extension Dictionary: JSONDecodable where Key == String, Value == String {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> [String: String]? {
        guard case .object(let object) = value else {
            diag.invalid(path, typeMessage(expected: "map of strings", got: value))
            return nil
        }
        var out: [String: String] = [:]
        for m in object.members {
            if let s = String.decode(m.value, at: path / m.key, diag) { out[m.key] = s }
        }
        return out
    }
}

extension Dictionary: JSONEncodable where Key == String, Value == String {
    /// Keys sorted, so output is stable.
    public var jsonValue: JSONValue {
        .object(JSONObject(keys.sorted().map { ($0, .string(self[$0]!)) }))
    }
}

extension JSONValue: JSONDecodable, JSONEncodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> JSONValue? { value }
    public var jsonValue: JSONValue { self }
}

/// Reads the members of one object. Every member read is remembered, so `finish()` can report
/// members the API does not have. `null` counts as absent (as the ECS service treats it).
final class ObjectReader {
    let object: JSONObject
    let path: JSONPath
    let diag: Diagnostics
    private var known: [String] = []

    init(_ object: JSONObject, at path: JSONPath, _ diag: Diagnostics) {
        self.object = object
        self.path = path
        self.diag = diag
    }

    /// The member `key` decoded as `T`, or nil when absent, null or of the wrong type (reported).
    func callAsFunction<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) -> T? {
        known.append(key)
        guard let raw = object[key], raw != .null else { return nil }
        return T.decode(raw, at: path / key, diag)
    }

    /// Like `callAsFunction`, but a missing member is reported as a missing required parameter.
    func required<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) -> T? {
        known.append(key)
        guard let raw = object[key], raw != .null else {
            diag.invalid(path / key, "missing required parameter \(quoted(key))")
            return nil
        }
        return T.decode(raw, at: path / key, diag)
    }

    /// Marks members as known without decoding them (read-only fields handled elsewhere).
    func accept(_ keys: [String]) { known.append(contentsOf: keys) }

    /// Reports every member that was never read, suggesting the closest known name.
    func finish() {
        for key in object.keys where !known.contains(key) {
            var message = "unknown parameter \(quoted(key)): not part of the ECS API for this object"
            if let guess = closestName(to: key, in: known) { message += "; did you mean \(quoted(guess))?" }
            diag.invalid(path / key, message)
        }
    }
}

/// Builds an object member by member; nil values are left out.
public struct ObjectWriter {
    public private(set) var object = JSONObject()
    public init() {}

    public mutating func set(_ key: String, _ value: (some JSONEncodable)?) {
        if let value { object[key] = value.jsonValue }
    }

    public mutating func set(_ key: String, raw value: JSONValue?) {
        if let value { object[key] = value }
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

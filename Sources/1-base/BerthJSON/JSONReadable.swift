/// A value of the wrong shape, at its JSON path: `spec.process.args[2]: expected a string`.
public struct JSONShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: JSONPath
    public var problem: String

    public init(_ path: JSONPath, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path.isRoot ? "(top level)" : path.description): \(problem)" }
}

/// Typed reading of a `JSONValue` that stops at the first problem (files Berth writes itself and
/// OCI configs). Accepts what the synthesized Codable conformances accept for the same types:
/// unknown keys are ignored, a missing or null optional is nil, a missing required key or a value
/// of the wrong type is an error. The ECS model reads with its own `JSONDecodable`, which collects
/// every problem.
public protocol JSONReadable {
    init(json: JSONValue, path: JSONPath) throws(JSONShapeError)
    /// Reads a member or element of `parent`. Scalars override it to build the path only for an
    /// error: a state file is mostly scalars, read on every `berth oci` command.
    static func read(_ json: JSONValue, in parent: JSONPath, at component: JSONPath.Component) throws(JSONShapeError) -> Self
}

extension JSONReadable {
    public static func read(_ json: JSONValue, in parent: JSONPath, at component: JSONPath.Component) throws(JSONShapeError) -> Self {
        try Self(json: json, path: parent.appending(component))
    }

    /// Parses `bytes` and reads the document as `Self`; syntax errors give line and column.
    public static func read(json bytes: [UInt8]) throws -> Self {
        try Self(json: try JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast), path: .root)
    }
}

/// The members of one JSON object, read by key.
public struct JSONObjectReader {
    public let object: JSONObject
    public let path: JSONPath

    public init(_ json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        guard case .object(let object) = json else { throw JSONShapeError(path, "expected an object") }
        self.object = object
        self.path = path
    }

    /// The value for `key`, nil when absent or null.
    public func raw(_ key: String) -> JSONValue? {
        guard let value = object[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    public func required<T: JSONReadable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T {
        guard let value = raw(key) else {
            throw JSONShapeError(path / key, object.contains(key) ? "null where a value is required" : "missing required field")
        }
        return try T.read(value, in: path, at: .key(key))
    }

    public func optional<T: JSONReadable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T? {
        guard let value = raw(key) else { return nil }
        return try T.read(value, in: path, at: .key(key))
    }
}

extension String: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        guard case .string(let s) = json else { throw JSONShapeError(path, "expected a string") }
        self = s
    }

    public static func read(_ json: JSONValue, in parent: JSONPath, at component: JSONPath.Component) throws(JSONShapeError) -> String {
        if case .string(let s) = json { return s }
        return try String(json: json, path: parent.appending(component))
    }
}

extension Bool: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        guard case .bool(let b) = json else { throw JSONShapeError(path, "expected true or false") }
        self = b
    }

    public static func read(_ json: JSONValue, in parent: JSONPath, at component: JSONPath.Component) throws(JSONShapeError) -> Bool {
        if case .bool(let b) = json { return b }
        return try Bool(json: json, path: parent.appending(component))
    }
}

extension Double: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        guard case .number(let n) = json, let value = n.doubleValue else { throw JSONShapeError(path, "expected a number") }
        self = value
    }
}

/// String enumerations: the raw value; another string is an error naming it.
extension JSONReadable where Self: RawRepresentable, RawValue == String {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        self = try .named(String(json: json, path: path), at: path)
    }
}

extension RawRepresentable where RawValue == String {
    /// The case whose raw value is `text`; another string is an error naming `path`.
    static func named(_ text: String, at path: JSONPath) throws(JSONShapeError) -> Self {
        guard let value = Self(rawValue: text) else { throw JSONShapeError(path, "unknown value \(text)") }
        return value
    }
}

/// Integers as JSONDecoder reads them: a number whose text is an integer in range.
public protocol JSONReadableInteger: JSONReadable, FixedWidthInteger {}

extension JSONReadableInteger {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let expected = Self.isSigned ? "an integer" : "a non-negative integer"
        guard case .number(let n) = json else { throw JSONShapeError(path, "expected \(expected)") }
        if let value = Self(n.literal, radix: 10) {
            self = value
        } else if let d = Double(n.literal), let value = Self(exactly: d) {
            self = value  // 1e3 or 2.0, as JSONDecoder accepts when exact
        } else {
            throw JSONShapeError(path, "expected \(expected), found \(n.literal)")
        }
    }

    public static func read(_ json: JSONValue, in parent: JSONPath, at component: JSONPath.Component) throws(JSONShapeError) -> Self {
        if case .number(let n) = json, let value = Self(n.literal, radix: 10) { return value }
        return try Self(json: json, path: parent.appending(component))
    }
}

extension Int: JSONReadableInteger {}
extension Int32: JSONReadableInteger {}
extension Int64: JSONReadableInteger {}
extension UInt32: JSONReadableInteger {}
extension UInt64: JSONReadableInteger {}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        guard case .array(let elements) = json else { throw JSONShapeError(path, "expected an array") }
        self = []
        reserveCapacity(elements.count)
        for (n, element) in elements.enumerated() {
            append(try Element.read(element, in: path, at: .index(n)))
        }
    }
}

extension Dictionary: JSONReadable where Key == String, Value: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let object = try JSONObjectReader(json, path: path)
        self = [:]
        for member in object.object.members {
            self[member.key] = try Value.read(member.value, in: path, at: .key(member.key))
        }
    }
}

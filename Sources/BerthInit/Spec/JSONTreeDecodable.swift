/// Typed reading of a `JSONTree` with the JSON path in every error. Mirrors what the synthesized
/// Codable conformances accept for the same types: unknown keys are ignored, a missing or null
/// optional is nil, a missing required key or a value of the wrong type is an error.
public protocol JSONTreeDecodable {
    init(json: JSONTree, path: String) throws
}

/// The members of one JSON object, read by key.
public struct JSONObjectReader {
    public let members: [(String, JSONTree)]
    public let path: String

    public init(_ json: JSONTree, path: String) throws {
        guard case .object(let members) = json else { throw JSONTree.Failure("\(path): expected an object") }
        self.members = members
        self.path = path
    }

    public func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The last value for `key` (as JSONDecoder), nil when absent or null.
    public func raw(_ key: String) -> JSONTree? {
        guard let value = members.last(where: { $0.0 == key })?.1 else { return nil }
        if case .null = value { return nil }
        return value
    }

    public func required<T: JSONTreeDecodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = raw(key) else {
            let present = members.contains { $0.0 == key }
            throw JSONTree.Failure("\(child(key)): \(present ? "null where a value is required" : "missing required field")")
        }
        return try T(json: value, path: child(key))
    }

    public func optional<T: JSONTreeDecodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let value = raw(key) else { return nil }
        return try T(json: value, path: child(key))
    }
}

extension String: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        guard case .string(let s) = json else { throw JSONTree.Failure("\(path): expected a string") }
        self = s
    }
}

extension Bool: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        guard case .bool(let b) = json else { throw JSONTree.Failure("\(path): expected true or false") }
        self = b
    }
}

/// Integers as JSONDecoder reads them: a number whose text is an integer in range.
public protocol JSONTreeInteger: JSONTreeDecodable, FixedWidthInteger {}

extension JSONTreeInteger {
    public init(json: JSONTree, path: String) throws {
        let expected = Self.isSigned ? "an integer" : "a non-negative integer"
        guard case .number(let text) = json else { throw JSONTree.Failure("\(path): expected \(expected)") }
        if let value = Self(text, radix: 10) {
            self = value
        } else if let d = Double(text), let value = Self(exactly: d) {
            self = value  // 1e3 or 2.0, as JSONDecoder accepts when exact
        } else {
            throw JSONTree.Failure("\(path): expected \(expected), found \(text)")
        }
    }
}

extension Int: JSONTreeInteger {}
extension Int32: JSONTreeInteger {}
extension Int64: JSONTreeInteger {}
extension UInt32: JSONTreeInteger {}
extension UInt64: JSONTreeInteger {}

extension Array: JSONTreeDecodable where Element: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        guard case .array(let elements) = json else { throw JSONTree.Failure("\(path): expected an array") }
        self = []
        reserveCapacity(elements.count)
        for (n, element) in elements.enumerated() {
            append(try Element(json: element, path: "\(path)[\(n)]"))
        }
    }
}

extension Dictionary: JSONTreeDecodable where Key == String, Value: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let object = try JSONObjectReader(json, path: path)
        self = [:]
        for (key, value) in object.members {
            self[key] = try Value(json: value, path: object.child(key))
        }
    }
}

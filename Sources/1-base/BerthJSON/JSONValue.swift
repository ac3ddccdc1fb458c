/// A parsed JSON document. Objects keep their members in document order (and reject duplicate
/// keys); numbers keep their literal text so integers and decimals round-trip exactly.
public enum JSONValue: Sendable, Equatable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    case number(JSONNumber)
    case bool(Bool)
    case null

    /// Short type name used in error messages ("object", "array", "string", ...).
    public var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number(let n): n.isInteger ? "integer" : "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var intValue: Int? { if case .number(let n) = self { n.intValue } else { nil } }
    public var doubleValue: Double? { if case .number(let n) = self { n.doubleValue } else { nil } }
    public var isNull: Bool { self == .null }

    /// Member of an object (nil for non-objects and missing keys). Setting on an object
    /// replaces the member in place, appends it, or removes it (nil); on anything else it does nothing.
    public subscript(key: String) -> JSONValue? {
        get { objectValue?[key] }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    /// An object from the non-nil members, in order.
    public static func obj(_ members: [(String, JSONValue?)]) -> JSONValue {
        .object(JSONObject(members.compactMap { k, v in v.map { (k, $0) } }))
    }

    /// Seconds since the epoch with millisecond precision, as ECS answers timestamps.
    public static func timestamp(_ seconds: Double) -> JSONValue {
        .double((seconds * 1000).rounded() / 1000)
    }

    public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    public static func double(_ value: Double) -> JSONValue { .number(JSONNumber(value)) }
}

/// A JSON number as written. `intValue` is set only for integral literals (no fraction or exponent).
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    public let literal: String

    /// Trusts the caller that `literal` is valid JSON number syntax (the parser guarantees it).
    public init(literal: String) { self.literal = literal }
    public init(_ value: Int) { literal = String(value) }
    public init(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            literal = String(Int(value))
        } else if value.isFinite {
            literal = "\(value)"
        } else {
            literal = "0"   // JSON has no NaN/Infinity
        }
    }

    public var isInteger: Bool { !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
    public var intValue: Int? { isInteger ? Int(literal) : nil }
    public var doubleValue: Double? { Double(literal) }
    public var description: String { literal }
}

/// An object with members in insertion order.
public struct JSONObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) { self.key = key; self.value = value }
    }

    public private(set) var members: [Member] = []

    public init() {}
    /// Members in the given order; a repeated key replaces the earlier value in place.
    public init(_ pairs: [(String, JSONValue)]) {
        var index: [String: Int] = [:]
        for (k, v) in pairs {
            if let i = index[k] {
                members[i].value = v
            } else {
                index[k] = members.count
                members.append(Member(key: k, value: v))
            }
        }
    }

    public var keys: [String] { members.map { $0.key } }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// Reading finds the member; writing replaces it in place, appends it, or removes it (nil).
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            let index = members.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case (let i?, let v?): members[i].value = v
            case (let i?, nil): members.remove(at: i)
            case (nil, let v?): members.append(Member(key: key, value: v))
            case (nil, nil): break
            }
        }
    }

    public func contains(_ key: String) -> Bool { members.contains(where: { $0.key == key }) }

    /// Appends without looking for an existing member (the parser checks duplicates itself).
    mutating func appendNew(_ key: String, _ value: JSONValue) { members.append(Member(key: key, value: value)) }

    func index(of key: String) -> Int? { members.firstIndex(where: { $0.key == key }) }
    mutating func replaceValue(at index: Int, _ value: JSONValue) { members[index].value = value }
}

/// Iterates the members as (key, value) pairs, in order.
extension JSONObject: Sequence {
    public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
        members.lazy.map { ($0.key, $0.value) }.makeIterator()
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

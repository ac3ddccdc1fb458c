/// A value that can be written as JSON.
public protocol JSONEncodable {
    var jsonValue: JSONValue { get }
}

/// Builds an object member by member; nil values are left out (as JSONEncoder does).
public struct ObjectWriter {
    public private(set) var object = JSONObject()
    public init() {}

    public mutating func set(_ key: String, _ value: (some JSONEncodable)?) {
        if let value { object[key] = value.jsonValue }
    }

    public mutating func set(_ key: String, raw value: JSONValue?) {
        if let value { object[key] = value }
    }

    public var value: JSONValue { .object(object) }
}

extension String: JSONEncodable { public var jsonValue: JSONValue { .string(self) } }
extension Bool: JSONEncodable { public var jsonValue: JSONValue { .bool(self) } }
extension Double: JSONEncodable { public var jsonValue: JSONValue { .double(self) } }
extension Int: JSONEncodable { public var jsonValue: JSONValue { .int(self) } }
extension Int32: JSONEncodable { public var jsonValue: JSONValue { .number(JSONNumber(literal: String(self))) } }
extension Int64: JSONEncodable { public var jsonValue: JSONValue { .number(JSONNumber(literal: String(self))) } }
extension UInt32: JSONEncodable { public var jsonValue: JSONValue { .number(JSONNumber(literal: String(self))) } }
extension UInt64: JSONEncodable { public var jsonValue: JSONValue { .number(JSONNumber(literal: String(self))) } }
extension JSONValue: JSONEncodable { public var jsonValue: JSONValue { self } }

extension JSONEncodable where Self: RawRepresentable, RawValue == String {
    public var jsonValue: JSONValue { .string(rawValue) }
}

extension Array: JSONEncodable where Element: JSONEncodable {
    public var jsonValue: JSONValue { .array(map { $0.jsonValue }) }
}

extension Dictionary: JSONEncodable where Key == String, Value: JSONEncodable {
    /// Keys sorted, so output is stable.
    public var jsonValue: JSONValue {
        .object(JSONObject(keys.sorted().map { ($0, self[$0]!.jsonValue) }))
    }
}

import BerthJSON

/// A value that can be read from a JSON value with type checking. Type errors are reported with
/// their path into `Diagnostics`; the result is nil then.
public protocol JSONDecodable {
    static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self?
}

/// An API structure read member by member through an `ObjectReader` (every request shape of
/// the agent can be one: `init(reading:)` reads members, `write(to:)` writes them back).
public protocol JSONShape: JSONDecodable, JSONEncodable {
    init(reading r: ObjectReader)
    func write(to w: inout ObjectWriter)
}

extension JSONShape {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self? {
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
public protocol JSONEnum: RawRepresentable, CaseIterable, JSONDecodable, JSONEncodable, Sendable where RawValue == String {}

extension JSONEnum {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Self? {
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

extension String: JSONDecodable {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> String? {
        if case .string(let s) = value { return s }
        diag.invalid(path, typeMessage(expected: "string", got: value))
        return nil
    }
}

extension Int: JSONDecodable {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Int? {
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
}

extension Double: JSONDecodable {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Double? {
        if case .number(let n) = value, let d = n.doubleValue { return d }
        diag.invalid(path, typeMessage(expected: "number", got: value))
        return nil
    }
}

extension Bool: JSONDecodable {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> Bool? {
        if case .bool(let b) = value { return b }
        diag.invalid(path, typeMessage(expected: "boolean", got: value))
        return nil
    }
}

extension Array: JSONDecodable where Element: JSONDecodable {
    /// Elements of the wrong type are reported and left out; `null` elements too.
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> [Element]? {
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

extension Dictionary: JSONDecodable where Key == String, Value == String {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> [String: String]? {
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

extension JSONValue: JSONDecodable {
    public static func decode(_ value: JSONValue, at path: JSONPath, _ diag: Diagnostics) -> JSONValue? { value }
}

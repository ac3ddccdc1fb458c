import BerthJSON
import BerthECS

/// Typed, path-aware access to a request object. A member of the wrong JSON type is a
/// SerializationException naming the member, as AWS's JSON protocol answers.
public struct Params: Sendable {
    public let json: JSONValue
    public let path: String

    public init(_ json: JSONValue, path: String = "") {
        self.json = json
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) -> JSONValue? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    func typeError(_ key: String, _ expected: String, _ got: JSONValue) -> APIError {
        .serialization("Unexpected value at '\(name(key))': expected \(expected), got \(got.typeName)")
    }

    public func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw typeError(key, "a string", v) }
        return s
    }

    public func requiredString(_ key: String) throws(APIError) -> String {
        guard let s = try string(key) else { throw .invalidParameter("\(name(key)) is required.") }
        return s
    }

    public func int(_ key: String) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue ?? v.doubleValue.flatMap(Int.init(exactly:)) else { throw typeError(key, "an integer", v) }
        return i
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw typeError(key, "a boolean", v) }
        return b
    }

    public func list(_ key: String) throws(APIError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, "a list", v) }
        return a
    }

    public func stringList(_ key: String) throws(APIError) -> [String]? {
        guard let items = try list(key) else { return nil }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else {
                throw .serialization("Unexpected value at '\(name(key))[\(i)]': expected a string, got \(item.typeName)")
            }
            out.append(s)
        }
        return out
    }

    public func object(_ key: String) throws(APIError) -> Params? {
        guard let v = value(key) else { return nil }
        guard case .object = v else { throw typeError(key, "an object", v) }
        return Params(v, path: name(key))
    }

    public func objects(_ key: String) throws(APIError) -> [Params]? {
        guard let items = try list(key) else { return nil }
        var out: [Params] = []
        for (i, item) in items.enumerated() {
            guard case .object = item else {
                throw .serialization("Unexpected value at '\(name(key))[\(i)]': expected an object, got \(item.typeName)")
            }
            out.append(Params(item, path: "\(name(key))[\(i)]"))
        }
        return out
    }

    /// `tags: [{key, value}]` validated per ECS rules (≤50, key 1–128, value ≤256).
    public func tags(_ key: String = "tags") throws(APIError) -> [(String, String)]? {
        guard let items = try objects(key) else { return nil }
        var given: [(key: String, value: String, path: String)] = []
        for item in items { given.append((try item.string("key") ?? "", try item.string("value") ?? "", item.path)) }
        return try validTags(given)
    }

    /// maxResults in 1...100.
    public func maxResults(default def: Int = 100) throws(APIError) -> Int {
        guard let n = try int("maxResults") else { return def }
        guard (1...100).contains(n) else { throw .invalidParameter("maxResults must be between 1 and 100.") }
        return n
    }
}

/// Tags checked per ECS rules (≤50, key 1–128, value ≤256); a repeated key keeps the last value.
func validTags(_ given: [(key: String, value: String, path: String)]) throws(APIError) -> [(String, String)] {
    var out: [(String, String)] = []
    for (k, v, path) in given {
        guard (1...128).contains(k.count) else { throw .invalidParameter("Tag keys must be between 1 and 128 characters (\(path)).") }
        guard v.count <= 256 else { throw .invalidParameter("Tag values must be at most 256 characters (\(path)).") }
        if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
    }
    guard out.count <= 50 else { throw .invalidParameter("A resource can have at most 50 tags.") }
    return out
}

/// Typed tags of a request body (`tags[i]` in errors).
func validTags(_ tags: [Tag]) throws(APIError) -> [(String, String)] {
    try validTags(tags.enumerated().map { (key: $1.key ?? "", value: $1.value ?? "", path: "tags[\($0)]") })
}

/// Tags on the wire: `[{"key": k, "value": v}]`.
func tagsJSON(_ tags: [(String, String)]) -> JSONValue {
    .array(tags.map { ["key": .string($0.0), "value": .string($0.1)] })
}

func tagsFrom(_ json: JSONValue?) -> [(String, String)] {
    (json?.arrayValue ?? []).compactMap { t in
        guard let k = t["key"]?.stringValue else { return nil }
        return (k, t["value"]?.stringValue ?? "")
    }
}

/// Validates ECS names: 1–255 letters, digits, `_` and `-`.
func isValidName(_ s: String) -> Bool {
    (1...255).contains(s.utf8.count) && s.utf8.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }
}

import BerthJSON

/// An error of the Secrets Manager or SSM API, as AWS names it (`ResourceNotFoundException`,
/// `ParameterNotFound`, ...); the agent answers it as `{"__type", "message"}` with HTTP 400.
public struct SecretsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String

    public init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }

    static func invalidParameter(_ m: String) -> SecretsError { SecretsError("InvalidParameterException", m) }
    static func invalidRequest(_ m: String) -> SecretsError { SecretsError("InvalidRequestException", m) }
    static func validation(_ m: String) -> SecretsError { SecretsError("ValidationException", m) }
    static func serialization(_ m: String) -> SecretsError { SecretsError("SerializationException", m) }
    static let secretNotFound = SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

/// Typed access to a request body with AWS's PascalCase members; a member of the wrong JSON type
/// is a SerializationException naming it.
struct Request {
    let json: JSONValue

    init(_ json: JSONValue) { self.json = json }

    func value(_ key: String) -> JSONValue? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws(SecretsError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw .serialization("Unexpected value at '\(key)': expected a string, got \(v.typeName)") }
        return s
    }

    func required(_ key: String, _ type: String = "ValidationException") throws(SecretsError) -> String {
        guard let s = try string(key) else {
            throw SecretsError(type, "1 validation error detected: Value null at '\(lowerFirst(key))' failed to satisfy constraint: Member must not be null")
        }
        return s
    }

    func bool(_ key: String) throws(SecretsError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw .serialization("Unexpected value at '\(key)': expected a boolean, got \(v.typeName)") }
        return b
    }

    func int(_ key: String) throws(SecretsError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue ?? v.doubleValue.flatMap(Int.init(exactly:)) else {
            throw .serialization("Unexpected value at '\(key)': expected an integer, got \(v.typeName)")
        }
        return i
    }

    func strings(_ key: String) throws(SecretsError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard let items = v.arrayValue else { throw .serialization("Unexpected value at '\(key)': expected a list, got \(v.typeName)") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else { throw .serialization("Unexpected value at '\(key)[\(i)]': expected a string, got \(item.typeName)") }
            out.append(s)
        }
        return out
    }

    func objects(_ key: String) throws(SecretsError) -> [Request]? {
        guard let v = value(key) else { return nil }
        guard let items = v.arrayValue else { throw .serialization("Unexpected value at '\(key)': expected a list, got \(v.typeName)") }
        var out: [Request] = []
        for (i, item) in items.enumerated() {
            guard case .object = item else { throw .serialization("Unexpected value at '\(key)[\(i)]': expected an object, got \(item.typeName)") }
            out.append(Request(item))
        }
        return out
    }

    /// `Tags: [{Key, Value}]` (at most 50; key 1–128, value ≤ 256 characters).
    func tags(_ key: String = "Tags") throws(SecretsError) -> [SecretTag]? {
        guard let items = try objects(key) else { return nil }
        var out: [SecretTag] = []
        for item in items {
            let k = try item.string("Key") ?? ""
            let v = try item.string("Value") ?? ""
            guard (1...128).contains(k.count), v.count <= 256 else {
                throw .validation("Tag keys must be 1 to 128 characters and values at most 256 characters.")
            }
            if let i = out.firstIndex(where: { $0.key == k }) { out[i].value = v } else { out.append(SecretTag(key: k, value: v)) }
        }
        guard out.count <= 50 else { throw .validation("A resource can have at most 50 tags.") }
        return out
    }

    /// MaxResults within `range`, default `def`.
    func maxResults(_ range: ClosedRange<Int>, default def: Int) throws(SecretsError) -> Int {
        guard let n = try int("MaxResults") else { return def }
        guard range.contains(n) else {
            throw .validation("1 validation error detected: Value '\(n)' at 'maxResults' failed to satisfy constraint: Member must have value between \(range.lowerBound) and \(range.upperBound)")
        }
        return n
    }
}

func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }

/// Opaque page tokens: the list they belong to and the next offset, base64. A token of another
/// list (or a forged one) is refused.
enum PageToken {
    static func page<T>(_ items: [T], token: String?, max: Int, list: String, invalid: SecretsError) throws(SecretsError) -> ([T], String?) {
        var start = 0
        if let token {
            guard let offset = decode(token, list: list) else { throw invalid }
            start = min(offset, items.count)
        }
        let end = min(start + max, items.count)
        return (Array(items[start..<end]), end < items.count ? encode(end, list: list) : nil)
    }

    static func encode(_ offset: Int, list: String) -> String {
        Base64.encode(Array("berth:\(list):\(offset)".utf8))
    }

    static func decode(_ token: String, list: String) -> Int? {
        guard token.count < 512, let bytes = Base64.decode(token), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let prefix = "berth:\(list):"
        guard text.hasPrefix(prefix), let n = Int(text.dropFirst(prefix.count)), n >= 0 else { return nil }
        return n
    }
}

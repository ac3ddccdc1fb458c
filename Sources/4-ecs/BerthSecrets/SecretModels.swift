import BerthJSON
import Foundation

public struct SecretTag: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// One version of a secret: its id, staging labels and value (a string or bytes, base64 on the wire).
public struct SecretVersion: Sendable, Equatable {
    public var id: String
    public var stages: [String]
    public var created: Double
    public var string: String?
    /// SecretBinary as base64, as the API carries it.
    public var binary: String?
}

/// A Secrets Manager secret. `deletion` is the date it will be deleted at (scheduled with a
/// recovery window); such a secret is described but its value is not returned.
public struct StoredSecret: Sendable, Equatable {
    public var name: String
    public var arn: String
    public var description: String?
    public var kmsKeyId: String?
    public var tags: [SecretTag] = []
    public var created: Double
    public var changed: Double
    public var accessed: Double?
    public var deletion: Double?
    public var versions: [SecretVersion] = []

    public func version(id: String?, stage: String?) -> SecretVersion? {
        if let id {
            guard let v = versions.first(where: { $0.id == id }) else { return nil }
            if let stage, !v.stages.contains(stage) { return nil }
            return v
        }
        return versions.first { $0.stages.contains(stage ?? "AWSCURRENT") }
    }
}

/// Base64 through Foundation (the standard alphabet, with padding).
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    static func decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { Array($0) } }
}

extension StoredSecret {
    var json: JSONValue {
        .obj([
            ("Name", .string(name)), ("ARN", .string(arn)), ("Description", description.map(JSONValue.string)),
            ("KmsKeyId", kmsKeyId.map(JSONValue.string)), ("Tags", .array(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })),
            ("Created", .double(created)), ("Changed", .double(changed)), ("Accessed", accessed.map(JSONValue.double)),
            ("Deletion", deletion.map(JSONValue.double)),
            ("Versions", .array(versions.map { v in
                .obj([("Id", .string(v.id)), ("Stages", .array(v.stages.map(JSONValue.string))), ("Created", .double(v.created)),
                      ("String", v.string.map(JSONValue.string)), ("Binary", v.binary.map(JSONValue.string))])
            })),
        ])
    }

    init?(json j: JSONValue) {
        guard let name = j["Name"]?.stringValue, let arn = j["ARN"]?.stringValue, let created = j["Created"]?.doubleValue else { return nil }
        self.init(name: name, arn: arn, description: j["Description"]?.stringValue, kmsKeyId: j["KmsKeyId"]?.stringValue,
                  tags: (j["Tags"]?.arrayValue ?? []).compactMap { t in t["Key"]?.stringValue.map { SecretTag(key: $0, value: t["Value"]?.stringValue ?? "") } },
                  created: created, changed: j["Changed"]?.doubleValue ?? created, accessed: j["Accessed"]?.doubleValue,
                  deletion: j["Deletion"]?.doubleValue,
                  versions: (j["Versions"]?.arrayValue ?? []).compactMap { v in
                      guard let id = v["Id"]?.stringValue else { return nil }
                      return SecretVersion(id: id, stages: (v["Stages"]?.arrayValue ?? []).compactMap(\.stringValue),
                                           created: v["Created"]?.doubleValue ?? created, string: v["String"]?.stringValue, binary: v["Binary"]?.stringValue)
                  })
    }
}

/// Parameter Store types.
public enum ParameterType: String, Sendable, CaseIterable {
    case string = "String", stringList = "StringList", secureString = "SecureString"
}

public struct ParameterVersion: Sendable, Equatable {
    public var version: Int
    public var value: String
    /// What GetParameter returns for a SecureString without WithDecryption: an opaque blob that
    /// stands for AWS's KMS ciphertext (random bytes, base64; it does not contain the value).
    public var ciphertext: String?
    public var type: ParameterType
    public var modified: Double
    public var description: String?
    public var labels: [String] = []
}

/// An SSM parameter and its history (oldest first; the last is the current version).
public struct StoredParameter: Sendable, Equatable {
    public var name: String
    public var arn: String
    public var keyId: String?
    public var dataType: String
    public var tags: [SecretTag] = []
    public var history: [ParameterVersion]

    public var current: ParameterVersion { history[history.count - 1] }
}

extension StoredParameter {
    var json: JSONValue {
        .obj([
            ("Name", .string(name)), ("ARN", .string(arn)), ("KeyId", keyId.map(JSONValue.string)), ("DataType", .string(dataType)),
            ("Tags", .array(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })),
            ("History", .array(history.map { v in
                .obj([("Version", .int(v.version)), ("Value", .string(v.value)), ("Ciphertext", v.ciphertext.map(JSONValue.string)),
                      ("Type", .string(v.type.rawValue)), ("Modified", .double(v.modified)),
                      ("Description", v.description.map(JSONValue.string)), ("Labels", .array(v.labels.map(JSONValue.string)))])
            })),
        ])
    }

    init?(json j: JSONValue) {
        guard let name = j["Name"]?.stringValue, let arn = j["ARN"]?.stringValue else { return nil }
        let history: [ParameterVersion] = (j["History"]?.arrayValue ?? []).compactMap { v in
            guard let n = v["Version"]?.intValue, let value = v["Value"]?.stringValue,
                  let type = v["Type"]?.stringValue.flatMap(ParameterType.init(rawValue:)) else { return nil }
            return ParameterVersion(version: n, value: value, ciphertext: v["Ciphertext"]?.stringValue, type: type,
                                    modified: v["Modified"]?.doubleValue ?? 0, description: v["Description"]?.stringValue,
                                    labels: (v["Labels"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        guard !history.isEmpty else { return nil }
        self.init(name: name, arn: arn, keyId: j["KeyId"]?.stringValue, dataType: j["DataType"]?.stringValue ?? "text",
                  tags: (j["Tags"]?.arrayValue ?? []).compactMap { t in t["Key"]?.stringValue.map { SecretTag(key: $0, value: t["Value"]?.stringValue ?? "") } },
                  history: history)
    }
}

import BerthJSON
import Foundation

/// The Secrets Manager API over a `SecretStore`, JSON in and out (operation names and members as
/// AWS's `secretsmanager` JSON 1.1 protocol has them). The agent serves it on its endpoint.
public struct SecretsManagerService: Sendable {
    public let store: SecretStore
    public let clock: @Sendable () -> Double

    public init(store: SecretStore, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.clock = clock
    }

    public static let operations: Set<String> = [
        "CreateSecret", "PutSecretValue", "GetSecretValue", "DescribeSecret", "ListSecrets", "DeleteSecret",
        "UpdateSecret", "RestoreSecret", "TagResource", "UntagResource", "ListSecretVersionIds",
    ]

    public func call(_ operation: String, _ body: JSONValue) throws(SecretsError) -> JSONValue {
        let r = Request(body)
        do {
            return try store.locked { () throws -> JSONValue in
                switch operation {
                case "CreateSecret": return try create(r)
                case "PutSecretValue": return try putValue(r)
                case "GetSecretValue": return try getValue(r)
                case "DescribeSecret": return describe(try find(r, allowDeleted: true))
                case "ListSecrets": return try list(r)
                case "DeleteSecret": return try delete(r)
                case "UpdateSecret": return try update(r)
                case "RestoreSecret": return try restore(r)
                case "TagResource": return try tag(r)
                case "UntagResource": return try untag(r)
                case "ListSecretVersionIds": return try versionIds(r)
                default: throw SecretsError("UnknownOperationException", "Unknown operation \(operation).")
                }
            }
        } catch let e as SecretsError {
            throw e
        } catch {
            throw SecretsError("InternalServiceError", "The local secret store failed: \(error)")
        }
    }

    // MARK: lookup

    /// The secret a SecretId names: its name, its full ARN, or its ARN without the random suffix.
    /// Secrets past their recovery window are deleted here, when next looked at.
    func find(_ r: Request, allowDeleted: Bool = false) throws -> StoredSecret {
        let id = try r.required("SecretId", "InvalidParameterException")
        guard let s = try lookup(id) else { throw SecretsError.secretNotFound }
        if !allowDeleted, s.deletion != nil {
            throw SecretsError.invalidRequest("You can't perform this operation on the secret because it was marked for deletion.")
        }
        return s
    }

    func lookup(_ id: String) throws -> StoredSecret? {
        guard let s = try SecretLookup.find(id, in: store) else { return nil }
        if let d = s.deletion, d <= clock() {
            try store.removeSecret(named: s.name)
            return nil
        }
        return s
    }

    // MARK: operations

    func create(_ r: Request) throws -> JSONValue {
        let name = try r.required("Name", "InvalidParameterException")
        try Self.checkName(name)
        if r.value("AddReplicaRegions") != nil {
            throw SecretsError.invalidParameter("AddReplicaRegions: replication to other regions is not available on a local agent.")
        }
        if let existing = try lookup(name), existing.name == name {
            if existing.deletion != nil {
                throw SecretsError.invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
            }
            throw SecretsError("ResourceExistsException", "The operation failed because the secret \(name) already exists.")
        }
        let now = clock()
        var s = StoredSecret(name: name, arn: "arn:aws:secretsmanager:\(store.region):\(store.account):secret:\(name)-\(Self.randomSuffix())",
                       description: try r.string("Description"), kmsKeyId: try r.string("KmsKeyId"), tags: try r.tags() ?? [],
                       created: now, changed: now)
        var versionId: String?
        if let value = try Self.value(r) {
            let id = try Self.versionId(r)
            s.versions = [SecretVersion(id: id, stages: ["AWSCURRENT"], created: now, string: value.string, binary: value.binary)]
            versionId = id
        }
        try store.putSecret(s)
        return .obj([("ARN", .string(s.arn)), ("Name", .string(s.name)), ("VersionId", versionId.map(JSONValue.string))])
    }

    func putValue(_ r: Request) throws -> JSONValue {
        var s = try find(r)
        guard let value = try Self.value(r) else {
            throw SecretsError.invalidRequest("You must provide either SecretString or SecretBinary.")
        }
        let stages = try r.strings("VersionStages") ?? ["AWSCURRENT"]
        let v = try addVersion(&s, value, id: try Self.versionId(r), stages: stages)
        try store.putSecret(s)
        return .obj([("ARN", .string(s.arn)), ("Name", .string(s.name)), ("VersionId", .string(v.id)),
                     ("VersionStages", .array(v.stages.map(JSONValue.string)))])
    }

    /// Adds a version (or returns the one with the same token and value, as AWS's idempotency).
    /// Moving AWSCURRENT to it turns the previous current version into AWSPREVIOUS; a version
    /// left without labels is removed, as Secrets Manager deprecates it.
    func addVersion(_ s: inout StoredSecret, _ value: (string: String?, binary: String?), id: String, stages: [String]) throws -> SecretVersion {
        if let same = s.versions.first(where: { $0.id == id }) {
            guard same.string == value.string, same.binary == value.binary else {
                throw SecretsError("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
            }
            return same
        }
        let now = clock()
        let movesCurrent = stages.contains("AWSCURRENT")
        let previousCurrent = s.versions.firstIndex { $0.stages.contains("AWSCURRENT") }
        for i in s.versions.indices {
            s.versions[i].stages.removeAll { stages.contains($0) || (movesCurrent && $0 == "AWSPREVIOUS") }
        }
        if movesCurrent, let p = previousCurrent { s.versions[p].stages.append("AWSPREVIOUS") }
        let v = SecretVersion(id: id, stages: stages, created: now, string: value.string, binary: value.binary)
        s.versions.append(v)
        s.versions.removeAll { $0.stages.isEmpty }
        s.changed = now
        return v
    }

    func getValue(_ r: Request) throws -> JSONValue {
        var s = try find(r)
        let versionId = try r.string("VersionId"), stage = try r.string("VersionStage")
        guard let v = s.version(id: versionId, stage: stage) else {
            if let versionId {
                throw SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: \(versionId)")
            }
            throw SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: \(stage ?? "AWSCURRENT")")
        }
        s.accessed = Self.day(clock())
        try store.putSecret(s)
        return .obj([("ARN", .string(s.arn)), ("Name", .string(s.name)), ("VersionId", .string(v.id)),
                     ("SecretString", v.string.map(JSONValue.string)), ("SecretBinary", v.binary.map(JSONValue.string)),
                     ("VersionStages", .array(v.stages.map(JSONValue.string))), ("CreatedDate", .timestamp(v.created))])
    }

    func describe(_ s: StoredSecret) -> JSONValue {
        .obj(listEntry(s) + [("VersionIdsToStages", versionsToStages(s))])
    }

    func listEntry(_ s: StoredSecret) -> [(String, JSONValue?)] {
        [("ARN", .string(s.arn)), ("Name", .string(s.name)), ("Description", s.description.map(JSONValue.string)),
         ("KmsKeyId", s.kmsKeyId.map(JSONValue.string)), ("LastChangedDate", .timestamp(s.changed)),
         ("LastAccessedDate", s.accessed.map(JSONValue.timestamp)), ("DeletedDate", s.deletion.map(JSONValue.timestamp)),
         ("Tags", s.tags.isEmpty ? nil : .array(s.tags.map { ["Key": .string($0.key), "Value": .string($0.value)] })),
         ("CreatedDate", .timestamp(s.created))]
    }

    func versionsToStages(_ s: StoredSecret) -> JSONValue {
        .object(JSONObject(s.versions.map { ($0.id, JSONValue.array($0.stages.map(JSONValue.string))) }))
    }

    func list(_ r: Request) throws -> JSONValue {
        let includeDeleted = try r.bool("IncludePlannedDeletion") ?? false
        var items = try store.secrets().filter { s in
            if let d = s.deletion, d <= clock() { try? store.removeSecret(named: s.name); return false }
            return includeDeleted || s.deletion == nil
        }
        for f in try r.objects("Filters") ?? [] {
            let key = try f.required("Key", "InvalidParameterException")
            let values = try f.strings("Values") ?? []
            items = try items.filter { s throws(SecretsError) in try Self.matches(s, key, values) }
        }
        if try r.string("SortOrder") == "desc" { items.reverse() }
        let (page, next) = try PageToken.page(items, token: try r.string("NextToken"), max: try r.maxResults(1...100, default: 100),
                                              list: "secrets", invalid: .invalidParameter("Invalid NextToken."))
        return .obj([("SecretList", .array(page.map { .obj(listEntry($0) + [("SecretVersionsToStages", versionsToStages($0))]) })),
                     ("NextToken", next.map(JSONValue.string))])
    }

    /// ListSecrets filters: name, description, tag-key, tag-value and all match by prefix (a
    /// value starting with `!` negates), as the API documents.
    static func matches(_ s: StoredSecret, _ key: String, _ values: [String]) throws(SecretsError) -> Bool {
        let fields: [String]
        switch key {
        case "name": fields = [s.name]
        case "description": fields = [s.description ?? ""]
        case "tag-key": fields = s.tags.map(\.key)
        case "tag-value": fields = s.tags.map(\.value)
        case "all": fields = [s.name, s.description ?? ""] + s.tags.flatMap { [$0.key, $0.value] }
        default: throw SecretsError.invalidParameter("Filters: Key \(key) is not supported here (name, description, tag-key, tag-value, all).")
        }
        return values.contains { v in
            v.hasPrefix("!") ? !fields.contains { $0.hasPrefix(String(v.dropFirst())) } : fields.contains { $0.hasPrefix(v) }
        }
    }

    func delete(_ r: Request) throws -> JSONValue {
        var s = try find(r, allowDeleted: true)
        let force = try r.bool("ForceDeleteWithoutRecovery") ?? false
        let window = try r.int("RecoveryWindowInDays")
        if force, window != nil {
            throw SecretsError.invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        if let window, !(7...30).contains(window) {
            throw SecretsError.invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        let now = clock()
        if force {
            try store.removeSecret(named: s.name)
            return ["ARN": .string(s.arn), "Name": .string(s.name), "DeletionDate": .timestamp(now)]
        }
        if s.deletion == nil {
            s.deletion = now + Double(window ?? 30) * 86400
            try store.putSecret(s)
        }
        return ["ARN": .string(s.arn), "Name": .string(s.name), "DeletionDate": .timestamp(s.deletion ?? now)]
    }

    func restore(_ r: Request) throws -> JSONValue {
        var s = try find(r, allowDeleted: true)
        s.deletion = nil
        try store.putSecret(s)
        return ["ARN": .string(s.arn), "Name": .string(s.name)]
    }

    func update(_ r: Request) throws -> JSONValue {
        var s = try find(r)
        if let d = try r.string("Description") { s.description = d }
        if let k = try r.string("KmsKeyId") { s.kmsKeyId = k }
        s.changed = clock()
        var versionId: String?
        if let value = try Self.value(r) {
            versionId = try addVersion(&s, value, id: try Self.versionId(r), stages: ["AWSCURRENT"]).id
        }
        try store.putSecret(s)
        return .obj([("ARN", .string(s.arn)), ("Name", .string(s.name)), ("VersionId", versionId.map(JSONValue.string))])
    }

    func tag(_ r: Request) throws -> JSONValue {
        var s = try find(r, allowDeleted: true)
        for t in try r.tags() ?? [] {
            if let i = s.tags.firstIndex(where: { $0.key == t.key }) { s.tags[i] = t } else { s.tags.append(t) }
        }
        guard s.tags.count <= 50 else { throw SecretsError.validation("A resource can have at most 50 tags.") }
        try store.putSecret(s)
        return [:]
    }

    func untag(_ r: Request) throws -> JSONValue {
        var s = try find(r, allowDeleted: true)
        let keys = try r.strings("TagKeys") ?? []
        s.tags.removeAll { keys.contains($0.key) }
        try store.putSecret(s)
        return [:]
    }

    func versionIds(_ r: Request) throws -> JSONValue {
        let s = try find(r, allowDeleted: true)
        let (page, next) = try PageToken.page(s.versions, token: try r.string("NextToken"), max: try r.maxResults(1...100, default: 100),
                                              list: "versions:\(s.name)", invalid: .invalidParameter("Invalid NextToken."))
        return .obj([("ARN", .string(s.arn)), ("Name", .string(s.name)), ("NextToken", next.map(JSONValue.string)),
                     ("Versions", .array(page.map { v in
                         ["VersionId": .string(v.id), "VersionStages": .array(v.stages.map(JSONValue.string)), "CreatedDate": .timestamp(v.created)]
                     }))])
    }

    // MARK: helpers

    /// SecretString or SecretBinary (base64), not both; nil if neither.
    static func value(_ r: Request) throws(SecretsError) -> (string: String?, binary: String?)? {
        let string = try r.string("SecretString"), binary = try r.string("SecretBinary")
        if string != nil, binary != nil {
            throw SecretsError.invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
        }
        if let binary, Base64.decode(binary) == nil { throw SecretsError.serialization("SecretBinary must be base64-encoded.") }
        guard string != nil || binary != nil else { return nil }
        guard (string?.utf8.count ?? 0) <= 65536, (binary?.count ?? 0) <= 87384 else {
            throw SecretsError.invalidParameter("The secret value can be at most 65536 bytes.")
        }
        return (string, binary)
    }

    /// ClientRequestToken (32–64 characters) or a new UUID.
    static func versionId(_ r: Request) throws(SecretsError) -> String {
        guard let token = try r.string("ClientRequestToken") else { return UUID().uuidString.lowercased() }
        guard (32...64).contains(token.count) else {
            throw SecretsError.invalidParameter("ClientRequestToken must be between 32 and 64 characters.")
        }
        return token
    }

    /// 1–512 characters of letters, digits and `/_+=.@-`.
    static func checkName(_ name: String) throws(SecretsError) {
        let allowed = Set("/_+=.@-")
        guard (1...512).contains(name.count), name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || allowed.contains($0) }) else {
            throw SecretsError.invalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
        }
    }

    /// The 6 random characters Secrets Manager appends to a secret's name in its ARN.
    static func randomSuffix() -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in chars.randomElement(using: &rng)! })
    }

    /// LastAccessedDate is kept to the day, as Secrets Manager reports it.
    static func day(_ t: Double) -> Double { (t / 86400).rounded(.down) * 86400 }
}

/// Finding a secret by the ways SecretId (and a task's valueFrom) may name it.
public enum SecretLookup {
    /// `byName`: a task's reference, written for AWS, names the secret by the name in its ARN;
    /// the ARN's region, account and 6-character suffix (random, so never the same as here) are
    /// not compared. The API (`SecretId`) compares full ARNs exactly, as Secrets Manager does.
    public static func find(_ id: String, in store: SecretStore, byName: Bool = false) throws -> StoredSecret? {
        guard id.hasPrefix("arn:") else { return try store.secret(named: id) }
        guard let range = id.range(of: ":secret:") else { return nil }
        let tail = String(id[range.upperBound...])
        if byName {
            if let dash = tail.lastIndex(of: "-"), tail.distance(from: dash, to: tail.endIndex) == 7,
               let s = try store.secret(named: String(tail[..<dash])) {
                return s
            }
            return try store.secret(named: tail)
        }
        // A full ARN names the secret exactly; a partial one (without the -XXXXXX suffix) by name.
        if let dash = tail.lastIndex(of: "-"), tail.distance(from: dash, to: tail.endIndex) == 7,
           let s = try store.secret(named: String(tail[..<dash])), s.arn == id {
            return s
        }
        if let s = try store.secret(named: tail), s.arn.hasPrefix(id + "-") { return s }
        return nil
    }
}

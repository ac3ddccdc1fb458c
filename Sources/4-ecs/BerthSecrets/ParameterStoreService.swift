import BerthJSON
import Foundation

/// The SSM Parameter Store API (`AmazonSSM.` JSON 1.1) over a `SecretStore`. A SecureString's
/// value is returned only with `WithDecryption`; without it the answer carries an opaque
/// ciphertext-like blob, as AWS returns the KMS ciphertext.
public struct ParameterStoreService: Sendable {
    public let store: SecretStore
    public let clock: @Sendable () -> Double

    public init(store: SecretStore, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.clock = clock
    }

    public static let operations: Set<String> = [
        "PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter", "DeleteParameters",
        "DescribeParameters", "GetParameterHistory",
    ]

    /// Versions kept per parameter, as Parameter Store keeps 100.
    static let historyLimit = 100

    public func call(_ operation: String, _ body: JSONValue) throws(SecretsError) -> JSONValue {
        let r = Request(body)
        do {
            return try store.locked { () throws -> JSONValue in
                switch operation {
                case "PutParameter": return try put(r)
                case "GetParameter":
                    let (p, v) = try select(try r.required("Name"))
                    return ["Parameter": shape(p, v, decrypt: try r.bool("WithDecryption") ?? false)]
                case "GetParameters": return try getMany(r)
                case "GetParametersByPath": return try byPath(r)
                case "DeleteParameter":
                    let name = try r.required("Name")
                    guard let p = try lookup(name) else { throw Self.notFound(name) }
                    try store.removeParameter(named: p.name)
                    return [:]
                case "DeleteParameters": return try deleteMany(r)
                case "DescribeParameters": return try describe(r)
                case "GetParameterHistory": return try history(r)
                default: throw SecretsError("UnknownOperationException", "Unknown operation \(operation).")
                }
            }
        } catch let e as SecretsError {
            throw e
        } catch {
            throw SecretsError("InternalServerError", "The local parameter store failed: \(error)")
        }
    }

    static func notFound(_ name: String) -> SecretsError { SecretsError("ParameterNotFound", "Parameter \(name) not found.") }

    func put(_ r: Request) throws -> JSONValue {
        let raw = try r.required("Name")
        let name = try lookup(raw)?.name ?? Self.plainName(raw)
        try Self.checkName(name)
        let value = try r.required("Value")
        guard !value.isEmpty, value.utf8.count <= 8192 else {
            throw SecretsError.validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length between 1 and 8192")
        }
        let typeText = try r.string("Type")
        let type = try typeText.map { t throws(SecretsError) -> ParameterType in
            guard let type = ParameterType(rawValue: t) else {
                throw SecretsError.validation("1 validation error detected: Value '\(t)' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]")
            }
            return type
        }
        let overwrite = try r.bool("Overwrite") ?? false
        let tags = try r.tags()
        if tags != nil, overwrite {
            throw SecretsError.validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
        }
        if let pattern = try r.string("AllowedPattern"), value.range(of: pattern, options: .regularExpression) == nil {
            throw SecretsError("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: \(pattern)")
        }
        if let dataType = try r.string("DataType"), dataType != "text" {
            throw SecretsError.validation("DataType \(dataType) is not available locally (only text).")
        }
        if let tier = try r.string("Tier"), !["Standard", "Advanced", "Intelligent-Tiering"].contains(tier) {
            throw SecretsError.validation("Tier must be Standard, Advanced or Intelligent-Tiering.")
        }
        if r.value("Policies") != nil { throw SecretsError.validation("Parameter policies are not available locally.") }
        let now = clock()
        var existing = try store.parameter(named: name)
        if existing != nil, !overwrite {
            throw SecretsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
        }
        let resolvedType = type ?? existing?.current.type
        guard let resolvedType else {
            throw SecretsError.validation("A parameter type is required when you create a parameter.")
        }
        let description = try r.string("Description") ?? existing?.current.description
        let version = ParameterVersion(version: (existing?.current.version ?? 0) + 1, value: value,
                                       ciphertext: resolvedType == .secureString ? Self.ciphertext(value) : nil,
                                       type: resolvedType, modified: now, description: description)
        if var p = existing {
            p.history.append(version)
            if p.history.count > Self.historyLimit { p.history.removeFirst(p.history.count - Self.historyLimit) }
            if let key = try r.string("KeyId") { p.keyId = key }
            existing = p
        } else {
            existing = StoredParameter(name: name, arn: arn(name), keyId: resolvedType == .secureString ? (try r.string("KeyId") ?? "alias/aws/ssm") : nil,
                                 dataType: "text", tags: tags ?? [], history: [version])
        }
        try store.putParameter(existing!)
        return ["Version": .int(version.version), "Tier": "Standard"]
    }

    func arn(_ name: String) -> String {
        "arn:aws:ssm:\(store.region):\(store.account):parameter" + (name.hasPrefix("/") ? name : "/" + name)
    }

    /// `name`, `name:version` or `name:label` (labels are not kept: refused as not found).
    func select(_ raw: String) throws -> (StoredParameter, ParameterVersion) {
        let (name, selector) = try Self.split(raw)
        guard let p = try lookup(name, fromARN: raw.hasPrefix("arn:")) else { throw Self.notFound(raw) }
        guard let selector else { return (p, p.current) }
        guard let n = Int(selector), let v = p.history.first(where: { $0.version == n }) else {
            throw SecretsError("ParameterVersionNotFound", "Systems Manager could not find version \(selector) of \(name). Verify the version and try again.")
        }
        return (p, v)
    }

    /// A name or ARN, with an optional `:selector`.
    static func split(_ raw: String) throws(SecretsError) -> (String, String?) {
        var text = raw
        if raw.hasPrefix("arn:") {
            guard let range = raw.range(of: ":parameter/") else { throw SecretsError.validation("Invalid parameter ARN \(raw).") }
            let rest = String(raw[range.upperBound...])
            text = "/" + rest
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The stored name for a name or ARN (no selector). An ARN `parameter/a/b` names `/a/b`,
    /// and `parameter/a` names `/a` or `a` (their ARNs are the same).
    static func plainName(_ raw: String) throws(SecretsError) -> String {
        guard raw.hasPrefix("arn:") else { return raw }
        guard let range = raw.range(of: ":parameter/") else { throw SecretsError.validation("Invalid parameter ARN \(raw).") }
        return "/" + raw[range.upperBound...]
    }

    /// The parameter a name or ARN (without selector) names.
    func lookup(_ raw: String) throws -> StoredParameter? {
        try lookup(try Self.plainName(raw), fromARN: raw.hasPrefix("arn:"))
    }

    func lookup(_ name: String, fromARN: Bool) throws -> StoredParameter? {
        if let p = try store.parameter(named: name) { return p }
        guard fromARN, name.hasPrefix("/") else { return nil }
        return try store.parameter(named: String(name.dropFirst()))
    }

    /// 1–2048 characters of letters, digits and `_.-/`; a hierarchy begins with `/`; `aws` and
    /// `ssm` prefixes are reserved.
    static func checkName(_ name: String) throws(SecretsError) {
        let allowed = Set("_.-/")
        guard (1...2048).contains(name.count), name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || allowed.contains($0) }) else {
            throw SecretsError.validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive), and must contain only letters, digits and _.-/")
        }
        if name.contains("/"), !name.hasPrefix("/") {
            throw SecretsError.validation("Parameter name must be a fully qualified name.")
        }
        let first = name.split(separator: "/").first.map { $0.lowercased() } ?? ""
        if first.hasPrefix("aws") || first.hasPrefix("ssm") {
            throw SecretsError.validation("No access to reserved parameter name: \(name).")
        }
    }

    /// Random bytes, base64: what stands in for KMS ciphertext (independent of the value).
    static func ciphertext(_ value: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64.encode((0..<(value.utf8.count + 48)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    func shape(_ p: StoredParameter, _ v: ParameterVersion, decrypt: Bool, selector: String? = nil) -> JSONValue {
        let value = v.type == .secureString && !decrypt ? (v.ciphertext ?? "") : v.value
        return .obj([("Name", .string(p.name)), ("Type", .string(v.type.rawValue)), ("Value", .string(value)), ("Version", .int(v.version)),
                     ("Selector", selector.map(JSONValue.string)), ("LastModifiedDate", .timestamp(v.modified)),
                     ("ARN", .string(p.arn)), ("DataType", .string(p.dataType))])
    }

    func getMany(_ r: Request) throws -> JSONValue {
        let names = try r.strings("Names") ?? []
        guard (1...10).contains(names.count) else {
            throw SecretsError.validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10")
        }
        let decrypt = try r.bool("WithDecryption") ?? false
        var found: [JSONValue] = [], invalid: [JSONValue] = []
        for name in names {
            do {
                let (p, v) = try select(name)
                let selector = try Self.split(name).1
                found.append(shape(p, v, decrypt: decrypt, selector: selector.map { ":" + $0 }))
            } catch let e as SecretsError where e.type == "ParameterNotFound" || e.type == "ParameterVersionNotFound" {
                invalid.append(.string(name))
            }
        }
        return ["Parameters": .array(found), "InvalidParameters": .array(invalid)]
    }

    func byPath(_ r: Request) throws -> JSONValue {
        let path = try r.required("Path")
        guard path.hasPrefix("/") else { throw SecretsError.validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".") }
        if r.value("ParameterFilters") != nil { throw SecretsError.validation("ParameterFilters are not available locally for GetParametersByPath.") }
        let recursive = try r.bool("Recursive") ?? false
        let decrypt = try r.bool("WithDecryption") ?? false
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let items = try store.parameters().filter { p in
            guard p.name.hasPrefix(prefix), p.name.count > prefix.count else { return false }
            return recursive || !p.name.dropFirst(prefix.count).contains("/")
        }
        let (page, next) = try PageToken.page(items, token: try r.string("NextToken"), max: try r.maxResults(1...10, default: 10),
                                              list: "path:\(prefix)", invalid: SecretsError("InvalidNextToken", "The specified token isn't valid."))
        return .obj([("Parameters", .array(page.map { shape($0, $0.current, decrypt: decrypt) })), ("NextToken", next.map(JSONValue.string))])
    }

    func deleteMany(_ r: Request) throws -> JSONValue {
        let names = try r.strings("Names") ?? []
        guard (1...10).contains(names.count) else {
            throw SecretsError.validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10")
        }
        var deleted: [JSONValue] = [], invalid: [JSONValue] = []
        for raw in names {
            if let p = try lookup(raw) {
                try store.removeParameter(named: p.name)
                deleted.append(.string(raw))
            } else {
                invalid.append(.string(raw))
            }
        }
        return ["DeletedParameters": .array(deleted), "InvalidParameters": .array(invalid)]
    }

    func metadata(_ p: StoredParameter) -> JSONValue {
        let v = p.current
        return .obj([("Name", .string(p.name)), ("ARN", .string(p.arn)), ("Type", .string(v.type.rawValue)), ("KeyId", p.keyId.map(JSONValue.string)),
                     ("LastModifiedDate", .timestamp(v.modified)), ("LastModifiedUser", .string("arn:aws:iam::\(store.account):root")),
                     ("Description", v.description.map(JSONValue.string)), ("Version", .int(v.version)), ("Tier", "Standard"),
                     ("Policies", .array([])), ("DataType", .string(p.dataType))])
    }

    /// DescribeParameters with ParameterFilters Name/Type/KeyId/Path (Equals, BeginsWith; Path
    /// with Recursive/OneLevel) or the older Filters (Name, Type, KeyId; Equals).
    func describe(_ r: Request) throws -> JSONValue {
        var items = try store.parameters()
        var filters: [(key: String, option: String, values: [String])] = []
        for f in try r.objects("ParameterFilters") ?? [] {
            filters.append((try f.required("Key"), try f.string("Option") ?? "Equals", try f.strings("Values") ?? []))
        }
        for f in try r.objects("Filters") ?? [] {
            filters.append((try f.required("Key"), "Equals", try f.strings("Values") ?? []))
        }
        for f in filters {
            items = try items.filter { p throws(SecretsError) in try Self.matches(p, f.key, f.option, f.values) }
        }
        let (page, next) = try PageToken.page(items, token: try r.string("NextToken"), max: try r.maxResults(1...50, default: 50),
                                              list: "describe", invalid: SecretsError("InvalidNextToken", "The specified token isn't valid."))
        return .obj([("Parameters", .array(page.map(metadata))), ("NextToken", next.map(JSONValue.string))])
    }

    static func matches(_ p: StoredParameter, _ key: String, _ option: String, _ values: [String]) throws(SecretsError) -> Bool {
        let field: String
        switch key {
        case "Name": field = p.name
        case "Type": field = p.current.type.rawValue
        case "KeyId": field = p.keyId ?? ""
        case "Path":
            return values.contains { v in
                let prefix = v.hasSuffix("/") ? v : v + "/"
                guard p.name.hasPrefix(prefix) else { return false }
                return option == "Recursive" || !p.name.dropFirst(prefix.count).contains("/")
            }
        default: throw SecretsError("InvalidFilterKey", "The filter key \(key) is not available locally (Name, Type, KeyId, Path).")
        }
        switch option {
        case "Equals": return values.contains(field)
        case "BeginsWith": return values.contains { field.hasPrefix($0) }
        case "Contains": return values.contains { field.contains($0) }
        default: throw SecretsError("InvalidFilterOption", "The filter option \(option) is not valid for key \(key).")
        }
    }

    func history(_ r: Request) throws -> JSONValue {
        let name = try r.required("Name")
        guard let p = try lookup(name) else { throw Self.notFound(name) }
        let decrypt = try r.bool("WithDecryption") ?? false
        let (page, next) = try PageToken.page(p.history, token: try r.string("NextToken"), max: try r.maxResults(1...50, default: 50),
                                              list: "history:\(p.name)", invalid: SecretsError("InvalidNextToken", "The specified token isn't valid."))
        return .obj([("Parameters", .array(page.map { v in
            .obj([("Name", .string(p.name)), ("Type", .string(v.type.rawValue)), ("KeyId", p.keyId.map(JSONValue.string)),
                  ("LastModifiedDate", .timestamp(v.modified)), ("LastModifiedUser", .string("arn:aws:iam::\(store.account):root")),
                  ("Description", v.description.map(JSONValue.string)),
                  ("Value", .string(v.type == .secureString && !decrypt ? (v.ciphertext ?? "") : v.value)),
                  ("Version", .int(v.version)), ("Labels", .array(v.labels.map(JSONValue.string))), ("Tier", "Standard"),
                  ("Policies", .array([])), ("DataType", .string(p.dataType))])
        })), ("NextToken", next.map(JSONValue.string))])
    }
}

import BerthJSON
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A user name and password (or token) for a registry.
public struct RegistryCredential: Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `Basic base64(user:password)`.
    public var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    /// From a docker-style `auth` member (base64 of `user:password`).
    init?(auth: String) {
        guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        self.init(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

/// Berth's own credential file (default /var/lib/berth/auth.json, mode 0600), in Docker's
/// `auths` form plus credentials stored by name for task definitions'
/// `repositoryCredentials.credentialsParameter`:
///
///     { "auths": { "reg.example.com": { "auth": "dXNlcjpwYXNz" } },
///       "named": { "my-secret": { "registry": "reg.example.com", "auth": "dXNlcjpwYXNz" } } }
public struct CredentialStore: Sendable {
    public static let defaultPath = "/var/lib/berth/auth.json"
    public let path: String

    public init(path: String = CredentialStore.defaultPath) { self.path = path }

    /// Store a credential for `registry`, or under `name` when given.
    public func login(_ registry: String, _ credential: RegistryCredential, name: String? = nil) throws {
        var json = try readObject()
        let auth = Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()
        if let name {
            var named = json["named"]?.objectValue ?? JSONObject()
            named[name] = .obj([("registry", .string(registry)), ("auth", .string(auth))])
            json["named"] = .object(named)
        } else {
            var auths = json["auths"]?.objectValue ?? JSONObject()
            auths[registry] = .obj([("auth", .string(auth))])
            json["auths"] = .object(auths)
        }
        try write(json)
    }

    /// Remove the credential for `registry` (or the one stored under `name`); false if there was none.
    @discardableResult
    public func logout(_ registry: String, name: String? = nil) throws -> Bool {
        var json = try readObject()
        let section = name == nil ? "auths" : "named"
        var members = json[section]?.objectValue ?? JSONObject()
        let key = name ?? registry
        guard members[key] != nil else { return false }
        members[key] = nil
        json[section] = .object(members)
        try write(json)
        return true
    }

    /// The credential stored for a registry name (as given to login).
    public func credential(for registry: String) throws -> RegistryCredential? {
        try CredentialFiles.lookup(try readObject(), registry)
    }

    /// The credential stored under `name`, and the registry it was stored for. A Secrets Manager
    /// ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`, possibly with the `-XXXXXX` suffix
    /// Secrets Manager adds) names NAME.
    public func named(_ parameter: String) throws -> (registry: String, credential: RegistryCredential)? {
        let named = try readObject()["named"]?.objectValue ?? JSONObject()
        for candidate in Self.names(parameter) {
            if let entry = named[candidate], let registry = entry["registry"]?.stringValue,
               let auth = entry["auth"]?.stringValue, let credential = RegistryCredential(auth: auth) {
                return (registry, credential)
            }
        }
        return nil
    }

    static func names(_ parameter: String) -> [String] {
        guard parameter.hasPrefix("arn:"), let range = parameter.range(of: ":secret:") else { return [parameter] }
        let name = String(parameter[range.upperBound...])
        var out = [name]
        if let dash = name.lastIndex(of: "-"), name.distance(from: dash, to: name.endIndex) == 7 { out.append(String(name[..<dash])) }
        return out
    }

    private func readObject() throws -> JSONObject {
        guard Files.exists(path) else { return JSONObject() }
        guard let object = try JSONValue.parse(bytes: try Files.readBytes(path), duplicateKeys: .keepLast).objectValue else {
            throw PullError(.other, "\(path): expected a JSON object")
        }
        return object
    }

    private func write(_ object: JSONObject) throws {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !dir.isEmpty { try Files.makeDirectories(dir, mode: 0o700) }
        try Files.writeAtomically(path, JSONValue.object(object).serializedBytes(pretty: true, sortedKeys: true), mode: 0o600)
    }
}

/// Reading credentials from the files users already have: Berth's own, Docker's
/// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`) and Podman's (`$REGISTRY_AUTH_FILE`,
/// `$XDG_RUNTIME_DIR/containers/auth.json`). Credential helpers (`credsStore`, `credHelpers`) are
/// not run.
public enum CredentialFiles {
    /// The files to look in, in order, for an environment.
    public static func paths(store: CredentialStore, environment: [String: String]) -> [String] {
        var out = [store.path]
        if let file = environment["REGISTRY_AUTH_FILE"] { out.append(file) }
        if let dir = environment["XDG_RUNTIME_DIR"] { out.append(dir + "/containers/auth.json") }
        if let dir = environment["DOCKER_CONFIG"] {
            out.append(dir + "/config.json")
        } else if let home = environment["HOME"] {
            out.append(home + "/.docker/config.json")
        }
        return out
    }

    /// The first credential any of `paths` has for `registry` (unreadable files are skipped).
    public static func find(_ registry: String, in paths: [String]) -> RegistryCredential? {
        for path in paths where Files.exists(path) {
            guard let bytes = try? Files.readBytes(path), let object = (try? JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast))?.objectValue else { continue }
            if let found = try? lookup(object, registry) { return found }
        }
        return nil
    }

    /// `auths` of a docker-style object for a registry, under any of the keys tools write for it.
    static func lookup(_ object: JSONObject, _ registry: String) throws -> RegistryCredential? {
        guard let auths = object["auths"]?.objectValue else { return nil }
        for key in keys(registry) {
            guard let entry = auths[key] else { continue }
            if let auth = entry["auth"]?.stringValue, !auth.isEmpty, let credential = RegistryCredential(auth: auth) { return credential }
            if let user = entry["username"]?.stringValue, let password = entry["password"]?.stringValue {
                return RegistryCredential(username: user, password: password)
            }
        }
        return nil
    }

    static func keys(_ registry: String) -> [String] {
        var hosts = [registry]
        if [RegistryName.dockerHub, "index.docker.io", RegistryName.dockerHubEndpoint].contains(registry) {
            hosts = [RegistryName.dockerHub, "index.docker.io", RegistryName.dockerHubEndpoint]
            return hosts + ["https://index.docker.io/v1/"]
        }
        return hosts.flatMap { [$0, "https://\($0)", "http://\($0)", "https://\($0)/v1/", "https://\($0)/v2/"] }
    }
}

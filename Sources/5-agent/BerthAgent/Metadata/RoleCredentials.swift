import BerthJSON
import BerthSys
import Foundation

/// Credentials a task role gets (`/v2/credentials/<id>`).
public struct RoleCredential: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Epoch seconds; nil = none given (the endpoint then answers one hour from now, and the
    /// SDKs come back for fresh ones then).
    public var expiration: Double?
}

public struct RoleCredentialError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// `berth agent --task-role-credentials FILE`: a JSON object from role ARN to
/// `{"profile": NAME}` (a profile of the shared credentials file: `AWS_SHARED_CREDENTIALS_FILE`
/// or `~/.aws/credentials`) or static keys `{"accessKeyId", "secretAccessKey", "sessionToken",
/// "expiration"}` (expiration RFC 3339). The file and the credentials file are read again
/// whenever they change, so rotated keys reach the tasks at their next refresh.
public final class RoleCredentialStore: @unchecked Sendable {
    public let path: String?
    let sharedCredentialsPath: String
    private let lock = NSLock()
    private var cached: (stamp: String, map: [String: JSONValue])?

    public init(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.path = path
        sharedCredentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? ((environment["HOME"] ?? "/root") + "/.aws/credentials")
    }

    /// Read and check the file now (at agent start: a broken file stops the agent).
    public func validate() throws(RoleCredentialError) {
        let map = try mapping()
        for (role, _) in map { _ = try credential(roleArn: role) }
    }

    /// The credentials of `roleArn`; nil when the role is not mapped.
    public func credential(roleArn: String) throws(RoleCredentialError) -> RoleCredential? {
        guard let entry = try mapping()[roleArn] else { return nil }
        let at = "\(path ?? "")[\(roleArn.debugDescription)]"
        guard case .object = entry else { throw .init("\(at): must be an object with \"profile\" or \"accessKeyId\"/\"secretAccessKey\"") }
        if let profile = entry["profile"] {
            guard let name = profile.stringValue else { throw .init("\(at).profile: must be a string") }
            return try Self.profile(name, file: sharedCredentialsPath, at: at)
        }
        guard let key = entry["accessKeyId"]?.stringValue, !key.isEmpty, let secret = entry["secretAccessKey"]?.stringValue, !secret.isEmpty else {
            throw .init("\(at): needs \"profile\", or \"accessKeyId\" and \"secretAccessKey\" strings")
        }
        var expiration: Double?
        if let e = entry["expiration"] {
            guard let text = e.stringValue, let t = UTC.parseRFC3339(text) else { throw .init("\(at).expiration: must be an RFC 3339 time such as 2026-01-02T03:04:05Z") }
            expiration = t
        }
        for k in entry.objectValue!.map(\.key) where !["accessKeyId", "secretAccessKey", "sessionToken", "expiration"].contains(k) {
            throw .init("\(at).\(k): unknown member (expected accessKeyId, secretAccessKey, sessionToken, expiration or profile)")
        }
        return RoleCredential(accessKeyId: key, secretAccessKey: secret, sessionToken: entry["sessionToken"]?.stringValue, expiration: expiration)
    }

    func mapping() throws(RoleCredentialError) -> [String: JSONValue] {
        guard let path else { return [:] }
        var st = stat()
        guard stat(path, &st) == 0 else { throw .init("\(path): cannot read the task role credentials file: \(String(cString: strerror(errno)))") }
        let stamp = "\(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec) \(st.st_mtim.tv_nsec)"
        if let c = lock.withLock({ cached }), c.stamp == stamp { return c.map }
        let text: String
        do { text = try Files.read(path) } catch { throw .init("\(path): \(error)") }
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw .init("\(path): \(error)") }
        guard let object = json.objectValue else { throw .init("\(path): must be a JSON object from role ARN to credentials") }
        var map: [String: JSONValue] = [:]
        for (k, v) in object {
            guard k.hasPrefix("arn:"), k.contains(":role/") else { throw .init("\(path): \(k.debugDescription) is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)") }
            map[k] = v
        }
        lock.withLock { cached = (stamp, map) }
        return map
    }

    /// One profile of an INI credentials file (aws_access_key_id, aws_secret_access_key, aws_session_token).
    static func profile(_ name: String, file: String, at: String) throws(RoleCredentialError) -> RoleCredential {
        let text: String
        do { text = try Files.read(file) } catch { throw .init("\(at): profile \(name.debugDescription): cannot read \(file): \(error)") }
        var section: String?
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == name, let eq = line.firstIndex(of: "=") else { continue }
            values[line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            throw .init("\(at): profile \(name.debugDescription) has no aws_access_key_id and aws_secret_access_key in \(file)")
        }
        return RoleCredential(accessKeyId: key, secretAccessKey: secret, sessionToken: values["aws_session_token"], expiration: nil)
    }
}

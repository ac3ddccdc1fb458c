import BerthJSON
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local Secrets Manager and Parameter Store data: one JSON file per secret and per
/// parameter under `root` (`<agent state dir>/secrets` by default), owner-only (directories
/// 0700, files 0600), each replaced atomically (temporary file, fsync, rename), so a killed
/// writer leaves the old or the new file and never half of one. Values are stored as given
/// (SecureString too: the file mode is the protection, as for the agent's own credentials).
/// Changes in one process are serialised by a lock; other processes (`berth run`) only read.
public final class SecretStore: @unchecked Sendable {
    public static let defaultRoot = "/var/lib/berth/secrets"
    public let root: String
    public let region: String
    public let account: String
    private let lock = NSLock()

    public init(root: String, region: String = "us-east-1", account: String = "000000000000") {
        self.root = root
        self.region = region
        self.account = account
    }

    var secretsDir: String { root + "/secretsmanager" }
    var parametersDir: String { root + "/ssm" }

    /// A file name for any secret or parameter name (they may hold `/`): its UTF-8 in hex, or
    /// for a name longer than 100 bytes (file names end at 255) `h-` and its SHA-256. The record
    /// itself holds the name.
    static func fileName(_ name: String) -> String {
        guard name.utf8.count <= 100 else { return "h-" + SHA256.hex(Array(name.utf8)) + ".json" }
        return name.utf8.map { String($0, radix: 16).leftPadded(2) }.joined() + ".json"
    }

    // MARK: secrets

    public func secrets() throws -> [StoredSecret] {
        try all(secretsDir).compactMap(StoredSecret.init(json:)).sorted { $0.created < $1.created || ($0.created == $1.created && $0.name < $1.name) }
    }

    public func secret(named name: String) throws -> StoredSecret? {
        try read(secretsDir + "/" + Self.fileName(name)).flatMap(StoredSecret.init(json:))
    }

    public func putSecret(_ s: StoredSecret) throws { try write(secretsDir, s.name, s.json) }

    public func removeSecret(named name: String) throws { try remove(secretsDir + "/" + Self.fileName(name)) }

    // MARK: parameters

    public func parameters() throws -> [StoredParameter] {
        try all(parametersDir).compactMap(StoredParameter.init(json:)).sorted { $0.name < $1.name }
    }

    public func parameter(named name: String) throws -> StoredParameter? {
        try read(parametersDir + "/" + Self.fileName(name)).flatMap(StoredParameter.init(json:))
    }

    public func putParameter(_ p: StoredParameter) throws { try write(parametersDir, p.name, p.json) }

    public func removeParameter(named name: String) throws { try remove(parametersDir + "/" + Self.fileName(name)) }

    /// Run `body` with this process's changes serialised (read, decide, write).
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: files

    private func read(_ path: String) throws -> JSONValue? {
        guard Files.exists(path) else { return nil }
        return try JSONValue.parse(bytes: try Files.readBytes(path))
    }

    private func all(_ dir: String) throws -> [JSONValue] {
        guard Files.isDirectory(dir) else { return [] }
        // Leftover temporary files of a killed writer are not records.
        return try Files.list(dir).filter { $0.hasSuffix(".json") }.compactMap { try? read(dir + "/" + $0) }
    }

    private func write(_ dir: String, _ name: String, _ json: JSONValue) throws {
        try Files.makeDirectories(root, mode: 0o700)
        try Files.makeDirectories(dir, mode: 0o700)
        chmod(root, 0o700)
        chmod(dir, 0o700)
        try Files.writeAtomically(dir + "/" + Self.fileName(name), json.serializedBytes(), mode: 0o600)
    }

    private func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw SysError("unlink", errno: errno, detail: path) }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

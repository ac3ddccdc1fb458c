import BerthJSON
import BerthHTTP
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The agent's access key: created on first start in `<state-dir>/credentials.json` (mode
/// 0600) from /dev/urandom, printed by `berth agent credentials`.
public enum CredentialStore {
    public static func path(stateDir: String) -> String { "\(stateDir)/credentials.json" }

    public static func load(stateDir: String) throws -> SigV4Credentials {
        let json = try JSONValue.parse(bytes: try Files.readBytes(path(stateDir: stateDir)), duplicateKeys: .keepLast)
        guard let id = json["accessKeyId"]?.stringValue, let secret = json["secretAccessKey"]?.stringValue, !id.isEmpty, secret.count >= 20 else {
            throw AgentStartError("\(path(stateDir: stateDir)): accessKeyId and secretAccessKey are required")
        }
        return SigV4Credentials(accessKeyId: id, secretAccessKey: secret)
    }

    /// Load, or create when missing. A damaged file is moved aside and replaced.
    public static func loadOrCreate(stateDir: String, log: (String) -> Void) throws -> SigV4Credentials {
        let file = path(stateDir: stateDir)
        if Files.exists(file) {
            do { return try load(stateDir: stateDir) } catch {
                let aside = "\(file).corrupt-\(Int(wallClockNow()))"
                rename(file, aside)
                log("credentials file \(file) is unreadable (\(error)); moved aside to \(aside), creating new credentials")
            }
        }
        try Files.makeDirectories(stateDir, mode: 0o700)
        let creds = try generate()
        let json: JSONValue = ["accessKeyId": .string(creds.accessKeyId), "secretAccessKey": .string(creds.secretAccessKey)]
        try Files.writeAtomically(file, json.serializedBytes() + [0x0A], mode: 0o600)
        return creds
    }

    static func generate() throws(SysError) -> SigV4Credentials {
        let random = try Files.readRandom(count: 56)
        let keyAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let id = "BRTH" + String(random[0..<16].map { keyAlphabet[Int($0) % 32] })
        let secret = String(random[16..<56].map { secretAlphabet[Int($0) % 64] })
        return SigV4Credentials(accessKeyId: id, secretAccessKey: secret)
    }
}

extension Files {
    /// `count` bytes from /dev/urandom.
    static func readRandom(count: Int) throws(SysError) -> [UInt8] {
        let fd = try FileDescriptor.open("/dev/urandom", O_RDONLY)
        defer { fd.close() }
        var out: [UInt8] = []
        while out.count < count { out += try fd.read(max: count - out.count) }
        return out
    }
}

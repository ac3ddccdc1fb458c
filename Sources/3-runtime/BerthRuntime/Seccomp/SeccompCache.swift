import BerthInit
import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Compiled filters by content: `<root>/.seccomp/<sha256>.bpf` (+ `.info`: rules and skipped
/// names), the hash over `linux.seccomp` as config.json holds it (`SeccompSource`) or else its
/// canonical JSON (keys sorted), the native architecture and the libseccomp version. A second
/// start of the same profile does not compile.
public struct SeccompCache: Sendable {
    public let directory: String

    public init(root: String) { directory = root + "/.seccomp" }

    public struct Entry: Sendable, Equatable {
        public var hash: String
        public var path: String
        public var rules: Int
        public var unknown: [String]
        public var fromCache: Bool
    }

    /// The hash naming `seccomp`'s program: over `source`'s bytes when they decoded to this very
    /// profile (no serialising on the start path), else over the profile's canonical JSON. The
    /// two forms are told apart by their first line.
    public static func key(_ seccomp: Spec.Seccomp, source: SeccompSource? = nil) -> String {
        var h = SHA256()
        if let source, source.profile == seccomp {
            h.update("berth-seccomp-raw-v2 libseccomp \(SeccompCompiler.version) native \(nativeArch)\n")
            h.update(source.bytes)
        } else {
            h.update("berth-seccomp-v2 libseccomp \(SeccompCompiler.version) native \(nativeArch)\n")
            h.update(seccomp.jsonValue.serializedBytes(sortedKeys: true))
        }
        return h.hexDigest()
    }

    static var nativeArch: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The cached program for `seccomp`, compiled from `plan` and stored if missing.
    public func program(for seccomp: Spec.Seccomp, source: SeccompSource? = nil, plan: SeccompPlan) throws(RuntimeError) -> Entry {
        let hash = Self.key(seccomp, source: source)
        let path = "\(directory)/\(hash).bpf"
        if Files.exists(path), let info = try? Files.read("\(directory)/\(hash).info") {
            let (rules, unknown) = Self.parseInfo(info)
            return Entry(hash: hash, path: path, rules: rules, unknown: unknown, fromCache: true)
        }
        let compiled = try SeccompCompiler.compile(plan)
        do {
            try Files.makeDirectories(directory, mode: 0o700)
            // The info file first: a .bpf present always has one.
            try Files.writeAtomically("\(directory)/\(hash).info", Array(Self.info(compiled).utf8), mode: 0o600)
            try Files.writeAtomically(path, compiled.program, mode: 0o600)
        } catch { throw .sys(error) }
        return Entry(hash: hash, path: path, rules: compiled.rules, unknown: compiled.unknown, fromCache: false)
    }

    static func info(_ c: CompiledSeccomp) -> String {
        "rules \(c.rules)\n" + c.unknown.map { "unknown \($0)\n" }.joined()
    }

    static func parseInfo(_ text: String) -> (Int, [String]) {
        var rules = 0
        var unknown: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("rules ") { rules = Int(line.dropFirst(6)) ?? 0 }
            if line.hasPrefix("unknown ") { unknown.append(String(line.dropFirst(8))) }
        }
        return (rules, unknown)
    }
}

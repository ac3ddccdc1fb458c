import BerthJSON
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Durable agent state: one JSON file per object under `<root>/<kind>/<name>.json`, each
/// written with tmp + fsync + rename. A file that does not parse is reported and moved aside
/// to `<name>.corrupt-<ts>` so a bad file never becomes a crash loop.
public final class StateStore: @unchecked Sendable {
    public let root: String
    private let log: @Sendable (String) -> Void

    public init(root: String, log: @escaping @Sendable (String) -> Void) throws(SysError) {
        self.root = root
        self.log = log
        try Files.makeDirectories(root, mode: 0o700)
        for kind in ["clusters", "taskdefs", "families", "tasks"] {
            try Files.makeDirectories("\(root)/\(kind)", mode: 0o700)
        }
    }

    func path(_ kind: String, _ name: String) -> String { "\(root)/\(kind)/\(Self.fileName(name)).json" }

    /// Names may contain ':' (family:revision); keep file names to a safe alphabet.
    static func fileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "@" })
    }

    public func save(_ kind: String, _ name: String, _ value: JSONValue) throws(SysError) {
        var bytes = value.serializedBytes()
        bytes.append(0x0A)
        try Files.writeAtomically(path(kind, name), bytes, mode: 0o600)
    }

    /// Write several objects crash-safely with as few disk flushes as the filesystem allows:
    /// every temporary file is written first, then all are fsynced (after the first flush the
    /// rest are mostly clean), renamed into place, and each directory is fsynced once so the
    /// renames are durable too. Returns the objects that failed, with their errors.
    public func saveAll(_ items: [(kind: String, name: String, value: JSONValue)]) -> [(String, any Error)] {
        var failures: [(String, any Error)] = []
        var written: [(tmp: String, path: String, fd: FileDescriptor)] = []
        for item in items {
            let path = path(item.kind, item.name)
            let tmp = Files.temporaryName(for: path)
            do {
                let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
                do { try fd.writeAll(item.value.serializedBytes() + [0x0A]) } catch { fd.close(); unlink(tmp); throw error }
                written.append((tmp, path, fd))
            } catch {
                failures.append((path, error))
            }
        }
        var dirs = Set<String>()
        for w in written {
            defer { w.fd.close() }
            do {
                try Sys.call("fsync", detail: w.tmp) { fsync(w.fd.rawValue) }
                try Sys.call("rename", detail: "\(w.tmp) to \(w.path)") { rename(w.tmp, w.path) }
                dirs.insert(String(w.path[..<w.path.lastIndex(of: "/")!]))
            } catch {
                unlink(w.tmp)
                failures.append((w.path, error))
            }
        }
        for dir in dirs { syncDirectory(dir) }
        return failures
    }

    func syncDirectory(_ dir: String) {
        guard let fd = try? FileDescriptor.open(dir, O_RDONLY | O_DIRECTORY) else { return }
        _ = fsync(fd.rawValue)
        fd.close()
    }

    public func remove(_ kind: String, _ name: String) {
        unlink(path(kind, name))
    }

    /// Every readable object of a kind. Corrupt files are logged and renamed aside.
    public func loadAll(_ kind: String) -> [JSONValue] {
        let dir = "\(root)/\(kind)"
        guard let names = try? Files.list(dir) else { return [] }
        var out: [JSONValue] = []
        for name in names.sorted() {
            let file = "\(dir)/\(name)"
            if name.contains(".tmp.") {
                unlink(file)  // an interrupted atomic write; the previous version is intact
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            do {
                let bytes = try Files.readBytes(file)
                let value = try JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast)
                guard case .object = value else { throw JSONSyntaxError(line: 1, column: 1, message: "not a JSON object") }
                out.append(value)
            } catch {
                let aside = "\(file).corrupt-\(Int(wallClockNow()))"
                rename(file, aside)
                log("state file \(file) is unreadable (\(error)); moved aside to \(aside)")
            }
        }
        return out
    }
}

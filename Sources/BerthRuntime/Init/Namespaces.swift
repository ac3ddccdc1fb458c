import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Joining namespaces by path and creating the rest, in a single-threaded process.
enum Namespaces {
    /// Open every path first (later joins change what paths mean), then setns in `joinOrder`.
    static func join(_ targets: [(kind: NamespaceKind, path: String)]) throws(SysError) {
        var fds: [(NamespaceKind, String, FileDescriptor)] = []
        defer { for (_, _, fd) in fds { fd.close() } }
        for t in targets {
            fds.append((t.kind, t.path, try FileDescriptor.open(t.path, O_RDONLY)))
        }
        for (kind, path, fd) in fds {
            Trace.step("namespace", "join \(kind.rawValue) \(path)")
            try Sys.call("setns \(kind.rawValue)", detail: path) { berth_setns(fd.rawValue, kind.cloneFlag) }
        }
    }

    static func create(_ kinds: [NamespaceKind]) throws(SysError) {
        guard !kinds.isEmpty else { return }
        Trace.step("namespace", "unshare \(kinds.map(\.rawValue).joined(separator: ","))")
        let flags = kinds.reduce(Int32(0)) { $0 | $1.cloneFlag }
        try Sys.call("unshare", detail: kinds.map(\.rawValue).joined(separator: ",")) { berth_unshare(flags) }
    }

    /// Place the calling process in each cgroup (before any namespace or fork).
    static func enterCgroups(_ files: [String]) throws(SysError) {
        let pid = String(getpid())
        for file in files {
            Trace.step("cgroup", "\(pid) > \(file)")
            try Files.write(file, pid)
        }
    }

    /// Inode identity of a namespace file.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Joining namespaces by path and creating the rest, in a single-threaded process.
enum Namespaces {
    /// A namespace file opened for setns.
    struct Opened {
        var kind: NamespaceKind
        var path: String
        var fd: FileDescriptor
    }

    /// Open every path first (later joins change what paths mean), then setns in order.
    static func join(_ targets: [(kind: NamespaceKind, path: String)], _ sys: some NamespaceSyscalls) throws(SysError) {
        var opened: [Opened] = []
        defer { opened.forEach { $0.fd.close() } }
        for t in targets {
            opened.append(Opened(kind: t.kind, path: t.path, fd: try FileDescriptor.open(t.path, O_RDONLY)))
        }
        try enter(opened, sys)
    }

    /// Joins in the given order, the user namespace as runc does: every other namespace is tried
    /// while init still has the host's capabilities; one refused with EPERM then (it belongs to a
    /// user namespace init has no capabilities in) is joined again right after the user namespace.
    static func enter(_ opened: [Opened], _ sys: some NamespaceSyscalls) throws(SysError) {
        let hasUser = opened.contains { $0.kind == .user }
        var userJoined = false
        var retry: [Opened] = []
        for ns in opened {
            if ns.kind == .user { userJoined = true }
            Trace.step("namespace", "join \(ns.kind.rawValue) \(ns.path)")
            do { try sys.setns(ns.fd, ns.kind, path: ns.path) } catch {
                guard hasUser, !userJoined, error.errno == EPERM else { throw error }
                Trace.step("namespace", "\(ns.kind.rawValue): EPERM, joined again after the user namespace")
                retry.append(ns)
            }
        }
        for ns in retry { try sys.setns(ns.fd, ns.kind, path: ns.path) }
    }

    /// Open the namespaces of `pid` that differ from ours (joining one's own is pointless, and
    /// EINVAL for a user namespace). Kinds the kernel lacks are skipped.
    static func openDiffering(of pid: Int32, _ kinds: [NamespaceKind]) throws(SysError) -> [Opened] {
        var opened: [Opened] = []
        for kind in kinds {
            let path = "/proc/\(pid)/ns/\(kind.procName)"
            guard let theirs = identity(path) else { continue }
            if let ours = identity("/proc/self/ns/\(kind.procName)"), ours == theirs { continue }
            do { opened.append(Opened(kind: kind, path: path, fd: try FileDescriptor.open(path, O_RDONLY))) } catch {
                opened.forEach { $0.fd.close() }
                throw error
            }
        }
        return opened
    }

    static func create(_ kinds: [NamespaceKind], _ sys: some NamespaceSyscalls) throws(SysError) {
        guard !kinds.isEmpty else { return }
        Trace.step("namespace", "unshare \(kinds.map { $0.rawValue }.joined(separator: ","))")
        try sys.unshare(kinds)
    }

    /// process.oomScoreAdj, set while still privileged; children inherit it.
    static func setOOMScoreAdj(_ adj: Int?, _ sys: some NamespaceSyscalls) throws(SysError) {
        guard let adj else { return }
        Trace.step("process", "oom_score_adj \(adj)")
        try sys.setOOMScoreAdj(adj)
    }

    /// Inode identity of a namespace file.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}

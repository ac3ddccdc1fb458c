import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The kernel calls that create or join namespaces and set what belongs to them: session,
/// loopback, hostname, sysctls, oom_score_adj (see `InitSyscalls`).
public protocol NamespaceSyscalls {
    func setns(_ fd: FileDescriptor, _ kind: NamespaceKind, path: String) throws(SysError)
    func unshare(_ kinds: [NamespaceKind]) throws(SysError)
    /// Writes /proc/self/oom_score_adj.
    func setOOMScoreAdj(_ adj: Int) throws(SysError)
    /// setsid(2): the container's first process leads a new session.
    func newSession()
    func bringUp(_ interface: String) throws(SysError)
    func setHostname(_ name: String) throws(SysError)
    func setDomainname(_ name: String) throws(SysError)
    /// Writes `value` to a file under /proc/sys.
    func writeSysctl(_ file: String, _ value: String) throws(SysError)
}

extension LinuxSyscalls: NamespaceSyscalls {
    public func setns(_ fd: FileDescriptor, _ kind: NamespaceKind, path: String) throws(SysError) {
        try Sys.call("setns \(kind.rawValue)", detail: path) { berth_setns(fd.rawValue, kind.cloneFlag) }
    }

    public func unshare(_ kinds: [NamespaceKind]) throws(SysError) {
        let flags = kinds.reduce(Int32(0)) { $0 | $1.cloneFlag }
        try Sys.call("unshare", detail: kinds.map { $0.rawValue }.joined(separator: ",")) { berth_unshare(flags) }
    }

    public func setOOMScoreAdj(_ adj: Int) throws(SysError) {
        try Files.write("/proc/self/oom_score_adj", String(adj))
    }

    public func newSession() { _ = setsid() }

    public func bringUp(_ interface: String) throws(SysError) {
        try Sys.call("bring up \(interface)") { berth_if_up(interface) }
    }

    public func setHostname(_ name: String) throws(SysError) {
        try Sys.call("sethostname", detail: name) { berth_sethostname(name, name.utf8.count) }
    }

    public func setDomainname(_ name: String) throws(SysError) {
        try Sys.call("setdomainname", detail: name) { berth_setdomainname(name, name.utf8.count) }
    }

    public func writeSysctl(_ file: String, _ value: String) throws(SysError) {
        try Files.write(file, value)
    }
}

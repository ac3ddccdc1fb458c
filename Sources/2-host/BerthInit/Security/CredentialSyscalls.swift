import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The kernel calls that switch a process's identity and privileges (see `InitSyscalls`).
public protocol CredentialSyscalls {
    func capLastCap() -> Int
    func dropBounding(_ cap: Int) throws(SysError)
    func setKeepCaps(_ on: Bool) throws(SysError)
    func setGroups(_ groups: [UInt32]) throws(SysError)
    func setResGid(_ gid: UInt32) throws(SysError)
    func setResUid(_ uid: UInt32) throws(SysError)
    func capSet(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SysError)
    func clearAmbient() throws(SysError)
    func raiseAmbient(_ cap: Int) throws(SysError)
    func setNoNewPrivileges() throws(SysError)
    func setRlimit(_ limit: Rlimits.Limit) throws(SysError)
    func setUmask(_ mask: UInt32)
    /// Marks every descriptor from `first` on close-on-exec.
    func closeOnExec(from first: Int32) throws(SysError)
    /// seccomp(SECCOMP_SET_MODE_FILTER) with the runtime's compiled program.
    func loadSeccomp(_ filter: SeccompFilter) throws(SysError)
}

extension LinuxSyscalls: CredentialSyscalls {
    public func capLastCap() -> Int { Int(berth_cap_last_cap()) }

    public func dropBounding(_ cap: Int) throws(SysError) {
        try Sys.call("capbset drop", detail: Capabilities.name(cap)) { berth_capbset_drop(Int32(cap)) }
    }

    public func setKeepCaps(_ on: Bool) throws(SysError) {
        try Sys.call("prctl PR_SET_KEEPCAPS") { berth_set_keepcaps(on ? 1 : 0) }
    }

    public func setGroups(_ groups: [UInt32]) throws(SysError) {
        try Sys.call("setgroups", detail: "\(groups)") { setgroups(groups.count, groups) }
    }

    public func setResGid(_ gid: UInt32) throws(SysError) {
        try Sys.call("setresgid", detail: "\(gid)") { berth_setresgid(gid, gid, gid) }
    }

    public func setResUid(_ uid: UInt32) throws(SysError) {
        try Sys.call("setresuid", detail: "\(uid)") { berth_setresuid(uid, uid, uid) }
    }

    public func capSet(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SysError) {
        try Sys.call("capset") { berth_capset(effective, permitted, inheritable) }
    }

    public func clearAmbient() throws(SysError) {
        try Sys.call("ambient clear") { berth_cap_ambient_clear_all() }
    }

    public func raiseAmbient(_ cap: Int) throws(SysError) {
        try Sys.call("ambient raise", detail: Capabilities.name(cap)) { berth_cap_ambient_raise(Int32(cap)) }
    }

    public func setNoNewPrivileges() throws(SysError) {
        try Sys.call("prctl PR_SET_NO_NEW_PRIVS") { berth_set_no_new_privs() }
    }

    public func setRlimit(_ limit: Rlimits.Limit) throws(SysError) {
        try Sys.call("setrlimit", detail: "\(limit.name) \(limit.soft)/\(limit.hard)") {
            berth_setrlimit(limit.resource, limit.soft, limit.hard)
        }
    }

    public func setUmask(_ mask: UInt32) { _ = umask(mode_t(mask)) }

    public func closeOnExec(from first: Int32) throws(SysError) {
        try Sys.call("cloexec fds >= \(first)") { berth_cloexec_from(first) }
    }

    public func loadSeccomp(_ filter: SeccompFilter) throws(SysError) {
        try Sys.call("seccomp", detail: "\(filter.instructions) instructions, flags \(filter.flags)") {
            filter.program.withUnsafeBytes { berth_seccomp_load($0.baseAddress, UInt16(filter.instructions), filter.flags) }
        }
    }
}

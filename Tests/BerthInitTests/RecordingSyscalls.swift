import BerthSys
import CBerth
import Glibc
@testable import BerthInit

/// Test double of init's syscall seam (`InitSyscalls`): performs nothing, records every call
/// with its arguments in order, and fails one chosen call (the Nth, or the first whose line
/// starts with a name) with `failErrno`, as the real call would: a `SysError` with its stage.
final class RecordingSyscalls: InitSyscalls {
    /// The calls in order, as readable lines.
    private(set) var calls: [String] = []
    /// The stage each call's error names, nil for calls that cannot fail.
    private(set) var stages: [String?] = []
    var failIndex: Int?
    var failName: String?
    var failErrno: Int32 = EPERM
    /// Host paths below these prefixes are recorded as `<rootfs>/...` and `<bundle>/...`.
    var rootfs = "/nonexistent"
    var bundle = "/nonexistent"
    var lastCap = 40
    var statfsAnswer: (type: Int, flags: Int) = (Int(BERTH_CGROUP2_SUPER_MAGIC), 0)
    var mountInfoText = "1 0 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"
    /// Answers of `fileMode`; a path not listed does not exist.
    var fileModes: [String: mode_t] = [:]
    private var devices: [String: dev_t] = [:]
    /// File type of the nodes `makeNode` made (`makeCharDevice`'s are character devices).
    private var nodeTypes: [String: mode_t] = [:]
    /// The descriptors `setns` was given, in order (a test checks they are closed afterwards).
    private(set) var setnsDescriptors: [Int32] = []

    private func shouldFail(_ line: String) -> Bool {
        if calls.count - 1 == failIndex { return true }
        if let name = failName, line.hasPrefix(name) {
            failName = nil
            return true
        }
        return false
    }

    private func record(_ line: String, stage: String, detail: String?) throws(SysError) {
        calls.append(line)
        stages.append(stage)
        if shouldFail(line) { throw SysError(stage, errno: failErrno, detail: detail) }
    }

    private func note(_ line: String) {
        calls.append(line)
        stages.append(nil)
    }

    /// A path as the test reads it: `/proc/self/fd/N` by what it names, the rootfs and bundle
    /// by their placeholders.
    func name(_ path: String) -> String {
        var p = path
        if p.hasPrefix("/proc/self/fd/") {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(p, &buf, buf.count - 1)
            if n > 0 { p = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        for (prefix, placeholder) in [(rootfs, "<rootfs>"), (bundle, "<bundle>")] where p == prefix || p.hasPrefix(prefix + "/") {
            return placeholder + p.dropFirst(prefix.count)
        }
        return p
    }

    func name(_ fd: FileDescriptor) -> String { name(fd.procPath) }

    // MountSyscalls
    func mountFilesystem(_ source: String?, on target: String, type: String?, flags: UInt, data: String?,
                         what: String) throws(SysError) {
        let line = "mount \(source.map(name) ?? "none") on \(name(target)) type=\(type ?? "none") flags=\(MountOptions.describe(flags))"
        try record(line + (data.map { " data=\($0)" } ?? ""), stage: "mount", detail: what)
    }
    func umount(_ target: String, flags: Int32, what: String) throws(SysError) {
        try record("umount \(name(target)) flags=\(flags)", stage: "umount", detail: what)
    }
    func pivotRoot(detail: String) throws(SysError) { try record("pivot_root", stage: "pivot_root", detail: detail) }
    func changeDirectory(to dir: FileDescriptor, detail: String) throws(SysError) {
        try record("fchdir \(name(dir))", stage: "fchdir", detail: detail)
    }
    func changeDirectory(_ path: String, detail: String) throws(SysError) {
        try record("chdir \(path)", stage: "chdir", detail: detail)
    }
    func statfs(_ path: String) throws(SysError) -> (type: Int, flags: Int) {
        try record("statfs \(name(path))", stage: "statfs", detail: path)
        return statfsAnswer
    }
    /// Answers of `identity` by path as recorded (`<rootfs>`, `/`); a path not listed is (0, 0).
    var identities: [String: JoinedMountNamespace.Identity] = [:]
    func identity(_ path: String) throws(SysError) -> JoinedMountNamespace.Identity {
        try record("identity \(name(path))", stage: "stat", detail: path)
        return identities[name(path)] ?? .init(device: 0, inode: 0)
    }
    func mountInfo() throws(SysError) -> String {
        try record("read mountinfo", stage: "open", detail: "/proc/self/mountinfo")
        return mountInfoText
    }
    func fileMode(_ path: String) -> (mode: mode_t, errno: Int32) {
        calls.append("stat \(path)")
        stages.append("stat")
        if shouldFail("stat \(path)") { return (0, failErrno) }
        return fileModes[path].map { ($0, 0) } ?? (0, ENOENT)
    }
    func makeCharDevice(in dir: FileDescriptor, _ name: String, major: UInt32, minor: UInt32) throws(SysError) {
        try record("mknod \(self.name(dir))/\(name) c \(major):\(minor)", stage: "mknod", detail: "/dev/\(name)")
        // glibc's makedev for the small numbers of the default devices.
        devices[name] = dev_t(major) << 8 | dev_t(minor)
    }
    func statAt(_ dir: FileDescriptor, _ name: String) throws(SysError) -> (mode: mode_t, rdev: dev_t) {
        try record("stat \(self.name(dir))/\(name)", stage: "stat", detail: "/dev/\(name)")
        guard let rdev = devices[name] else { throw SysError("stat", errno: ENOENT, detail: "/dev/\(name)") }
        return ((nodeTypes[name] ?? S_IFCHR) | 0o666, rdev)
    }
    func symlink(_ target: String, in dir: FileDescriptor, _ name: String, detail: String) throws(SysError) {
        try record("symlink \(self.name(dir))/\(name) -> \(target)", stage: "symlink", detail: detail)
    }
    func makeNode(in dir: FileDescriptor, _ name: String, mode: mode_t, major: UInt32, minor: UInt32,
                  detail: String) throws(SysError) {
        try record("mknod \(self.name(dir))/\(name) 0\(String(mode, radix: 8)) \(major):\(minor)", stage: "mknod", detail: detail)
        devices[name] = dev_t(major) << 8 | dev_t(minor)
        nodeTypes[name] = mode & S_IFMT
    }
    func setOwnerAndMode(in dir: FileDescriptor, _ name: String, uid: UInt32, gid: UInt32, mode: mode_t,
                         detail: String) throws(SysError) {
        try record("chown \(self.name(dir))/\(name) \(uid):\(gid) 0\(String(mode, radix: 8))", stage: "chown", detail: detail)
    }
    /// Answers of `statPath` (host device nodes); a path not listed does not exist.
    var hostNodes: [String: (mode: mode_t, rdev: dev_t)] = [:]
    func statPath(_ path: String) throws(SysError) -> (mode: mode_t, rdev: dev_t) {
        try record("stat \(path)", stage: "stat", detail: path)
        guard let node = hostNodes[path] else { throw SysError("stat", errno: ENOENT, detail: path) }
        return node
    }

    // NamespaceSyscalls
    func setns(_ fd: FileDescriptor, _ kind: NamespaceKind, path: String) throws(SysError) {
        setnsDescriptors.append(fd.rawValue)
        try record("setns \(kind.rawValue) \(path)", stage: "setns \(kind.rawValue)", detail: path)
    }
    func unshare(_ kinds: [NamespaceKind]) throws(SysError) {
        let names = kinds.map(\.rawValue).joined(separator: ",")
        try record("unshare \(names)", stage: "unshare", detail: names)
    }
    func setOOMScoreAdj(_ adj: Int) throws(SysError) {
        try record("oom_score_adj \(adj)", stage: "write", detail: "/proc/self/oom_score_adj")
    }
    func newSession() { note("setsid") }
    func bringUp(_ interface: String) throws(SysError) {
        try record("up \(interface)", stage: "bring up \(interface)", detail: nil)
    }
    func setHostname(_ name: String) throws(SysError) { try record("sethostname \(name)", stage: "sethostname", detail: name) }
    func setDomainname(_ name: String) throws(SysError) { try record("setdomainname \(name)", stage: "setdomainname", detail: name) }
    func writeSysctl(_ file: String, _ value: String) throws(SysError) {
        try record("sysctl \(file)=\(value)", stage: "write", detail: file)
    }

    // CredentialSyscalls
    func capLastCap() -> Int { lastCap }
    func dropBounding(_ cap: Int) throws(SysError) { try record("drop \(cap)", stage: "capbset drop", detail: nil) }
    func setKeepCaps(_ on: Bool) throws(SysError) { try record("keepcaps \(on)", stage: "prctl PR_SET_KEEPCAPS", detail: nil) }
    func setGroups(_ groups: [UInt32]) throws(SysError) { try record("setgroups \(groups)", stage: "setgroups", detail: nil) }
    func setResGid(_ gid: UInt32) throws(SysError) { try record("setresgid \(gid)", stage: "setresgid", detail: nil) }
    func setResUid(_ uid: UInt32) throws(SysError) { try record("setresuid \(uid)", stage: "setresuid", detail: nil) }
    func capSet(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SysError) {
        let line = "capset e=\(String(effective, radix: 16)) p=\(String(permitted, radix: 16)) i=\(String(inheritable, radix: 16))"
        try record(line, stage: "capset", detail: nil)
    }
    func clearAmbient() throws(SysError) { try record("ambient clear", stage: "ambient clear", detail: nil) }
    func raiseAmbient(_ cap: Int) throws(SysError) { try record("ambient \(cap)", stage: "ambient raise", detail: nil) }
    func setNoNewPrivileges() throws(SysError) { try record("nnp", stage: "prctl PR_SET_NO_NEW_PRIVS", detail: nil) }
    func setRlimit(_ limit: Rlimits.Limit) throws(SysError) {
        try record("rlimit \(limit.name) \(limit.soft) \(limit.hard)", stage: "setrlimit", detail: nil)
    }
    func setUmask(_ mask: UInt32) { note("umask \(String(mask, radix: 8))") }
    func closeOnExec(from first: Int32) throws(SysError) { try record("cloexec from \(first)", stage: "cloexec fds >= \(first)", detail: nil) }
    func loadSeccomp(_ filter: SeccompFilter) throws(SysError) {
        try record("seccomp \(filter.instructions) flags \(filter.flags)", stage: "seccomp", detail: nil)
    }
}

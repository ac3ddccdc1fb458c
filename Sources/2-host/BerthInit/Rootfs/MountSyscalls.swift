import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The kernel calls that build the container's filesystem view: mounts, pivot_root, the
/// working directory, device nodes (see `InitSyscalls`).
public protocol MountSyscalls {
    /// mount(2); a failure is stage `mount` with `what` as its detail.
    func mountFilesystem(_ source: String?, on target: String, type: String?, flags: UInt, data: String?,
                         what: String) throws(SysError)
    func umount(_ target: String, flags: Int32, what: String) throws(SysError)
    /// pivot_root(".", "."): the old root is stacked under the new one.
    func pivotRoot(detail: String) throws(SysError)
    func changeDirectory(to dir: FileDescriptor, detail: String) throws(SysError)
    func changeDirectory(_ path: String, detail: String) throws(SysError)
    /// Filesystem magic and ST_* flags of the filesystem holding `path`.
    func statfs(_ path: String) throws(SysError) -> (type: Int, flags: Int)
    /// Text of /proc/self/mountinfo.
    func mountInfo() throws(SysError) -> String
    /// Device and inode of `path` (stat(2), following symlinks).
    func identity(_ path: String) throws(SysError) -> JoinedMountNamespace.Identity
    /// stat(2) of a path: its mode, or the errno.
    func fileMode(_ path: String) -> (mode: mode_t, errno: Int32)
    /// mknodat(2) of a character device with mode 0666, relative to `dir`.
    func makeCharDevice(in dir: FileDescriptor, _ name: String, major: UInt32, minor: UInt32) throws(SysError)
    /// fstatat(AT_SYMLINK_NOFOLLOW): mode and rdev of `name` in `dir`.
    func statAt(_ dir: FileDescriptor, _ name: String) throws(SysError) -> (mode: mode_t, rdev: dev_t)
    func symlink(_ target: String, in dir: FileDescriptor, _ name: String, detail: String) throws(SysError)
    /// mknodat(2) of any node (`mode` carries S_IFCHR, S_IFBLK or S_IFIFO and the permission
    /// bits, the umask still applies), relative to `dir` (linux.devices).
    func makeNode(in dir: FileDescriptor, _ name: String, mode: mode_t, major: UInt32, minor: UInt32,
                  detail: String) throws(SysError)
    /// Owner and exact permission bits of `name` in `dir`, never through a symlink (the node is
    /// opened O_PATH|O_NOFOLLOW; fchownat(AT_EMPTY_PATH), chmod through /proc/self/fd).
    func setOwnerAndMode(in dir: FileDescriptor, _ name: String, uid: UInt32, gid: UInt32, mode: mode_t,
                         detail: String) throws(SysError)
    /// stat(2) of a host path (the source of a device bind): mode and rdev.
    func statPath(_ path: String) throws(SysError) -> (mode: mode_t, rdev: dev_t)
}

extension MountSyscalls {
    /// The one traced mount of the init: every call is one `--explain` line.
    func mount(_ source: String?, on target: String, type: String?, flags: UInt, data: String? = nil,
               what: String) throws(SysError) {
        Trace.step("mount", "\(what): source=\(source ?? "none") type=\(type ?? "none") flags=\(MountOptions.describe(flags))"
                   + (data.map { $0.isEmpty ? "" : " data=\($0)" } ?? ""))
        try mountFilesystem(source, on: target, type: type, flags: flags, data: (data?.isEmpty ?? true) ? nil : data, what: what)
    }

    func traceUmount(_ target: String, flags: Int32, what: String) throws(SysError) {
        Trace.step("mount", "umount \(what)")
        try umount(target, flags: flags, what: what)
    }
}

extension LinuxSyscalls: MountSyscalls {
    public func mountFilesystem(_ source: String?, on target: String, type: String?, flags: UInt, data: String?,
                                what: String) throws(SysError) {
        try Sys.call("mount", detail: what) { berth_mount(source, target, type, flags, data) }
    }

    public func umount(_ target: String, flags: Int32, what: String) throws(SysError) {
        try Sys.call("umount", detail: what) { berth_umount2(target, flags) }
    }

    public func pivotRoot(detail: String) throws(SysError) {
        try Sys.call("pivot_root", detail: detail) { berth_pivot_root(".", ".") }
    }

    public func changeDirectory(to dir: FileDescriptor, detail: String) throws(SysError) {
        try Sys.call("fchdir", detail: detail) { fchdir(dir.rawValue) }
    }

    public func changeDirectory(_ path: String, detail: String) throws(SysError) {
        try Sys.call("chdir", detail: detail) { chdir(path) }
    }

    public func statfs(_ path: String) throws(SysError) -> (type: Int, flags: Int) {
        var fsType = 0
        var fsFlags = 0
        try Sys.call("statfs", detail: path) { berth_statfs(path, &fsType, &fsFlags) }
        return (fsType, fsFlags)
    }

    public func mountInfo() throws(SysError) -> String { try Files.read("/proc/self/mountinfo") }

    public func identity(_ path: String) throws(SysError) -> JoinedMountNamespace.Identity {
        var st = stat()
        try Sys.call("stat", detail: path) { stat(path, &st) }
        return .init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public func fileMode(_ path: String) -> (mode: mode_t, errno: Int32) {
        var st = stat()
        let (_, err) = Sys.attempt { stat(path, &st) }
        return (st.st_mode, err)
    }

    public func makeCharDevice(in dir: FileDescriptor, _ name: String, major: UInt32, minor: UInt32) throws(SysError) {
        try Sys.call("mknod", detail: "/dev/\(name)") { berth_mknodat(dir.rawValue, name, S_IFCHR | 0o666, major, minor) }
    }

    public func statAt(_ dir: FileDescriptor, _ name: String) throws(SysError) -> (mode: mode_t, rdev: dev_t) {
        var mode: mode_t = 0
        var rdev: dev_t = 0
        try Sys.call("stat", detail: "/dev/\(name)") { berth_fstatat_mode(dir.rawValue, name, BERTH_AT_SYMLINK_NOFOLLOW, &mode, &rdev) }
        return (mode, rdev)
    }

    public func symlink(_ target: String, in dir: FileDescriptor, _ name: String, detail: String) throws(SysError) {
        try Sys.call("symlink", detail: detail) { berth_symlinkat(target, dir.rawValue, name) }
    }

    public func makeNode(in dir: FileDescriptor, _ name: String, mode: mode_t, major: UInt32, minor: UInt32,
                         detail: String) throws(SysError) {
        try Sys.call("mknod", detail: detail) { berth_mknodat(dir.rawValue, name, mode, major, minor) }
    }

    public func setOwnerAndMode(in dir: FileDescriptor, _ name: String, uid: UInt32, gid: UInt32, mode: mode_t,
                                detail: String) throws(SysError) {
        let fd = FileDescriptor(rawValue: try Sys.call("open", detail: detail) {
            berth_openat(dir.rawValue, name, BERTH_O_PATH | O_NOFOLLOW | O_CLOEXEC, 0)
        })
        defer { fd.close() }
        var type: mode_t = 0
        try Sys.call("stat", detail: detail) { berth_fstatat_mode(fd.rawValue, "", BERTH_AT_EMPTY_PATH, &type, nil) }
        guard type & S_IFMT != S_IFLNK else { throw SysError("open", errno: ELOOP, detail: detail) }
        try Sys.call("chown", detail: detail) { fchownat(fd.rawValue, "", uid, gid, BERTH_AT_EMPTY_PATH) }
        try Sys.call("chmod", detail: detail) { chmod("/proc/self/fd/\(fd.rawValue)", mode) }
    }

    public func statPath(_ path: String) throws(SysError) -> (mode: mode_t, rdev: dev_t) {
        var mode: mode_t = 0
        var rdev: dev_t = 0
        try Sys.call("stat", detail: path) { berth_fstatat_mode(AT_FDCWD, path, 0, &mode, &rdev) }
        return (mode, rdev)
    }
}

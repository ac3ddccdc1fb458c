import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Resolution of container paths inside the rootfs by the kernel: every lookup is
/// `openat2(rootfd, path, O_PATH, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)`, so symlinks in the
/// image (`/evil -> /`, `../../..`) resolve relative to the rootfs and never reach the host.
/// Missing components are created one at a time relative to an already-resolved parent handle.
/// Mounts then target `/proc/self/fd/N` of the returned O_PATH handle (runc's mountViaFds).
struct RootedPath {
    enum Create { case none, directory, file }

    let root: FileDescriptor

    static let resolveFlags = BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS

    /// Open `components` (already cleaned, see `ContainerPath`) below the root as an O_PATH handle.
    func open(_ components: [String], create: Create = .none) throws(SysError) -> FileDescriptor {
        let path = components.isEmpty ? "." : components.joined(separator: "/")
        let (fd, err) = lookup(path)
        if fd >= 0 { return FileDescriptor(rawValue: fd) }
        guard err == ENOENT, create != .none, !components.isEmpty else {
            throw SysError("resolve in rootfs", errno: err, detail: "/" + components.joined(separator: "/"))
        }
        return try createMissing(components, create: create)
    }

    private func lookup(_ path: String) -> (Int32, Int32) {
        Sys.attempt {
            berth_openat2(root.rawValue, path, UInt64(BERTH_O_PATH | O_CLOEXEC), 0, Self.resolveFlags)
        }
    }

    private func createMissing(_ components: [String], create: Create) throws(SysError) -> FileDescriptor {
        var parent = FileDescriptor(rawValue: try Sys.call("dup") { dup(root.rawValue) })
        for i in components.indices {
            let prefix = components[...i].joined(separator: "/")
            var (fd, err) = lookup(prefix)
            if fd < 0 && err == ENOENT {
                let isLast = i == components.count - 1
                let (rc, cerr) = Sys.attempt { () -> Int32 in
                    if isLast && create == .file {
                        let f = berth_openat(parent.rawValue, components[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                        if f >= 0 { Glibc.close(f) }
                        return f
                    }
                    return berth_mkdirat(parent.rawValue, components[i], 0o755)
                }
                if rc < 0 && cerr != EEXIST {
                    parent.close()
                    throw SysError(isLast && create == .file ? "create file in rootfs" : "mkdir in rootfs",
                                   errno: cerr, detail: "/" + prefix)
                }
                Trace.step("rootfs", "created \(isLast && create == .file ? "file" : "directory") /\(prefix)")
                (fd, err) = lookup(prefix)
                if fd < 0 && err == ENOENT {
                    parent.close()
                    throw SysError("resolve in rootfs", errno: ENOENT, detail: "/\(prefix) (a dangling symlink in the image?)")
                }
            }
            parent.close()
            guard fd >= 0 else { throw SysError("resolve in rootfs", errno: err, detail: "/" + prefix) }
            parent = FileDescriptor(rawValue: fd)
        }
        return parent
    }
}

extension FileDescriptor {
    /// The magic-link path naming this descriptor, usable as a mount target.
    var procPath: String { "/proc/self/fd/\(rawValue)" }

    /// File type bits (S_IFMT) of what this descriptor refers to.
    func fileType() throws(SysError) -> mode_t {
        var mode: mode_t = 0
        try Sys.call("fstat", detail: "fd \(rawValue)") { berth_fstatat_mode(rawValue, "", BERTH_AT_EMPTY_PATH, &mode, nil) }
        return mode & S_IFMT
    }
}

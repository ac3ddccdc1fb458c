import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A new user namespace with `linux.uidMappings` / `gidMappings` (Docs/init.md "User namespaces").
///
/// A process that unshared CLONE_NEWUSER cannot write its own full maps (it has no CAP_SETUID in
/// the parent namespace any more), and an idmapped mount needs CAP_SYS_ADMIN in the namespace that
/// owns the rootfs mount. So, as runc's and crun's parent does, a process that stays in the host's
/// user namespace does both: `berth-init` (single-threaded) forks a short-lived mapper before the
/// unshare, which waits on a pipe, writes /proc/<init>/uid_map and gid_map (as root: full maps,
/// setgroups stays "allow"), sets MOUNT_ATTR_IDMAP on the detached rootfs tree both share, reports
/// on a second pipe and exits. Init then becomes root of the namespace (setresgid/setresuid 0) and
/// unshares the other namespaces, which the new user namespace then owns.
struct UserNamespace {
    var uidMappings: [Spec.IDMapping]
    var gidMappings: [Spec.IDMapping]
    /// The rootfs, and whether it gets an idmapped mount (`RootfsIdmap.needed`).
    var rootfsPath: String
    var idmapRootfs: Bool

    /// The `uid_map` / `gid_map` text: one `container host size` line per mapping.
    static func mapText(_ mappings: [Spec.IDMapping]) -> String {
        mappings.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    /// Clones the rootfs tree (if it is to be idmapped), unshares the user namespace, has the
    /// mapper write the maps and idmap the clone, becomes the namespace's root. Returns the
    /// idmapped detached tree, which `MountSetup` attaches in place of the rootfs bind.
    func enter(_ sys: some NamespaceSyscalls & CredentialSyscalls) throws -> FileDescriptor? {
        var tree: FileDescriptor?
        if idmapRootfs {
            let fd = try Sys.call("open_tree OPEN_TREE_CLONE", detail: rootfsPath) { berth_open_tree_clone(rootfsPath) }
            tree = FileDescriptor(rawValue: fd)
        }
        do {
            try runMapper(tree: tree, sys)
            Trace.step("namespace", "user: root of the new user namespace")
            try sys.setResGid(0)
            try sys.setResUid(0)
        } catch {
            tree?.close()
            throw error
        }
        return tree
    }

    private func runMapper(tree: FileDescriptor?, _ sys: some NamespaceSyscalls) throws {
        let go = try makePipe()
        let done: (read: FileDescriptor, write: FileDescriptor)
        do { done = try makePipe() } catch {
            go.read.close(); go.write.close()
            throw error
        }
        let initPid = getpid()
        let mapper = fork()
        if mapper < 0 {
            [go.read, go.write, done.read, done.write].forEach { $0.close() }
            throw SysError("fork", detail: "user namespace mapper")
        }
        if mapper == 0 {
            go.write.close()
            done.read.close()
            let signal = (try? go.read.readAll()) ?? []
            guard signal == [UInt8(ascii: "1")] else { _exit(0) }
            let problem = mapperWork(initPid: initPid, tree: tree)
            if let problem { _ = try? done.write.writeAll(problem) }
            _exit(problem == nil ? 0 : 1)
        }
        go.read.close()
        done.write.close()
        var unshareError: (any Error)?
        Trace.step("namespace", "unshare user")
        do { try sys.unshare([.user]) } catch { unshareError = error }
        if unshareError == nil { _ = try? go.write.writeAll("1") }
        go.write.close()
        let report = (try? done.read.readAll()) ?? []
        done.read.close()
        var status: Int32 = 0
        while waitpid(mapper, &status, 0) < 0 && errno == EINTR {}
        if let unshareError { throw unshareError }
        if !report.isEmpty { throw InitError("userns", String(decoding: report, as: UTF8.self)) }
        guard status == 0 else { throw InitError("userns", "the uid/gid mapper exited with status \(status)") }
    }

    /// In the mapper (host user namespace, root): the maps, then the idmapped rootfs. Returns a
    /// message naming the field on failure.
    private func mapperWork(initPid: pid_t, tree: FileDescriptor?) -> String? {
        let maps = [("uid_map", "linux.uidMappings", uidMappings), ("gid_map", "linux.gidMappings", gidMappings)]
        for (file, field, mappings) in maps {
            let path = "/proc/\(initPid)/\(file)"
            do {
                let fd = try FileDescriptor.open(path, O_WRONLY)
                defer { fd.close() }
                // One write: the kernel takes a map only whole, in a single write(2).
                try fd.writeAll(Self.mapText(mappings))
                Trace.step("namespace", "user: \(file) " + mappings.map { "\($0.containerID):\($0.hostID):\($0.size)" }.joined(separator: ","))
            } catch {
                return "\(field): writing \(path): \(String(cString: strerror(error.errno)))"
            }
        }
        guard let tree else { return nil }
        let nsPath = "/proc/\(initPid)/ns/user"
        guard let ns = try? FileDescriptor.open(nsPath, O_RDONLY) else {
            return "root.path: cannot open \(nsPath) for the idmapped rootfs: \(String(cString: strerror(errno)))"
        }
        defer { ns.close() }
        if berth_mount_setattr_idmap(tree.rawValue, ns.rawValue) != 0 {
            let e = errno
            return "root.path: \(rootfsPath): an idmapped mount of the rootfs failed (mount_setattr MOUNT_ATTR_IDMAP: "
                + "\(String(cString: strerror(e)))); its filesystem may not support idmapped mounts. Berth does not chown "
                + "a rootfs: put it on a filesystem that does (ext4, xfs, btrfs, tmpfs, overlayfs on Linux >= 5.19) or own "
                + "it by the host id that linux.uidMappings maps to container root"
        }
        Trace.step("rootfs", "idmapped \(rootfsPath) to the container's user namespace")
        return nil
    }
}

/// Whether a container with a new user namespace gets an idmapped rootfs (pure).
enum RootfsIdmap {
    /// The host uid and gid that container root maps to, if any.
    static func hostRoot(_ mappings: [Spec.IDMapping]) -> UInt32? {
        mappings.first { $0.containerID == 0 && $0.size > 0 }.map { $0.hostID }
    }

    /// A rootfs whose top directory the mapped root already owns (chowned in advance, as runc
    /// expects) is used as it is; any other is idmapped so that its owners appear shifted into the
    /// namespace (host 0 -> container 0).
    static func needed(rootOwner: (uid: UInt32, gid: UInt32), uid: [Spec.IDMapping], gid: [Spec.IDMapping]) -> Bool {
        !(hostRoot(uid) == rootOwner.uid && hostRoot(gid) == rootOwner.gid)
    }
}

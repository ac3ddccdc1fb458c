import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Create mode, after the joins: the new user namespace from the spec's mappings (see
/// `UserNamespace`), before the other namespaces are unshared.
enum UserNamespaceStep {
    static func enter(_ spec: Spec, rootfsPath: String, _ sys: some NamespaceSyscalls & CredentialSyscalls) throws -> FileDescriptor? {
        let uid = spec.linux?.uidMappings ?? []
        let gid = spec.linux?.gidMappings ?? []
        if let problem = IDMappingCheck.problems(uid: uid, gid: gid).first {
            throw InitError("userns", "\(problem.field): \(problem.message)")
        }
        var st = stat()
        guard stat(rootfsPath, &st) == 0 else { throw SysError("stat", detail: rootfsPath) }
        let idmap = RootfsIdmap.needed(rootOwner: (st.st_uid, st.st_gid), uid: uid, gid: gid)
        return try UserNamespace(uidMappings: uid, gidMappings: gid, rootfsPath: rootfsPath, idmapRootfs: idmap).enter(sys)
    }

    /// After joining a user namespace by path: become its root, so what setup creates (the /dev
    /// tmpfs and its files) has an owner mapped there (an unmapped one gets EOVERFLOW).
    static func becomeRoot(_ sys: some CredentialSyscalls) throws {
        Trace.step("namespace", "user: root of the joined user namespace")
        do {
            try sys.setResGid(0)
            try sys.setResUid(0)
        } catch {
            throw InitError("userns", "linux.namespaces: the joined user namespace does not map container root (uid/gid 0): \(error)")
        }
    }
}

/// A user namespace joined by path gets the same idmapped rootfs as a created one (unless its
/// root already owns the rootfs): its maps are read by a short-lived child that joins it and reads
/// /proc/self/uid_map and gid_map (which show host ids), then init, still in the host's user
/// namespace, clones the rootfs tree and idmaps it with the namespace file.
enum JoinedUserNamespace {
    static func idmappedRootfs(userPath: String, rootfsPath: String) throws -> FileDescriptor? {
        let ns = try FileDescriptor.open(userPath, O_RDONLY)
        defer { ns.close() }
        let (uid, gid) = try readMaps(ns)
        var st = stat()
        guard stat(rootfsPath, &st) == 0 else { throw SysError("stat", detail: rootfsPath) }
        guard RootfsIdmap.needed(rootOwner: (st.st_uid, st.st_gid), uid: uid, gid: gid) else { return nil }
        let fd = try Sys.call("open_tree OPEN_TREE_CLONE", detail: rootfsPath) { berth_open_tree_clone(rootfsPath) }
        let tree = FileDescriptor(rawValue: fd)
        if berth_mount_setattr_idmap(tree.rawValue, ns.rawValue) != 0 {
            let e = errno
            tree.close()
            throw InitError("userns", "root.path: \(rootfsPath): an idmapped mount of the rootfs for the joined user namespace \(userPath) failed (mount_setattr MOUNT_ATTR_IDMAP: \(String(cString: strerror(e)))); Berth does not chown a rootfs: own it by the ids the namespace maps container root to")
        }
        Trace.step("rootfs", "idmapped \(rootfsPath) to the joined user namespace \(userPath)")
        return tree
    }

    /// The namespace's maps as `Spec.IDMapping`s, read from inside it by a forked child.
    static func readMaps(_ ns: FileDescriptor) throws -> ([Spec.IDMapping], [Spec.IDMapping]) {
        let pipe = try makePipe()
        let child = fork()
        if child < 0 {
            pipe.read.close(); pipe.write.close()
            throw SysError("fork", detail: "user namespace map reader")
        }
        if child == 0 {
            pipe.read.close()
            guard berth_setns(ns.rawValue, BERTH_CLONE_NEWUSER) == 0,
                  let uid = try? Files.read("/proc/self/uid_map"), let gid = try? Files.read("/proc/self/gid_map") else { _exit(1) }
            _ = try? pipe.write.writeAll(uid + "--\n" + gid)
            _exit(0)
        }
        pipe.write.close()
        let text = String(decoding: (try? pipe.read.readAll()) ?? [], as: UTF8.self)
        pipe.read.close()
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let lines = text.split(separator: "\n")
        guard status == 0, let mark = lines.firstIndex(of: "--") else {
            throw InitError("userns", "linux.namespaces: cannot read the maps of the joined user namespace")
        }
        return (parse(lines[..<mark].joined(separator: "\n")), parse(lines[(mark + 1)...].joined(separator: "\n")))
    }

    /// `uid_map` text -> mappings.
    static func parse(_ text: String) -> [Spec.IDMapping] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true).compactMap { UInt32($0) }
            return f.count == 3 ? Spec.IDMapping(containerID: f[0], hostID: f[1], size: f[2]) : nil
        }
    }
}


import BerthSys
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

import BerthInit
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// User namespace mappings and namespaces joined by path (Docs/init.md "User namespaces").
extension SpecValidator {
    /// Mappings only with a new user namespace; a new user namespace only with valid mappings; a
    /// joined one brings its own maps.
    static func checkUserNamespace(_ linux: Spec.Linux?, _ issues: inout [SpecIssue]) {
        let uid = linux?.uidMappings ?? []
        let gid = linux?.gidMappings ?? []
        let user = (linux?.namespaces ?? []).enumerated().first { $0.element.type == "user" }
        guard let (index, ns) = user else {
            if !uid.isEmpty { issues.append(SpecIssue("linux.uidMappings", "needs a user namespace (add {\"type\": \"user\"} to linux.namespaces)")) }
            if !gid.isEmpty { issues.append(SpecIssue("linux.gidMappings", "needs a user namespace (add {\"type\": \"user\"} to linux.namespaces)")) }
            return
        }
        if let path = ns.path, !path.isEmpty {
            for (field, maps) in [("linux.uidMappings", uid), ("linux.gidMappings", gid)] where !maps.isEmpty {
                issues.append(SpecIssue(field, "must be empty when joining the user namespace linux.namespaces[\(index)].path (it has its own maps)"))
            }
            return
        }
        for p in IDMappingCheck.problems(uid: uid, gid: gid) { issues.append(SpecIssue(p.field, p.message)) }
    }

    /// Each `linux.namespaces[].path` must be a namespace file (nsfs) of its type, checked with
    /// fstatfs (NSFS_MAGIC) and ioctl(NS_GET_NSTYPE).
    static func checkNamespacePaths(_ namespaces: [Spec.Namespace]?, _ issues: inout [SpecIssue]) {
        for (i, ns) in (namespaces ?? []).enumerated() {
            guard let path = ns.path, !path.isEmpty, let kind = NamespaceKind(rawValue: ns.type), Files.exists(path) else { continue }
            if let problem = nsfsProblem(path, kind) { issues.append(SpecIssue("linux.namespaces[\(i)].path", problem)) }
        }
    }

    /// A mount namespace joined by path gets no rootfs built in it (Docs/init.md "Joining a mount
    /// namespace"): the fields that would change its mounts are refused, each named.
    static func checkJoinedMountNamespace(_ spec: Spec, _ issues: inout [SpecIssue]) {
        let joins = (spec.linux?.namespaces ?? []).contains { $0.type == "mount" && !($0.path ?? "").isEmpty }
        guard joins else { return }
        for p in JoinedMountNamespace.problems(spec) { issues.append(SpecIssue(p.field, p.message)) }
    }

    /// nil if `path` is a namespace file of `kind`, else what it is instead.
    static func nsfsProblem(_ path: String, _ kind: NamespaceKind) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "\(path.debugDescription): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        guard berth_is_nsfs(fd) == 1 else { return "\(path.debugDescription) is not a namespace file (nsfs), e.g. /proc/<pid>/ns/\(kind.procName)" }
        let type = berth_ns_type(fd)
        guard type == kind.cloneFlag else {
            let actual = NamespaceKind.allCases.first { $0.cloneFlag == type }?.rawValue ?? "type \(type)"
            return "\(path.debugDescription) is a namespace of type \(actual), not \(kind.rawValue)"
        }
        return nil
    }
}

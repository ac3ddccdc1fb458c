import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A mount namespace joined by path (`linux.namespaces[{type: mount, path}]`, Docs/init.md
/// "Joining a mount namespace"). The joined namespace already has its root, typically another
/// container's: Berth builds nothing there (no propagation change, no rootfs bind, no mounts,
/// no pivot_root, no masked or read-only paths), since every mount or pivot_root made there
/// would change the root and mounts of every process already in it. The container runs in the
/// namespace's root, which must be `root.path` itself; every other step (names, sysctls,
/// rlimits, credentials, capabilities, seccomp, no_new_privs) is as usual.
public enum JoinedMountNamespace {
    /// The fields that would change the joined namespace's mounts, each with why; empty if none.
    public static func problems(_ spec: Spec) -> [(field: String, message: String)] {
        let why = "would change the mounts of the joined mount namespace (Berth builds no rootfs in a mount namespace joined by path)"
        var out: [(field: String, message: String)] = []
        for (i, _) in (spec.mounts ?? []).enumerated() { out.append(("mounts[\(i)]", "\(why); drop it or create a new mount namespace")) }
        if spec.root?.readonly == true { out.append(("root.readonly", "\(why); the joined root stays as it is")) }
        let linux = spec.linux
        if !(linux?.maskedPaths ?? []).isEmpty { out.append(("linux.maskedPaths", why)) }
        if !(linux?.readonlyPaths ?? []).isEmpty { out.append(("linux.readonlyPaths", why)) }
        if let p = linux?.rootfsPropagation, !p.isEmpty { out.append(("linux.rootfsPropagation", why)) }
        if !(linux?.devices ?? []).isEmpty { out.append(("linux.devices", "\(why): device nodes are made in the container's own /dev")) }
        if !(spec.hooks?.createContainer ?? []).isEmpty {
            out.append(("hooks.createContainer", "runs with the host's root in the container's new mount namespace before pivot_root; a mount namespace joined by path has no such moment"))
        }
        if let (i, _) = (linux?.namespaces ?? []).enumerated().first(where: { $0.element.type == "user" && ($0.element.path ?? "").isEmpty }) {
            out.append(("linux.namespaces[\(i)]", "a new user namespace cannot own the files of a joined mount namespace (its rootfs would need an idmapped mount there); join the other container's user namespace by path or drop it"))
        }
        return out
    }

    /// Device and inode of a directory, to compare `root.path` (on the host, before the joins)
    /// with the joined namespace's root.
    public struct Identity: Equatable, Sendable {
        public var device: UInt64
        public var inode: UInt64
        public init(device: UInt64, inode: UInt64) { (self.device, self.inode) = (device, inode) }
    }

    /// After setns(CLONE_NEWNS) the kernel has set root and cwd to the namespace's root (the
    /// topmost mount on it, e.g. the other container's pivoted rootfs). It must be `root.path`;
    /// then chdir there (crun restores the cwd by path after the join; the container's cwd is
    /// set later from `process.cwd`).
    static func enterRoot(expected: Identity, rootfsPath: String, _ sys: some MountSyscalls) throws {
        let actual = try sys.identity("/")
        guard actual == expected else {
            throw InitError("rootfs", "root.path: \(rootfsPath) is not the root of the mount namespace joined by path (linux.namespaces, type mount); give the root.path of the container that owns it")
        }
        Trace.step("rootfs", "joined mount namespace: its root is root.path; no mounts, no pivot_root")
        try sys.changeDirectory("/", detail: "/ (joined mount namespace)")
    }
}

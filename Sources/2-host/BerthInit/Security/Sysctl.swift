/// Which sysctls a container may set: only those that belong to a namespace it owns
/// (runc's rules): IPC ones with an own IPC namespace, `net.*` with an own network
/// namespace, hostname/domainname with an own UTS namespace.
public enum Sysctl {
    static let ipcKeys: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    /// The key in dotted form (sysctl(8) accepts `net/ipv4/ip_forward` too).
    public static func normalize(_ key: String) -> String {
        key.contains("/") ? String(key.split(separator: "/").joined(separator: ".")) : key
    }

    /// The file under /proc/sys for `key`, after checking it is allowed with the given namespaces.
    public static func path(for key: String, namespaces: NamespacePlan) throws(InitError) -> String {
        let dotted = normalize(key)
        let comps = dotted.split(separator: ".", omittingEmptySubsequences: false)
        guard !dotted.isEmpty, !comps.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) else {
            throw InitError("sysctl", "linux.sysctl: invalid key \(key.debugDescription)")
        }
        let file = "/proc/sys/" + comps.joined(separator: "/")
        if ipcKeys.contains(dotted) || dotted.hasPrefix("fs.mqueue.") {
            guard namespaces.isolates(.ipc) else {
                throw InitError("sysctl", "linux.sysctl: \(dotted) requires a private ipc namespace")
            }
            return file
        }
        if dotted.hasPrefix("net.") {
            guard namespaces.isolates(.network) else {
                throw InitError("sysctl", "linux.sysctl: \(dotted) requires a private network namespace")
            }
            return file
        }
        if dotted == "kernel.hostname" || dotted == "kernel.domainname" {
            guard namespaces.isolates(.uts) else {
                throw InitError("sysctl", "linux.sysctl: \(dotted) requires a private uts namespace")
            }
            return file
        }
        throw InitError("sysctl", "linux.sysctl: \(dotted) is not in a namespace of the container (only ipc, net.* and uts sysctls are allowed)")
    }
}

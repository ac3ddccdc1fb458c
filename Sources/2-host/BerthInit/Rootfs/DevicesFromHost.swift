import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

extension Devices {
    /// In a user namespace mknod is refused: each default node is an empty file in the /dev
    /// tmpfs with the host's node bound onto it (runc's way), then checked like a created one
    /// (character device, major:minor); then the same symlinks as `populate`.
    static func bindFromHost(rooted: RootedPath, _ sys: some MountSyscalls) throws {
        let dev = try rooted.open(["dev"])
        defer { dev.close() }
        for node in nodes {
            let target = try rooted.open(["dev", node.name], create: .file)
            try sys.mount("/dev/\(node.name)", on: target.procPath, type: nil, flags: BERTH_MS_BIND, data: nil,
                          what: "bind host /dev/\(node.name)")
            target.close()
            let (mode, rdev) = try sys.statAt(dev, node.name)
            guard mode & S_IFMT == S_IFCHR, berth_major(rdev) == node.major, berth_minor(rdev) == node.minor else {
                throw InitError("devices", "/dev/\(node.name) is not the character device \(node.major):\(node.minor) after binding the host's")
            }
            Trace.step("device", "bind host /dev/\(node.name) (c \(node.major):\(node.minor)) in the user namespace")
        }
        var all = links
        if Files.exists("/proc/kcore") { all.append(("core", "/proc/kcore")) }
        for link in all {
            try sys.symlink(link.target, in: dev, link.name, detail: "/dev/\(link.name) -> \(link.target)")
        }
    }
}

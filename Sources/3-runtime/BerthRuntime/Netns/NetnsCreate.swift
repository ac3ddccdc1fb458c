import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth netns-create PATH` (hidden): make a network namespace with loopback up and pin it by
/// bind-mounting /proc/self/ns/net onto PATH, as `ip netns add` does. Runs in a freshly exec'd,
/// single-threaded process because unshare(CLONE_NEWNET) affects only the calling thread.
/// Remove with `Netns.remove(PATH)` (umount + unlink).
public enum Netns {
    static let cloneNewNet: Int32 = 0x4000_0000

    static func createMain(_ args: [String]) -> Int32 {
        guard args.count == 1, args[0].hasPrefix("/") else {
            printError("usage: berth netns-create ABSOLUTE_PATH")
            return 2
        }
        do {
            try create(args[0])
            return 0
        } catch {
            printError("berth netns-create: \(error)")
            return 1
        }
    }

    static func create(_ path: String) throws(SysError) {
        guard Proc.threadCount() <= 1 else { throw SysError("netns-create", errno: EINVAL, detail: "must run single-threaded") }
        if let slash = path.lastIndex(of: "/") { try Files.makeDirectories(String(path[..<slash])) }
        let fd = try Sys.call("create", detail: path) { open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444) }
        close(fd)
        do {
            try Sys.call("unshare(CLONE_NEWNET)") { berth_unshare(cloneNewNet) }
            try Sys.call("bring up", detail: "lo") { berth_if_up("lo") }
            try Sys.call("mount --bind /proc/self/ns/net", detail: path) { berth_mount("/proc/self/ns/net", path, nil, BERTH_MS_BIND, nil) }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Unpin a namespace made by `create` (lazy unmount, then unlink). Missing is fine.
    public static func remove(_ path: String) throws(SysError) {
        guard Files.exists(path) else { return }
        let (_, e) = Sys.attempt { berth_umount2(path, BERTH_MNT_DETACH) }
        if e != 0 && e != EINVAL { throw SysError("umount", errno: e, detail: path) }
        try Sys.call("unlink", detail: path) { unlink(path) }
    }

    static func printError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

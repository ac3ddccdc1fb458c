import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// pivot_root(".", ".") as runc and crun do it: the old root is stacked under the new one,
/// made a recursive slave (so the unmount does not propagate) and lazily detached.
enum PivotRoot {
    static func run(newRoot: FileDescriptor, rootfsPath: String) throws(SysError) {
        let oldRoot = try FileDescriptor.open("/", O_DIRECTORY | BERTH_O_PATH)
        defer { oldRoot.close() }
        try Sys.call("fchdir", detail: rootfsPath) { fchdir(newRoot.rawValue) }
        Trace.step("pivot", "pivot_root(\".\", \".\") in \(rootfsPath)")
        try Sys.call("pivot_root", detail: rootfsPath) { berth_pivot_root(".", ".") }
        try Sys.call("fchdir", detail: "old root") { fchdir(oldRoot.rawValue) }
        try Mounts.mount(nil, on: ".", type: nil, flags: BERTH_MS_SLAVE | BERTH_MS_REC, what: "old root (rslave)")
        try Mounts.umount(".", flags: BERTH_MNT_DETACH, what: "old root (detach)")
        try Sys.call("chdir", detail: "/") { chdir("/") }
    }
}

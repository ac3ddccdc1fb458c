import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// pivot_root(".", ".") as runc and crun do it: the old root is stacked under the new one,
/// made a recursive slave (so the unmount does not propagate) and lazily detached.
enum PivotRoot {
    static func run(newRoot: FileDescriptor, rootfsPath: String, _ sys: some MountSyscalls) throws(SysError) {
        let oldRoot = try FileDescriptor.open("/", O_DIRECTORY | BERTH_O_PATH)
        defer { oldRoot.close() }
        try sys.changeDirectory(to: newRoot, detail: rootfsPath)
        Trace.step("pivot", "pivot_root(\".\", \".\") in \(rootfsPath)")
        try sys.pivotRoot(detail: rootfsPath)
        try sys.changeDirectory(to: oldRoot, detail: "old root")
        try sys.mount(nil, on: ".", type: nil, flags: BERTH_MS_SLAVE | BERTH_MS_REC, what: "old root (rslave)")
        try sys.traceUmount(".", flags: BERTH_MNT_DETACH, what: "old root (detach)")
        try sys.changeDirectory("/", detail: "/")
    }
}

import BerthSys
import CBerth
import Synchronization

/// Berth's executables that run inside a container's namespaces are never executed from their
/// file on the host (CVE-2019-5736; Docs/security.md). A process of the container that reaches
/// such a process through `/proc/<pid>/exe` (or a `#!/proc/self/exe` script) gets a file that no
/// one can write:
/// - first choice, as runc 1.2: the file seen through a private read-only overlay of its
///   directory that is attached to no mount namespace (no copy; about 0.1 ms);
/// - otherwise (no overlayfs, no new mount API): a sealed memfd copy (the whole file is copied,
///   about 7.5 ms for the 14 MB release berth-init).
/// One descriptor per executable and per process (CLI or agent), made on first use and reused for
/// every container and exec. The overlay's second (empty) layer is `emptyLower` when given (an
/// empty directory of Berth's, e.g. `<root>/.empty`), else a detached tmpfs, whose close costs an
/// RCU grace period on every CLI start (0.5-4 ms, more under load).
public enum SealedExecutable {
    private static let views = Mutex<[String: Int32]>([:])

    /// A close-on-exec descriptor of `path` to execute (owned by this process). Fails with the
    /// path when the file cannot be read, as a missing executable would.
    public static func descriptor(_ path: String, emptyLower: String? = nil) throws(SysError) -> Int32 {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(parts.last ?? "")
        let dir = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
        return try views.withLock { (views: inout [String: Int32]) throws(SysError) -> Int32 in
            if let fd = views[path] { return fd }
            var fd = berth_overlay_view_over(dir.isEmpty ? "/" : dir, name, emptyLower)
            if fd >= 0 {
                Trace.step("exec", "\(path) runs through a private read-only overlay of its directory")
            } else {
                fd = try Sys.call(name, detail: "\(path) (sealed copy)") { berth_sealed_copy(path, name) }
                Trace.step("exec", "\(path) runs from a sealed memfd copy")
            }
            views[path] = fd
            return fd
        }
    }
}

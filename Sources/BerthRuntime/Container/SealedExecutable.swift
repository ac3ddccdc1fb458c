import BerthSys
import CBerth
import Synchronization

/// Berth's executables that run inside a container's namespaces are executed from a sealed
/// in-memory copy, never from their file on the host (CVE-2019-5736; Docs/security.md). A process
/// of the container that reaches such a process through `/proc/<pid>/exe` (or a `#!/proc/self/exe`
/// script) gets the memfd, which no one can write, shrink or grow. One copy per executable and
/// per process (CLI or agent), made on first use and reused for every container and exec.
public enum SealedExecutable {
    private static let copies = Mutex<[String: Int32]>([:])

    /// The sealed copy of `path` (a close-on-exec descriptor owned by this process). Fails with
    /// the path when the file cannot be read, as a missing executable would.
    public static func descriptor(_ path: String) throws(SysError) -> Int32 {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return try copies.withLock { (copies: inout [String: Int32]) throws(SysError) -> Int32 in
            if let fd = copies[path] { return fd }
            let fd = try Sys.call(name, detail: "\(path) (sealed copy)") { berth_sealed_copy(path, name) }
            copies[path] = fd
            return fd
        }
    }
}

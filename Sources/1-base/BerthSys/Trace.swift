import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The `--explain` trace: one line for every isolation step (namespace, mount, cgroup write,
/// capability set, exec), so a person can see exactly what was applied.
/// Lines go to a file descriptor (stderr by default) as `berth: [stage] what`.
public enum Trace {
    nonisolated(unsafe) public static var fd: Int32 = -1

    public static var enabled: Bool { fd >= 0 }

    /// Enable tracing to `fd`, or from the BERTH_EXPLAIN environment variable (a descriptor number or "1" for stderr).
    public static func enable(fd: Int32 = 2) { self.fd = fd }

    public static func enableFromEnvironment() {
        guard let v = getenv("BERTH_EXPLAIN") else { return }
        let s = String(cString: v)
        if s == "1" || s == "stderr" { fd = 2 } else if let n = Int32(s) { fd = n }
    }

    public static func step(_ stage: String, _ what: @autoclosure () -> String) {
        guard fd >= 0 else { return }
        let line = Array("berth: [\(stage)] \(what())\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

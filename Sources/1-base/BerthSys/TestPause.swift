#if canImport(Glibc)
import Glibc
#endif

/// A test hook: when the environment variable BERTH_TEST_PAUSE names a point, the thread that
/// reaches it says so on stderr (`berth: test pause at NAME`) and sleeps for a minute, so a
/// test can SIGKILL the process at exactly that point (Docs/agent.md, "State and durability").
/// Without the variable nothing happens.
public enum TestPause {
    public static func at(_ point: String) {
        guard let v = getenv("BERTH_TEST_PAUSE"), String(cString: v) == point else { return }
        let line = Array("berth: test pause at \(point)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        sleep(60)
    }
}

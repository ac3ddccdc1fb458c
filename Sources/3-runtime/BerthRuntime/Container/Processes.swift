import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A process handle that cannot be fooled by pid reuse: a pidfd opened after checking that the
/// pid still has the start time recorded when it was created.
struct ProcessHandle {
    let pid: Int32
    let fd: FileDescriptor

    /// nil if the process is gone or the pid now belongs to another process.
    static func open(_ pid: Int32, startTime: UInt64?) -> ProcessHandle? {
        guard pid > 0 else { return nil }
        let fd = berth_pidfd_open(pid, 0)
        guard fd >= 0 else { return nil }
        // Checked after opening: from here on the pidfd refers to this very process.
        if let startTime, Proc.startTime(pid) != startTime {
            Glibc.close(fd)
            return nil
        }
        return ProcessHandle(pid: pid, fd: FileDescriptor(rawValue: fd))
    }

    func signal(_ sig: Int32) throws(SysError) {
        try Sys.call("pidfd_send_signal", detail: "pid \(pid) signal \(sig)") { berth_pidfd_send_signal(fd.rawValue, sig) }
    }

    /// Wait until the process has exited; false if the deadline passed first.
    func waitExit(deadline: Int64?) -> Bool {
        (try? Poll.readable(fd.rawValue, deadline: deadline)) ?? true
    }

    func close() { fd.close() }
}

extension Proc {
    /// Alive, not a zombie, and the same process (start time) as recorded.
    static func isAlive(_ pid: Int32?, startTime: UInt64?) -> Bool {
        guard let pid, pid > 0 else { return false }
        guard let startTime else { return kill(pid, 0) == 0 && state(pid) != "Z" }
        return isAlive(pid, startTime: startTime)
    }
}

/// Undo steps for a half-done create, run in reverse order on failure.
struct Undo {
    private var steps: [(String, () -> Void)] = []

    mutating func push(_ what: String, _ step: @escaping () -> Void) { steps.append((what, step)) }

    func run() {
        for (what, step) in steps.reversed() {
            Trace.step("cleanup", what)
            step()
        }
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the sync pipe inherited as fd 3 (see `InitConfig`): `pid N`, `ready`, `error msg`.
struct SyncPipe {
    static let inheritedFD: Int32 = 3

    var fd: Int32

    /// The inherited pipe, or nil if fd 3 is not open (init run by hand, for debugging).
    static func inherited() -> SyncPipe? {
        fcntl(inheritedFD, F_GETFD) >= 0 ? SyncPipe(fd: inheritedFD) : nil
    }

    func send(_ line: String) {
        // One write per line: lines are far below PIPE_BUF, so they never interleave.
        _ = try? FileDescriptor(rawValue: fd).writeAll(line + "\n")
    }

    func pid(_ pid: Int32) { send("pid \(pid)") }
    func ready() { send("ready") }
    func error(_ error: any Error) { send("error \(error.initMessage)") }

    func close() { _ = Glibc.close(fd) }
}

/// A one-shot gate between the namespace fork's parent and child: the child waits until the
/// parent has reported `pid N`, so `pid` always precedes the child's own `ready`/`error` lines.
struct ForkGate {
    var readEnd: FileDescriptor
    var writeEnd: FileDescriptor

    static func make() throws(SysError) -> ForkGate {
        let (r, w) = try makePipe()
        return ForkGate(readEnd: r, writeEnd: w)
    }

    /// Parent side: let the child continue.
    func open() {
        readEnd.close()
        writeEnd.close()
    }

    /// Child side: block until the parent opened the gate (or died).
    func wait() {
        writeEnd.close()
        _ = try? readEnd.readAll()
        readEnd.close()
    }
}

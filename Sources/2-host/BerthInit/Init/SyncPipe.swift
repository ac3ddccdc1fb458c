import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the sync pipe inherited as fd 3 (see `InitConfig`): `pid N`, `ready`, `error msg`.
/// In create mode the monitor also hands over the runtime's report pipe (`--report-fd 4`): every
/// line goes there first, so the CLI or agent hears `ready` straight from the container process
/// (no relay through the monitor); the monitor reads the same lines on fd 3.
struct SyncPipe {
    static let inheritedFD: Int32 = 3
    var fd: Int32
    /// The runtime's report pipe (`--report-fd`), when given and open.
    var report: Int32?

    /// The inherited pipe, or nil if fd 3 is not open (init run by hand, for debugging).
    static func inherited(report: Int32? = nil) -> SyncPipe? {
        guard fcntl(inheritedFD, F_GETFD) >= 0 else { return nil }
        let open = report.flatMap { $0 > inheritedFD && fcntl($0, F_GETFD) >= 0 ? $0 : nil }
        return SyncPipe(fd: inheritedFD, report: open)
    }

    /// Both descriptors close-on-exec: the container's program inherits neither.
    func closeOnExec() {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if let report { _ = fcntl(report, F_SETFD, FD_CLOEXEC) }
    }

    func send(_ line: String) {
        // One write per line: lines are far below PIPE_BUF, so they never interleave.
        let bytes = line + "\n"
        if let report { _ = try? FileDescriptor(rawValue: report).writeAll(bytes) }
        _ = try? FileDescriptor(rawValue: fd).writeAll(bytes)
    }

    func pid(_ pid: Int32) { send("pid \(pid)") }
    func ready() { send("ready") }
    func error(_ error: any Error) { send("error \(error.initMessage)") }

    func close() {
        _ = Glibc.close(fd)
        if let report { _ = Glibc.close(report) }
    }
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

/// The read end of init's start pipe (`--start-fd`, create mode), written by the runtime. The
/// monitor may spawn init before the runtime has read config.json (cgroup v1), so init learns
/// from this pipe when it may go on: `config` once init.json is written, then the cgroup files
/// to join (one per line, none when the monitor created init inside its cgroup) and `start`
/// once the cgroups exist. Init waits for `start` before it joins or makes a namespace or forks,
/// so everything the container is made of is in its cgroups. The pipe closed early means the
/// runtime gave up.
final class StartPipe {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    func closeOnExec() { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

    /// Block until the runtime wrote init.json (`config`).
    func awaitConfig() throws(InitError) {
        _ = try lines(until: "config", waitingFor: "init.json")
    }

    /// Block until the cgroups exist (`start`), then join them: "0" written to each file moves
    /// this process (v1 `tasks`: this thread, the only one; the kernel skips its cgroup-wide lock
    /// for that, where moving another process waits for an RCU grace period).
    func awaitStartAndJoin() throws {
        let files = try lines(until: "start", waitingFor: "the container's cgroups")
        _ = Glibc.close(fd)
        for file in files {
            let cgroup = try FileDescriptor.open(file, O_WRONLY)
            defer { cgroup.close() }
            try cgroup.writeAll(Array("0".utf8))
        }
    }

    private func lines(until marker: String, waitingFor what: String) throws(InitError) -> [String] {
        var lines: [String] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                if line == marker { return lines }
                lines.append(line)
            }
            let n = read(fd, &chunk, chunk.count)
            if n > 0 { buffer += chunk[..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            throw InitError("start", "the runtime closed the start pipe before \(what) \(what.hasSuffix("s") ? "were" : "was") made")
        }
    }
}

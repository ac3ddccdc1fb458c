import BerthInit
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The caller's side of an attached exec (`berth task exec -i` / `-t`): its descriptors, the
/// signal self-pipe and the caller's window size.
public struct ExecAttachment {
    /// The caller's stdin (-1: none, the process gets an empty stdin).
    public var input: Int32
    public var output: Int32
    public var errorOutput: Int32
    /// A pseudo-terminal from the container's devpts instead of pipes.
    public var terminal: Bool
    /// Readable when a signal arrived, one byte per signal number (`berth_signal_pipe`); -1: none.
    /// SIGWINCH resizes the terminal, every other signal is forwarded to the process.
    public var signals: Int32
    /// The caller's window size now (nil: unknown, left as is).
    public var windowSize: () -> (rows: UInt16, cols: UInt16)?

    public init(input: Int32, output: Int32, errorOutput: Int32, terminal: Bool, signals: Int32 = -1,
                windowSize: @escaping () -> (rows: UInt16, cols: UInt16)? = { nil }) {
        self.input = input
        self.output = output
        self.errorOutput = errorOutput
        self.terminal = terminal
        self.signals = signals
        self.windowSize = windowSize
    }
}

extension LinuxRuntime {
    /// The container's own process (user, env, cwd, capabilities, rlimits, no_new_privs) from its
    /// init.json: the template an exec starts from, as `docker exec` does.
    public func execTemplate(_ id: String) throws -> Spec.Process {
        let config = try InitConfig.decode(json: try Files.readBytes(dir(id).initConfig))
        guard let process = config.spec.process else { throw RuntimeError.setupFailed(id: id, message: "exec: the container has no process") }
        return process
    }

    /// Run `process` in the container with its stdio streamed to and from the caller's (pipes, or
    /// a pty from the container's devpts); returns the exit code (128+signal when killed).
    public func execAttached(_ id: String, process: Spec.Process, io: ExecAttachment) throws -> Int32 {
        var process = process
        process.terminal = io.terminal ? true : nil
        let session = try ExecSession(runtime: self, id: id, process: process)
        defer { session.remove() }
        return io.terminal ? try attachTerminal(session, io) : try attachPipes(session, io)
    }

    private func attachPipes(_ session: ExecSession, _ io: ExecAttachment) throws -> Int32 {
        let input = try makePipe(), out = try makePipe(), err = try makePipe()
        defer { out.read.close(); err.read.close() }
        var run: ExecRun
        do {
            defer { input.read.close(); out.write.close(); err.write.close() }
            run = try session.spawn(stdio: [input.read.rawValue, out.write.rawValue, err.write.rawValue], newSession: true)
        } catch {
            input.write.close()
            throw error
        }
        _ = fcntl(input.write.rawValue, F_SETFL, O_NONBLOCK)
        var relay = ExecRelay(pumps: [
            ExecRelay.Pump(source: io.input, sink: input.write.rawValue, toContainer: true, closeSinkAtEOF: true),
            ExecRelay.Pump(source: out.read.rawValue, sink: io.output, toContainer: false),
            ExecRelay.Pump(source: err.read.rawValue, sink: io.errorOutput, toContainer: false),
        ], signals: io.signals)
        if io.input < 0 { relay.closeInput(0) }
        let initPid = run.initPid
        try relay.run(&run) { sig in
            if sig != SIGWINCH { _ = Glibc.kill(initPid, sig) }
        }
        relay.closeSinks()
        return try run.finish()
    }

    private func attachTerminal(_ session: ExecSession, _ io: ExecAttachment) throws -> Int32 {
        var pair: [Int32] = [-1, -1]
        _ = try Sys.call("socketpair") { berth_socketpair_cloexec(&pair) }
        let null = try FileDescriptor.open("/dev/null", O_RDWR)
        var run: ExecRun
        do {
            defer { null.close(); _ = Glibc.close(pair[1]) }
            run = try session.spawn(stdio: [null.rawValue, null.rawValue, null.rawValue], extra: [pair[1]], newSession: true)
        } catch {
            _ = Glibc.close(pair[0])
            throw error
        }
        let master = berth_recv_fd(pair[0])
        _ = Glibc.close(pair[0])
        guard master >= 0 else {
            // Init failed before it could send the terminal: its error is on the sync pipe.
            let code = try run.finish()
            throw RuntimeError.setupFailed(id: session.id, message: "exec: no terminal from berth-init (exit \(code))")
        }
        defer { _ = Glibc.close(master) }
        if let size = io.windowSize() { _ = berth_set_winsize(master, size.rows, size.cols) }
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        var relay = ExecRelay(pumps: [
            ExecRelay.Pump(source: io.input, sink: master, toContainer: true),
            ExecRelay.Pump(source: master, sink: io.output, toContainer: false),
        ], signals: io.signals)
        if io.input < 0 { relay.closeInput(0) }
        let initPid = run.initPid
        try relay.run(&run) { sig in
            if sig == SIGWINCH {
                if let size = io.windowSize() { _ = berth_set_winsize(master, size.rows, size.cols) }
            } else {
                _ = Glibc.kill(initPid, sig)
            }
        }
        return try run.finish()
    }
}

/// Copies bytes between the caller and an exec'd process until init exits. Writes into the
/// container (stdin pipe, pty master) are non-blocking with a pending buffer, so a process that
/// does not read its input never stalls its output.
struct ExecRelay {
    struct Pump {
        var source: Int32
        var sink: Int32
        /// Caller → container (stops when the process exits) or container → caller (drained then).
        let toContainer: Bool
        /// Close the sink at the source's end of file (stdin EOF closes the process's stdin).
        var closeSinkAtEOF = false
        var pending: [UInt8] = []
    }

    var pumps: [Pump]
    let signals: Int32

    mutating func closeInput(_ i: Int) { endOfSource(i) }

    /// Close the sinks this relay owns (the process's stdin pipe) that are still open.
    mutating func closeSinks() {
        for i in pumps.indices where pumps[i].closeSinkAtEOF { closeSink(i) }
    }

    mutating func run(_ run: inout ExecRun, onSignal: (Int32) -> Void) throws {
        while !run.exited {
            var fds = [pollfd(fd: run.pidfd, events: Int16(POLLIN), revents: 0)]
            var owners: [(pump: Int, write: Bool)] = [(-1, false)]
            if run.sync >= 0 { fds.append(pollfd(fd: run.sync, events: Int16(POLLIN), revents: 0)); owners.append((-2, false)) }
            if signals >= 0 { fds.append(pollfd(fd: signals, events: Int16(POLLIN), revents: 0)); owners.append((-3, false)) }
            for (i, p) in pumps.enumerated() {
                if p.source >= 0 && p.pending.isEmpty { fds.append(pollfd(fd: p.source, events: Int16(POLLIN), revents: 0)); owners.append((i, false)) }
                if !p.pending.isEmpty && p.sink >= 0 { fds.append(pollfd(fd: p.sink, events: Int16(POLLOUT), revents: 0)); owners.append((i, true)) }
            }
            _ = try Poll.ready(&fds, timeout: -1)
            for (k, p) in fds.enumerated() where p.revents != 0 {
                switch owners[k].pump {
                case -1: run.exited = true
                case -2: try run.readSync()
                case -3: readSignals(onSignal)
                default:
                    if owners[k].write { flush(owners[k].pump) } else { pull(owners[k].pump) }
                }
            }
        }
        // The process is gone: hand over what it wrote, without waiting for grandchildren that
        // may still hold the other ends.
        for i in pumps.indices where !pumps[i].toContainer {
            while pumps[i].source >= 0, (try? Poll.readable(pumps[i].source, deadline: Clock.now())) == true {
                pull(i)
            }
            flush(i)
        }
    }

    private mutating func pull(_ i: Int) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        let (n, e) = Sys.attempt { buffer.withUnsafeMutableBytes { Glibc.read(pumps[i].source, $0.baseAddress, $0.count) } }
        if n > 0 {
            pumps[i].pending += buffer[..<n]
            flush(i)
        } else if n == 0 || (e != EAGAIN && e != EWOULDBLOCK) {
            endOfSource(i)  // EOF, or EIO: the pty's last slave is closed
        }
    }

    private mutating func flush(_ i: Int) {
        while !pumps[i].pending.isEmpty, pumps[i].sink >= 0 {
            let (n, e) = Sys.attempt { pumps[i].pending.withUnsafeBytes { Glibc.write(pumps[i].sink, $0.baseAddress, $0.count) } }
            if n > 0 {
                pumps[i].pending.removeFirst(n)
            } else if e == EAGAIN || e == EWOULDBLOCK {
                return
            } else {
                // The reader is gone (EPIPE, EIO): drop the rest and stop copying this way.
                pumps[i].pending = []
                pumps[i].source = -1
                return
            }
        }
        if pumps[i].source < 0 && pumps[i].pending.isEmpty && pumps[i].closeSinkAtEOF { closeSink(i) }
    }

    private mutating func endOfSource(_ i: Int) {
        pumps[i].source = -1
        if pumps[i].pending.isEmpty && pumps[i].closeSinkAtEOF { closeSink(i) }
    }

    private mutating func closeSink(_ i: Int) {
        if pumps[i].sink >= 0 { _ = Glibc.close(pumps[i].sink) }
        pumps[i].sink = -1
        pumps[i].closeSinkAtEOF = false
    }

    private func readSignals(_ onSignal: (Int32) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(signals, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            for b in buffer[..<n] { onSignal(Int32(b)) }
        }
    }
}

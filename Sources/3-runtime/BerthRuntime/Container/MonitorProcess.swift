import BerthCgroups
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The runtime's side of `berth-monitor`: its configuration, spawning it detached, and the
/// report it relays from `berth-init` (`pid N`, then `ready` or `error <message>`).
enum MonitorProcess {
    /// The monitor reads its configuration from this descriptor, a pipe, until EOF (after the
    /// report pipe, fd 3): no file in the state directory to create, read and unlink.
    static let configDescriptor: Int32 = 4
    /// The monitor's descriptor of the sealed `berth-init` copy (after the configuration).
    static let initDescriptor: Int32 = 5
    /// What a pipe holds without a reader (Linux's default pipe capacity): the whole
    /// configuration is written before the monitor is spawned.
    static let configLimit = 65536

    /// The first part of the monitor's configuration (see Sources/7-bin/berth-monitor/Config.swift
    /// for the reader), known before the container's spec is read. With `initView` (an empty
    /// directory) the monitor opens init's sealed view itself (`init-view=`), else it runs the
    /// descriptor it inherits as fd 5 (`init-fd=`). `spawnsEarly` (cgroup v1): the monitor spawns
    /// init at once (`spawn`), and init joins the cgroups itself when `start` says they exist.
    static func configuration(initPath: String, stdio: StdioMode, initView: String? = nil, startFd: Int32,
                              spawnsEarly: Bool) -> String {
        var lines = ["init=\(initPath)", initView.map { "init-view=\($0)" } ?? "init-fd=\(initDescriptor)", "start-fd=\(startFd)"]
        switch stdio {
        case .inherit: lines.append("stdio=inherit")
        case .null: lines.append("stdio=null")
        case .logFiles(let stdout, let stderr, let maxBytes, let maxFiles):
            lines += ["stdio=logs", "stdout=\(stdout)", "stderr=\(stderr)", "max-bytes=\(maxBytes)", "max-files=\(maxFiles)"]
        }
        if spawnsEarly { lines.append("spawn") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rest, once the container's cgroups exist: where the OOM counter is and (v2) the cgroup
    /// init is created in, then `start`.
    static func startConfiguration(oomFile: String?, placement: CgroupPlacement) -> String {
        var lines: [String] = []
        if let oomFile { lines.append("oom-file=\(oomFile)") }
        if let dir = placement.cloneInto { lines.append("cgroup-dir=\(dir)") }
        lines += placement.joinFiles.map { "cgroup-join=\($0)" }
        lines.append("start")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Start `berth-monitor <dir>` in its own session, re-parented away from the caller, with the
    /// write end of a report pipe as its fd 3, the read end of a configuration pipe as fd 4, the
    /// sealed `berth-init` as fd 5 (none when the monitor opens it itself: `initFd` nil) and the
    /// read end of init's start pipe after it (named by the configuration's `start-fd=`).
    /// The first part of the configuration is in the pipe before the monitor runs. Returns the
    /// monitor's pid, the read end of the report pipe, the configuration pipe's write end and the
    /// start pipe's write end.
    static func spawn(monitor: String, stateDir: String, stdio: StdioMode, initFd: Int32?, initView: String?,
                      initPath: String, spawnsEarly: Bool)
        throws -> (pid: Int32, report: FileDescriptor, config: ConfigPipe, start: FileDescriptor) {
        let configPipe = try makePipe()
        defer { configPipe.read.close() }
        let config = ConfigPipe(configPipe.write)
        let startPipe: (read: FileDescriptor, write: FileDescriptor)
        do { startPipe = try makePipe() } catch {
            config.abandon()
            throw error
        }
        defer { startPipe.read.close() }
        do {
            let startFd: Int32 = initFd == nil ? 5 : 6
            try config.send(configuration(initPath: initPath, stdio: stdio, initView: initView, startFd: startFd, spawnsEarly: spawnsEarly))
            let (pid, report) = try spawn(monitor: monitor, stateDir: stateDir, stdio: stdio, configFd: configPipe.read, initFd: initFd,
                                          startFd: startPipe.read)
            return (pid, report, config, startPipe.write)
        } catch {
            config.abandon()
            startPipe.write.close()
            throw error
        }
    }

    /// The write end of the monitor's configuration pipe: the configuration, then `start`.
    final class ConfigPipe {
        private var fd: FileDescriptor?

        init(_ fd: FileDescriptor) { self.fd = fd }

        /// Write (part of) the configuration. It must fit in the pipe: the monitor may not be
        /// running yet.
        func send(_ configuration: String) throws {
            guard let fd else { return }
            let bytes = Array(configuration.utf8)
            guard bytes.count < MonitorProcess.configLimit else {
                throw RuntimeError.sys(SysError("the monitor's configuration (paths of logs and cgroups) is \(bytes.count) bytes, more than the \(MonitorProcess.configLimit) a pipe holds:",
                                                errno: E2BIG, detail: "berth-monitor"))
            }
            do { try fd.writeAll(bytes) } catch { throw RuntimeError.sys(error) }
        }

        /// The last part (ending in `start`); closes the pipe.
        func finish(_ configuration: String) throws {
            defer { abandon() }
            try send(configuration)
        }

        /// Close without `start`: the monitor kills init, reports an error and exits.
        func abandon() {
            fd?.close()
            fd = nil
        }

        deinit { abandon() }
    }

    private static func spawn(monitor: String, stateDir: String, stdio: StdioMode, configFd: FileDescriptor,
                              initFd: Int32?, startFd: FileDescriptor) throws -> (pid: Int32, report: FileDescriptor) {
        let pipe = try makePipe()
        defer { pipe.write.close() }
        var null: FileDescriptor?
        if stdio != .inherit { null = try? FileDescriptor.open("/dev/null", O_RDWR) }
        defer { null?.close() }
        let nullFd = null?.rawValue ?? -1
        let pid = try withCStrings([monitor, stateDir]) { argv in
            var keep: [Int32] = [pipe.write.rawValue, configFd.rawValue] + (initFd.map { [$0] } ?? []) + [startFd.rawValue]
            var attr = berth_spawn_attr()
            attr.argv = argv
            attr.stdin_fd = nullFd
            attr.stdout_fd = nullFd
            attr.stderr_fd = nullFd
            attr.keep_count = Int32(keep.count)
            attr.setsid = 1
            return try monitor.withCString { path in
                attr.path = path
                return try keep.withUnsafeMutableBufferPointer { k in
                    attr.keep_fds = UnsafePointer(k.baseAddress)
                    return try Sys.call("spawn", detail: monitor) { berth_spawn_detached(&attr) }
                }
            }
        }
        return (pid, pipe.read)
    }

    /// Read the report until `ready`; returns the container pid. `error` lines and an early end
    /// of the report become `setupFailed` with init's message.
    /// `hooks` (init waits before pivot_root, LinuxRuntime+Hooks) calls `onHooks` with the pid.
    static func awaitReady(_ report: FileDescriptor, id: String, timeout: Double,
                           onHooks: ((Int32) throws -> Void)? = nil) throws -> Int32 {
        var reader = LineReader(fd: report)
        let deadline = Clock.deadline(after: timeout)
        var pid: Int32 = 0
        while let line = try reader.next(deadline: deadline) {
            if line.hasPrefix("pid "), let n = Int32(line.dropFirst(4)) {
                pid = n
                Trace.step("runtime", "container pid \(n)")
            } else if line == "ready" {
                guard pid > 0 else { throw RuntimeError.setupFailed(id: id, message: "init reported ready without a pid") }
                return pid
            } else if line == "hooks", let onHooks {
                try onHooks(pid)
            } else if line.hasPrefix("error") {
                let message = line.dropFirst(5).trimmingCharacters(in: " ")
                throw RuntimeError.setupFailed(id: id, message: message.isEmpty ? "unknown error" : message)
            }
        }
        throw RuntimeError.setupFailed(id: id, message: "the monitor exited before the container was ready")
    }
}

/// Reads `\n`-terminated lines from a descriptor with a deadline.
struct LineReader {
    let fd: FileDescriptor
    var buffer: [UInt8] = []
    var eof = false

    init(fd: FileDescriptor) { self.fd = fd }

    /// The next line, or nil at end of file. Throws `.timeout` when the deadline passes.
    mutating func next(deadline: Int64?) throws -> String? {
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            if eof {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            guard try Poll.readable(fd.rawValue, deadline: deadline) else {
                throw RuntimeError.timeout("waiting for the container to be set up")
            }
            let chunk = try fd.read(max: 4096)
            if chunk.isEmpty { eof = true } else { buffer += chunk }
        }
    }
}

enum Clock {
    static func now() -> Int64 { berth_monotonic_ns() }
    /// A monotonic deadline `seconds` from now; nil for no deadline.
    static func deadline(after seconds: Double?) -> Int64? {
        seconds.map { now() + Int64($0 * 1e9) }
    }
    /// Milliseconds left until `deadline` for poll(2): -1 for none, at least 0.
    static func pollTimeout(_ deadline: Int64?) -> Int32 {
        guard let deadline else { return -1 }
        let left = (deadline - now()) / 1_000_000
        return Int32(max(0, min(left + 1, Int64(Int32.max))))
    }
}

enum Poll {
    /// Wait until `fd` is readable (or hung up); false if the deadline passed first.
    static func readable(_ fd: Int32, deadline: Int64?) throws(SysError) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return try Sys.call("poll") { poll(&p, 1, Clock.pollTimeout(deadline)) } > 0
    }

    /// poll(2) over `fds`, `timeout` recomputed after EINTR; the ready count, 0 on timeout.
    static func ready(_ fds: inout [pollfd], timeout: @autoclosure () -> Int32) throws(RuntimeError) -> Int32 {
        do { return try Sys.call("poll") { poll(&fds, nfds_t(fds.count), timeout()) } } catch { throw .sys(error) }
    }
}

/// Run `body` with a NULL-terminated C argv.
func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> T) rethrows -> T {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for p in pointers { free(p) } }
    return try pointers.withUnsafeBufferPointer { buffer in try body(buffer.baseAddress!) }
}

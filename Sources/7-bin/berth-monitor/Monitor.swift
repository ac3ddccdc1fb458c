import CBerth

/// The per-container monitor. One process per container, started by the runtime with setsid and
/// the runtime's report pipe as fd 3, its configuration in a pipe as fd 4 (Config.swift) and the
/// read end of init's start pipe (`start-fd=`), all before the runtime has read the container's
/// config.json, so this process's exec and start (and init's) overlap that work:
///  1. read the configuration up to its `spawn` or `start` line, become a child subreaper;
///  2. fork+exec `berth-init <state-dir> --report-fd 4 --start-fd 5` with fd 3 = a sync pipe,
///     fd 4 = the runtime's report pipe (init writes its `pid N` / `hooks` / `ready` / `error msg`
///     lines to both, so the runtime hears `ready` without waiting for this process to be
///     scheduled), fd 5 = the start pipe, and log pipes in logs mode. At `spawn` (cgroup v1) this
///     happens at once, outside the container's cgroups: the runtime tells init through the start
///     pipe when init.json is written and, once the cgroups exist, which files to join (init
///     writes "0" to each v1 `tasks` file: moving itself needs no cgroup-wide lock, where writing
///     another process's pid waits for an RCU grace period, milliseconds on a busy host). At
///     `start` (v2: `cgroup-dir`) init is created inside the cgroup by clone3, no move at all;
///  3. at the configuration's `start` line read the cgroup's OOM counter; a configuration closed
///     before it kills init (the runtime gave up or died);
///  4. read init's lines from the sync pipe; close fd 3 at `ready` or `error`, or report the
///     monitor's own failures there (init gone without a word, spawn failed);
///  5. poll a SIGCHLD signalfd, the sync pipe and the log pipes; reap every child (the init
///     intermediate exits, the container's PID 1 is re-parented to us);
///  6. when PID 1 exits: drain the logs (bounded), write exit.json atomically, exit.
/// Single-threaded; SIGHUP/SIGINT/SIGTERM/SIGPIPE are ignored so a Ctrl-C aimed at the CLI cannot
/// lose the exit status.
struct Monitor {
    let stateDir: String
    var config: MonitorConfig
    /// The overlay mount of init's sealed view (init-view); closed once init is spawned (or on an
    /// earlier failure), since closing it waits for an RCU grace period.
    var viewMount: Int32 = -1
    var report: Int32 = 3
    var sync: Int32 = -1
    /// The configuration pipe, read again for its `start` line once init is spawned.
    var configReader = ConfigReader(fd: 4)
    /// The configuration's first part ended with `spawn`: init runs before the cgroups exist.
    var spawnsEarly = false
    var signals: Int32 = -1
    var initPid: Int32 = 0
    var initStatus: Int32?
    var containerPid: Int32 = 0
    var containerStatus: Int32?
    var containerKilled = false
    /// Children reaped before init told us the container's pid.
    var early: [ReapedChild] = []
    var syncLine: [UInt8] = []
    var ready = false
    var failed = false
    var failedAt: Int64 = 0
    var startedAt: Int64 = 0
    var finishedAt: Int64 = 0
    var oomAtStart: Int64 = 0
    var streams: [OutputStream] = []
    var logs: [LogFile] = []

    static let drainNanos: Int64 = 2_000_000_000
    static let failureGraceNanos: Int64 = 5_000_000_000

    static func main() -> Int32 {
        var argc: Int32 = 0
        guard let argv = berth_argv(&argc), argc >= 2, let arg = argv[1] else {
            IO.stderr("usage: berth-monitor <state-dir> (fd 3: report pipe, fd 4: configuration)")
            return 2
        }
        for sig in [SIGHUP, SIGINT, SIGTERM, SIGPIPE] { _ = berth_ignore_signal(sig) }
        // Nobody outside root with CAP_SYS_PTRACE reads this process's memory, fds or exe through /proc.
        _ = berth_set_dumpable(0)
        let stateDir = String(cString: arg)
        var reader = ConfigReader(fd: 4)
        let (loaded, why, spawnsEarly) = MonitorConfig.load(&reader)
        guard let config = loaded else {
            IO.writeAll(3, "error monitor: \(why)\n")
            return 1
        }
        var monitor = Monitor(stateDir: stateDir, config: config)
        monitor.configReader = reader
        monitor.spawnsEarly = spawnsEarly
        if config.initFd < 3 {
            // init-view: the sealed view made here, its mount descriptor closed once init is ready.
            var mountFd: Int32 = -1
            let fd = berth_sealed_view(config.initPath, config.initView, &mountFd)
            if fd < 0 { return monitor.fail("open \(config.initPath) through a read-only overlay or a sealed copy") }
            monitor.config.initFd = fd
            monitor.viewMount = mountFd
        }
        // Held only until init is spawned; no child inherits them but init (its start pipe).
        _ = berth_set_cloexec(monitor.config.initFd)
        if monitor.config.startFd >= 3 { _ = berth_set_cloexec(monitor.config.startFd) }
        return monitor.run()
    }

    init(stateDir: String, config: MonitorConfig) {
        self.stateDir = stateDir
        self.config = config
    }

    mutating func run() -> Int32 {
        if berth_set_child_subreaper() != 0 { return fail("prctl(PR_SET_CHILD_SUBREAPER)") }
        var chld: [Int32] = [BERTH_SIGCHLD]
        signals = berth_signalfd(&chld, 1)
        if signals < 0 { return fail("signalfd") }
        if spawnsEarly {
            if !spawnInit() { return 1 }
            awaitStart()
        } else {
            // `start` came first: the cgroups exist (v2: init is created inside).
            configReader.close()
            oomAtStart = OOMCounter.read(config.oomFile)
            if !spawnInit() { return 1 }
        }
        loop()
        return finish()
    }

    /// Report a setup failure of the monitor itself to the runtime.
    mutating func fail(_ stage: String, errno e: Int32 = berth_errno()) -> Int32 {
        let message = e == 0 ? "error monitor: \(stage)" : "error monitor: \(stage): \(String(cString: strerror(e))) (errno \(e))"
        relay(Array(message.utf8))
        closeReport()
        return 1
    }

    // MARK: spawning init

    /// `spawnsEarly`: before the cgroups exist (init joins them itself); else inside them.
    mutating func spawnInit() -> Bool {
        var syncFds: [Int32] = [-1, -1]
        if berth_pipe2(&syncFds, O_CLOEXEC) != 0 { _ = fail("pipe2"); return false }
        sync = syncFds[0]
        var childFds: [Int32] = [syncFds[1]]
        if config.startFd >= 3 { childFds.append(config.startFd) }
        var stdio: [Int32] = [-1, -1, -1]
        switch config.stdio {
        case .inherit:
            break
        case .null:
            let null = IO.open("/dev/null", O_RDWR)
            stdio = [null, null, null]
            childFds.append(null)
        case .logs:
            let null = IO.open("/dev/null", O_RDWR)
            childFds.append(null)
            guard let out = makeStream("stdout", path: config.stdoutPath),
                  let err = makeStream("stderr", path: config.stderrPath) else { _ = fail("pipe2"); return false }
            stdio = [null, out, err]
            childFds.append(out)
            childFds.append(err)
        }
        // fd 3 the sync pipe, fd 4 the runtime's report pipe (when still open: `--report-fd 4`,
        // init writes its lines there too), then the start pipe.
        var keep: [Int32] = [syncFds[1]]
        var args = [config.initPath, stateDir]
        if report >= 0 {
            keep.append(report)
            args += ["--report-fd", "\(keep.count + 2)"]
        }
        if config.startFd >= 3 {
            keep.append(config.startFd)
            args += ["--start-fd", "\(keep.count + 2)"]
        }
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        // Early: not in the container's cgroups (they may not exist yet); init joins them itself
        // when the runtime says so. Else init starts inside the container's cgroup (v2 clone3),
        // or its child joins it before execve.
        let join: [UnsafePointer<CChar>?] = spawnsEarly ? [nil] : config.cgroupJoin.map { UnsafePointer(strdup($0)) } + [nil]
        let cgroupDir: UnsafeMutablePointer<CChar>? = spawnsEarly || config.cgroupDir.isEmpty ? nil : strdup(config.cgroupDir)
        var attr = berth_spawn_attr()
        attr.cgroup_dir = UnsafePointer(cgroupDir)
        attr.cgroup_join_count = Int32(join.count - 1)
        attr.path = UnsafePointer(argv[0])
        attr.stdin_fd = stdio[0]
        attr.stdout_fd = stdio[1]
        attr.stderr_fd = stdio[2]
        attr.keep_count = Int32(keep.count)
        attr.use_exec_fd = 1
        attr.exec_fd = config.initFd
        initPid = argv.withUnsafeBufferPointer { a in
            keep.withUnsafeBufferPointer { k in
                join.withUnsafeBufferPointer { j in
                    attr.argv = a.baseAddress
                    attr.keep_fds = k.baseAddress
                    attr.cgroup_join = j.baseAddress
                    return berth_spawn(&attr)
                }
            }
        }
        for p in argv { free(p) }
        for p in join { free(UnsafeMutablePointer(mutating: p)) }
        free(cgroupDir)
        for fd in childFds where fd >= 0 { close(fd) }
        close(config.initFd)
        // The grace period this close waits for overlaps init's setup (the report is relayed after).
        if viewMount >= 0 {
            close(viewMount)
            viewMount = -1
        }
        if initPid <= 0 { _ = fail("start \(config.initPath)"); return false }
        return true
    }

    /// Early: wait for the configuration's `start` line (the container's cgroups exist; the
    /// runtime tells init itself) and read the OOM counter. A configuration closed first (the
    /// runtime gave up or died) kills init, which may be waiting on its start pipe.
    mutating func awaitStart() {
        let placement = configReader.lines(until: "start")
        configReader.close()
        guard let lines = placement else {
            abandonInit("error monitor: the runtime closed the configuration before the container's cgroups were made")
            return
        }
        if let why = config.apply(lines) {
            abandonInit("error monitor: \(why)")
            return
        }
        oomAtStart = OOMCounter.read(config.oomFile)
    }

    /// Make sure init is gone and report `message`; the event loop reaps it.
    mutating func abandonInit(_ message: String) {
        _ = kill(initPid, SIGKILL)
        markFailed(Array(message.utf8))
    }

    /// A log pipe: we keep the read end, the returned write end goes to init.
    mutating func makeStream(_ name: String, path: String) -> Int32? {
        var fds: [Int32] = [-1, -1]
        if berth_pipe2(&fds, O_CLOEXEC) != 0 { return nil }
        var logIndex = logs.count
        if let existing = logs.firstIndex(where: { $0.path.utf8.elementsEqual(path.utf8) }) {
            logIndex = existing
        } else {
            logs.append(LogFile(path: path, maxBytes: config.maxBytes, maxFiles: config.maxFiles))
        }
        streams.append(OutputStream(fd: fds[0], log: logIndex, lines: LineSplitter(stream: name)))
        return fds[1]
    }

    // MARK: event loop

    mutating func loop() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var drainUntil: Int64 = 0
        while true {
            var timeout: Int32 = -1
            if containerStatus != nil {
                let now = berth_monotonic_ns()
                if drainUntil == 0 { drainUntil = now + Monitor.drainNanos }
                if !streams.contains(where: { $0.fd >= 0 }) || now >= drainUntil { return }
                timeout = Int32((drainUntil - now) / 1_000_000) + 1
            } else if failed {
                if failureSettled() { return }
                timeout = 100
            }
            var fds: [pollfd] = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            if sync >= 0 { fds.append(pollfd(fd: sync, events: Int16(POLLIN), revents: 0)) }
            for s in streams where s.fd >= 0 { fds.append(pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)) }
            let n = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if n < 0 {
                if berth_errno() == EINTR { continue }
                IO.stderr("poll: errno \(berth_errno())")
                return
            }
            for p in fds where p.revents != 0 {
                if p.fd == signals {
                    reap(&buffer)
                } else if p.fd == sync {
                    readSync(&buffer)
                } else if let i = streams.firstIndex(where: { $0.fd == p.fd }) {
                    copyOutput(i, &buffer)
                }
            }
        }
    }

    /// After a failed setup: done once init is gone and the container process (if any) is gone too.
    mutating func failureSettled() -> Bool {
        if containerPid > 0 && containerStatus == nil && !containerKilled {
            _ = kill(containerPid, SIGKILL)
            containerKilled = true
        }
        let containerGone = containerPid == 0 || containerStatus != nil || kill(containerPid, 0) != 0
        if initStatus != nil && containerGone { return true }
        return berth_monotonic_ns() - failedAt > Monitor.failureGraceNanos
    }

    // MARK: init's sync lines

    mutating func readSync(_ buffer: inout [UInt8]) {
        let n = IO.read(sync, into: &buffer)
        if n <= 0 {
            close(sync)
            sync = -1
            if !ready && !failed {
                var message = "error berth-init exited before the container was ready"
                if let st = initStatus { message += " (exit status \(ExitRecord(status: st, oomKilled: false, startedAtNanos: 0, finishedAtNanos: 0).exitCode))" }
                markFailed(Array(message.utf8))
            }
            return
        }
        for b in buffer[0..<n] {
            if b == UInt8(ascii: "\n") {
                handleSyncLine(syncLine)
                syncLine.removeAll(keepingCapacity: true)
            } else if syncLine.count < 64 * 1024 {
                syncLine.append(b)
            }
        }
    }

    /// init wrote the same line to the runtime's report pipe itself (fd 4): nothing is relayed.
    mutating func handleSyncLine(_ line: [UInt8]) {
        if line.starts(with: Array("pid ".utf8)) {
            if let pid = Bytes.parseInt(line.dropFirst(4)), pid > 0 { learnContainerPid(Int32(pid)) }
        } else if line == Array("ready".utf8) {
            ready = true
            startedAt = Clock.now()
            recordContainerPid()
            closeReport()
        } else if line.starts(with: Array("error".utf8)) {
            markFailed(nil)
        }
    }

    /// `container.pid`, so the runtime knows the pid even if the process that created the
    /// container died before writing state.json.
    func recordContainerPid() {
        guard containerPid > 0 else { return }
        let path = stateDir + "/container.pid"
        let fd = IO.open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        let ok = IO.writeAll(fd, "\(containerPid)\n")
        close(fd)
        if ok { rename(path + ".tmp", path) }
    }

    /// `line`: the monitor's own error for the runtime (nil when init reported it itself).
    mutating func markFailed(_ line: [UInt8]?) {
        if let line { relay(line) }
        closeReport()
        if !failed {
            failed = true
            failedAt = berth_monotonic_ns()
        }
    }

    mutating func relay(_ line: [UInt8]) {
        guard report >= 0 else { return }
        IO.writeAll(report, line + [UInt8(ascii: "\n")])
    }

    mutating func closeReport() {
        if report >= 0 {
            close(report)
            report = -1
        }
        if viewMount >= 0 {
            close(viewMount)
            viewMount = -1
        }
    }

    mutating func learnContainerPid(_ pid: Int32) {
        containerPid = pid
        if let i = early.firstIndex(where: { $0.pid == pid }) {
            containerStatus = early[i].status
            finishedAt = early[i].at
            early.remove(at: i)
        }
    }

    // MARK: reaping

    mutating func reap(_ buffer: inout [UInt8]) {
        _ = IO.read(signals, into: &buffer)  // drain queued SIGCHLD records; waitpid below does the work
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid < 0 && berth_errno() == EINTR { continue }
            if pid <= 0 { return }
            let now = Clock.now()
            if pid == containerPid {
                containerStatus = status
                finishedAt = now
            } else if pid == initPid {
                initStatus = status
            }
            if containerPid == 0 && pid != initPid {
                if early.count >= 64 { early.removeFirst() }
                early.append(ReapedChild(pid: pid, status: status, at: now))
            }
        }
    }

    // MARK: logs

    mutating func copyOutput(_ i: Int, _ buffer: inout [UInt8]) {
        let n = IO.read(streams[i].fd, into: &buffer)
        let logIndex = streams[i].log
        if n <= 0 {
            close(streams[i].fd)
            streams[i].fd = -1
            streams[i].lines.flush { logs[logIndex].append($0) }
            return
        }
        streams[i].lines.feed(buffer[0..<n]) { logs[logIndex].append($0) }
    }

    // MARK: exit

    mutating func finish() -> Int32 {
        for i in streams.indices {
            let logIndex = streams[i].log
            streams[i].lines.flush { logs[logIndex].append($0) }
            if streams[i].fd >= 0 { close(streams[i].fd) }
        }
        for i in logs.indices { logs[i].closeFile() }
        guard ready, !failed, let status = containerStatus else { return 1 }
        var record = ExitRecord(status: status, oomKilled: false, startedAtNanos: startedAt, finishedAtNanos: finishedAt)
        record.oomKilled = record.signal == SIGKILL && OOMCounter.read(config.oomFile) > oomAtStart
        if !record.write(stateDir: stateDir) {
            IO.stderr("cannot write \(stateDir)/exit.json: errno \(berth_errno())")
            return 1
        }
        return 0
    }
}

struct ReapedChild {
    var pid: Int32
    var status: Int32
    var at: Int64
}

/// One of the container's output pipes and the log file its records go to.
struct OutputStream {
    var fd: Int32
    var log: Int
    var lines: LineSplitter
}

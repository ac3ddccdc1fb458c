import BerthInit
import BerthCgroups
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The real `ContainerRuntime`: state under `root`, one `berth-monitor` per container as its
/// parent, `berth-init` for setup, cgroups through a `CgroupDriver`.
public struct LinuxRuntime: ContainerRuntime {
    public static let defaultRoot = "/run/berth"

    public let root: String
    public let cgroups: any CgroupDriver
    /// The `berth` binary; its directory holds the helper executables by default.
    public let berthPath: String
    public let monitorPath: String
    /// The container setup executable (`berth-init <state-dir>`), run by the monitor for create
    /// and spawned directly for exec.
    public let initPath: String
    /// How long create waits for init's `ready`.
    public var setupTimeout: Double = 120

    public init(root: String = LinuxRuntime.defaultRoot, cgroups: any CgroupDriver, berthPath: String? = nil,
                monitorPath: String? = nil, initPath: String? = nil) {
        self.root = root
        self.cgroups = cgroups
        let exe = berthPath ?? LinuxRuntime.currentExecutable()
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        self.berthPath = exe
        self.monitorPath = monitorPath ?? dir + "/berth-monitor"
        self.initPath = initPath ?? dir + "/berth-init"
    }

    /// The sealed in-memory copy of `berth-init` that create and exec run (`SealedExecutable`).
    /// Fails with the path when `berth-init` is missing or not executable, before anything is made.
    func initExecutable() throws -> Int32 {
        let (_, e) = Sys.attempt { access(initPath, X_OK) }
        if e != 0 { throw RuntimeError.sys(SysError("berth-init", errno: e, detail: initPath)) }
        do { return try SealedExecutable.descriptor(initPath, emptyLower: emptyDirectory()) } catch { throw RuntimeError.sys(error) }
    }

    /// `<root>/.empty`, an empty directory (0555) that is the sealed view's second overlay layer;
    /// nil (the view falls back to a detached tmpfs) when it cannot be made.
    func emptyDirectory() -> String? {
        let path = root + "/.empty"
        if Files.isDirectory(path) { return path }
        guard (try? Files.makeDirectories(root, mode: 0o711)) != nil else { return nil }
        let (_, e) = Sys.attempt { mkdir(path, 0o555) }
        return e == 0 || e == EEXIST ? path : nil
    }

    /// The running executable (`/proc/self/exe` resolved).
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
    }

    func dir(_ id: String) -> ContainerDir { ContainerDir(root: root, id: id) }

    // MARK: create

    public func create(_ request: CreateRequest) throws -> ContainerState {
        try create(request, pending: nil)
    }

    /// Start the monitor of container `id` before its spec is read (see `PendingStart`); pass it
    /// to `create(_:pending:)`, or `cancel` it.
    public func prepareStart(id: String, stdio: StdioMode) throws -> PendingStart {
        try ContainerID.validate(id)
        let initView = try initSource()
        let initFd = initView == nil ? try initExecutable() : nil
        defer { if let initFd { close(initFd) } }
        let spawnsEarly = cgroups.mode != .v2
        let createdAt = berth_realtime_ns()
        let monitor = try MonitorProcess.spawn(monitor: monitorPath, stateDir: dir(id).path, stdio: stdio, initFd: initFd,
                                               initView: initView, initPath: initPath, spawnsEarly: spawnsEarly)
        Trace.step("runtime", "monitor pid \(monitor.pid): \(monitorPath) \(dir(id).path)"
                   + (spawnsEarly ? " (spawns init at once; init joins the cgroups itself)" : " (creates init inside the cgroup once it exists)"))
        return PendingStart(id: id, stdio: stdio, spawnsEarly: spawnsEarly, createdAt: createdAt, monitor: monitor)
    }

    /// `create` with a monitor started earlier by `prepareStart(id:stdio:)` (the same id and
    /// stdio); nil starts one here. On failure the pending start is cancelled.
    public func create(_ request: CreateRequest, pending: PendingStart?) throws -> ContainerState {
        do {
            return try createChecked(request, pending: pending)
        } catch {
            pending?.cancel()
            throw error
        }
    }

    private func createChecked(_ request: CreateRequest, pending: PendingStart?) throws -> ContainerState {
        try ContainerID.validate(request.id)
        if let pending, pending.id != request.id || pending.stdio != request.stdio {
            throw RuntimeError.invalidState(id: request.id, status: .creating, action: "create with a monitor prepared for \(pending.id)")
        }
        let plan = try SpecValidator.validate(request.spec, bundle: request.bundle, id: request.id)
        // `run` with startContainer or poststart hooks: create, then start (LinuxRuntime+Hooks).
        if request.startAtOnce, plan.spec.hooks?.needStart == true {
            var created = request
            created.startAtOnce = false
            var state = try create(created, pending: pending)
            do { try start(request.id) } catch {
                try? delete(request.id, force: true)
                throw error
            }
            state.status = .running
            return state
        }
        // Compiled (or found in the cache) before anything of the container exists.
        let seccomp = try seccompProgram(plan, source: request.seccompSource)
        let dir = dir(request.id)
        try Files.makeDirectories(root, mode: 0o711)
        let (_, mkdirErr) = Sys.attempt { mkdir(dir.path, 0o700) }
        if mkdirErr == EEXIST { throw RuntimeError.exists(request.id) }
        if mkdirErr != 0 { throw RuntimeError.sys(SysError("mkdir", errno: mkdirErr, detail: dir.path)) }
        Trace.step("runtime", "state directory \(dir.path)")
        var undo = Undo()
        undo.push("remove \(dir.path)") { try? Files.removeTree(dir.path) }
        do {
            return try create(request, plan: plan, seccomp: seccomp, dir: dir, pending: pending, undo: &undo)
        } catch {
            undo.run()
            runPoststop(plan.spec.hooks, id: request.id, bundle: request.bundle, pid: 0, annotations: plan.spec.annotations)
            throw error
        }
    }

    /// Where the monitor gets init from: `<root>/.empty`, over which the monitor opens init's
    /// sealed view itself and closes the view's mount (an RCU grace period) off the start's
    /// critical path; nil when that directory cannot be made (this process then makes the view
    /// and hands the monitor its descriptor, `initExecutable`).
    func initSource() throws -> String? {
        guard let initView = emptyDirectory() else { return nil }
        let (_, e) = Sys.attempt { access(initPath, X_OK) }
        if e != 0 { throw RuntimeError.sys(SysError("berth-init", errno: e, detail: initPath)) }
        Trace.step("exec", "\(initPath) runs through a private read-only overlay of its directory over \(initView), made by the monitor")
        return initView
    }

    /// The compiled `linux.seccomp` for init, with one `--explain` line (hash, rules, cache).
    func seccompProgram(_ plan: ContainerPlan, source: SeccompSource?) throws -> InitConfig.SeccompProgram? {
        guard let profile = plan.spec.linux?.seccomp, let compiled = plan.seccomp else { return nil }
        let entry = try SeccompCache(root: root).program(for: profile, source: source, plan: compiled)
        Trace.step("seccomp", DockerSeccomp.summary(profile, bounding: plan.spec.process?.capabilities?.bounding ?? [], hash: entry.hash))
        Trace.step("seccomp", "profile sha256:\(entry.hash) \(entry.rules) rules, \(entry.fromCache ? "from the cache" : "compiled") (\(entry.path))")
        for note in compiled.notes { Trace.step("seccomp", note) }
        for name in entry.unknown { Trace.step("seccomp", "\(name) is unknown to libseccomp \(SeccompCompiler.version): rule skipped") }
        return InitConfig.SeccompProgram(path: entry.path, flags: compiled.flags)
    }

    private func create(_ request: CreateRequest, plan: ContainerPlan, seccomp: InitConfig.SeccompProgram?, dir: ContainerDir,
                        pending: PendingStart?, undo: inout Undo) throws -> ContainerState {
        let cgroups = self.cgroups.allowing(plan.cgroup)
        if cgroups.exists(plan.cgroup) {
            throw RuntimeError.cgroup(.busy("\(plan.cgroup) already exists (another container uses it)"))
        }
        let createdLevels = CgroupLevels.missing(plan.cgroup, cgroups)

        let execFifo = request.startAtOnce ? nil : dir.execFifo
        if let execFifo { try Sys.call("mkfifo", detail: execFifo) { mkfifo(execFifo, 0o600) } }
        // init loads the compiled program (`seccomp`); the profile itself (Docker's default is
        // 15 KB of JSON, most of config.json) is neither written to init.json nor parsed by init.
        var initSpec = plan.spec
        if seccomp != nil { initSpec.linux?.seccomp = nil }
        var initConfig = InitConfig(mode: .create, id: request.id, spec: initSpec, bundle: request.bundle,
                                    execFifo: execFifo,
                                    explain: request.explain, seccomp: seccomp)
        initConfig.hooksFifo = try prepareHooks(plan.spec.hooks, dir: dir)
        try StateFile.create(dir.initConfig, initConfig.encodedJSON())

        // The monitor (started by the caller before it read config.json, or now) and, on cgroup
        // v1, init are already starting: init reads init.json now, and the cgroups are made while
        // it does. Init makes nothing before `start`.
        let monitor = try pending ?? prepareStart(id: request.id, stdio: request.stdio)
        defer { monitor.closeReport() }
        undo.push("stop the container's processes") {
            monitor.abandon()  // the monitor kills an init still waiting to start, and exits
            try? cgroups.killAll(plan.cgroup)
            monitor.cancel()
        }
        try monitor.configWritten()

        do { try cgroups.create(plan.cgroup, resources: plan.resources) } catch { throw RuntimeError.cgroup(error) }
        Trace.step("cgroup", "created \(plan.cgroup) \(describe(plan.resources))")
        undo.push("remove cgroup \(plan.cgroup)") {
            try? cgroups.remove(plan.cgroup)
            CgroupLevels.removeCreatedParents(createdLevels, of: plan.cgroup, cgroups)
        }
        let placement = cgroups.placement(plan.cgroup)
        Trace.step("cgroup", monitor.spawnsEarly ? "init joins \(placement.joinFiles.joined(separator: ", ")) (writes 0) before it makes anything"
                   : "init will be created inside \(placement.cloneInto ?? "") (clone3 CLONE_INTO_CGROUP)")
        try monitor.start(oomFile: cgroups.oomCounterFile(plan.cgroup), placement: placement)

        var state = ContainerState(id: request.id, status: .creating, pid: 0, bundle: request.bundle,
                                   annotations: plan.spec.annotations, monitorPid: monitor.monitorPid, createdAtNanos: monitor.createdAt,
                                   cgroupPath: plan.cgroup.relative, monitorStartTime: monitor.monitorStartTime, rootfs: plan.rootfs)
        state.cgroupCreated = createdLevels
        try dir.writeState(state)

        guard let report = monitor.report else { throw RuntimeError.setupFailed(id: request.id, message: "the monitor's report pipe is closed") }
        let pid = try MonitorProcess.awaitReady(report, id: request.id, timeout: setupTimeout) { pid in
            try runCreateHooks(plan.spec.hooks, request: request, pid: pid, dir: dir)
        }
        state.pid = pid
        state.pidStartTime = Proc.startTime(pid)
        state.status = request.startAtOnce ? .running : .created
        state.namespacePaths = namespacePaths(plan.spec, pid: pid)
        try dir.writeState(state)
        if let pidFile = request.pidFile {
            try Files.writeAtomically(pidFile, Array("\(pid)".utf8))
            Trace.step("runtime", "pid file \(pidFile)")
        }
        return state
    }

    func namespacePaths(_ spec: Spec, pid: Int32) -> [String: String] {
        let procNames = ["pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
                         "user": "user", "cgroup": "cgroup", "time": "time"]
        var paths: [String: String] = [:]
        for ns in spec.linux?.namespaces ?? [] {
            if let path = ns.path, !path.isEmpty { paths[ns.type] = path } else if let name = procNames[ns.type] {
                paths[ns.type] = "/proc/\(pid)/ns/\(name)"
            }
        }
        return paths
    }

    func describe(_ r: CgroupResources) -> String {
        var parts: [String] = []
        if let v = r.memoryLimit { parts.append("memory.limit=\(v)") }
        if let v = r.memoryReservation { parts.append("memory.reservation=\(v)") }
        if let v = r.cpuShares { parts.append("cpu.shares=\(v)") }
        if let v = r.cpuQuota { parts.append("cpu.quota=\(v)") }
        if let v = r.cpuPeriod { parts.append("cpu.period=\(v)") }
        if let v = r.pidsLimit { parts.append("pids.limit=\(v)") }
        if let v = r.devices { parts.append("devices=\(v.count) rules") }
        return parts.isEmpty ? "(no limits)" : parts.joined(separator: " ")
    }

    // MARK: start

    public func start(_ id: String) throws {
        let current = try state(id)
        guard current.status == .created else { throw RuntimeError.invalidState(id: id, status: current.status, action: "start") }
        let dir = dir(id)
        let (fd, err) = Sys.attempt { open(dir.execFifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        if err == ENOENT { throw RuntimeError.invalidState(id: id, status: .running, action: "start") }
        if err != 0 { throw RuntimeError.sys(SysError("open", errno: err, detail: dir.execFifo)) }
        let fifo = FileDescriptor(rawValue: fd)
        defer { fifo.close() }
        // The container opens the fifo for writing and writes one byte; it may not have got there yet.
        while true {
            if try Poll.readable(fifo.rawValue, deadline: Clock.deadline(after: 0.1)) {
                let (n, readErr) = Sys.attempt { () -> Int in
                    var byte: UInt8 = 0
                    return read(fifo.rawValue, &byte, 1)
                }
                if n == 1 { break }
                if readErr != 0 && readErr != EAGAIN { throw RuntimeError.sys(SysError("read", errno: readErr, detail: dir.execFifo)) }
            }
            if !Proc.isAlive(current.pid, startTime: current.pidStartTime) {
                throw RuntimeError.setupFailed(id: id, message: "the container process exited before it was started")
            }
            if !Files.exists(dir.execFifo) { throw RuntimeError.invalidState(id: id, status: .running, action: "start") }
        }
        unlink(dir.execFifo)
        if let hooks = dir.readHooks() { try runStartHooks(hooks, state: current, fifo: fifo) }
        Trace.step("runtime", "started \(id) (pid \(current.pid))")
    }

    // MARK: state

    /// The spec the container was created with (recorded in its state directory; the bundle may
    /// have changed or, for a task's containers, never had a config.json). A `linux.seccomp`
    /// profile is recorded as its compiled program (init.json's `seccomp`), not as the profile.
    public func spec(_ id: String) throws -> Spec {
        try ContainerID.validate(id)
        let dir = dir(id)
        guard dir.exists else { throw RuntimeError.notFound(id) }
        return try InitConfig.decode(json: try Files.readBytes(dir.initConfig)).spec
    }

    public func state(_ id: String) throws -> ContainerState {
        try ContainerID.validate(id)
        let dir = dir(id)
        guard var state = try dir.readState() else {
            guard dir.exists else { throw RuntimeError.notFound(id) }
            return ContainerState(id: id, status: .creating, pid: 0, bundle: "")
        }
        if let exit = dir.readExit() {
            return stopped(state, exit: exit)
        }
        if state.pid == 0 {
            if let pid = dir.readContainerPid() {
                // Set up, but the process that created it died before recording the pid.
                state.pid = pid
                state.pidStartTime = Proc.startTime(pid)
            } else {
                // Still being created, unless its monitor is gone (the creator was interrupted).
                return Proc.isAlive(state.monitorPid, startTime: state.monitorStartTime) ? state : stopped(state, exit: nil)
            }
        }
        if Proc.isAlive(state.pid, startTime: state.pidStartTime) {
            state.status = Files.exists(dir.execFifo) ? .created : .running
            return state
        }
        // PID 1 is gone: its monitor writes exit.json in a moment (after draining logs, bounded).
        if let handle = ProcessHandle.open(state.monitorPid ?? 0, startTime: state.monitorStartTime) {
            _ = handle.waitExit(deadline: Clock.deadline(after: 5))
            handle.close()
        }
        return stopped(state, exit: dir.readExit())
    }

    private func stopped(_ state: ContainerState, exit: ExitInfo?) -> ContainerState {
        var state = state
        state.status = .stopped
        state.pid = 0
        state.exit = exit
        return state
    }

    public func list() throws -> [ContainerState] {
        guard Files.isDirectory(root) else { return [] }
        return try Files.list(root).sorted().compactMap { name in
            // Other things may live under the root (task directories, netns): a container
            // directory has init.json from the moment its cgroup exists.
            let dir = ContainerDir(root: root, id: name)
            guard (try? ContainerID.validate(name)) != nil, Files.exists(dir.stateFile) || Files.exists(dir.initConfig) else { return nil }
            return try? state(name)
        }
    }

    // MARK: kill

    public func kill(_ id: String, signal: Int32, all: Bool) throws {
        let current = try state(id)
        guard current.status == .created || current.status == .running else {
            throw RuntimeError.invalidState(id: id, status: current.status, action: "signal")
        }
        if all, let raw = current.cgroupPath {
            guard let path = CgroupPath.recorded(raw) else { throw RuntimeError.cgroup(.outsideBerth(raw)) }
            let cgroups = self.cgroups.allowing(path)
            Trace.step("runtime", "signal \(signal) to every process in cgroup \(path)")
            do {
                if signal == SIGKILL {
                    try cgroups.killAll(path)
                } else {
                    for pid in try cgroups.processes(path) { _ = Glibc.kill(pid, signal) }
                }
            } catch { throw RuntimeError.cgroup(error) }
            return
        }
        guard let handle = ProcessHandle.open(current.pid, startTime: current.pidStartTime) else {
            throw RuntimeError.invalidState(id: id, status: .stopped, action: "signal")
        }
        defer { handle.close() }
        Trace.step("runtime", "signal \(signal) to pid \(current.pid)")
        do { try handle.signal(signal) } catch { throw RuntimeError.sys(error) }
    }

    // MARK: delete

    public func delete(_ id: String, force: Bool) throws {
        let current = try state(id)
        let dir = dir(id)
        let hooks = dir.readHooks()
        let lastPid = hooks == nil ? 0 : ((try? dir.readState())??.pid ?? 0)
        if current.status != .stopped {
            guard force else { throw RuntimeError.invalidState(id: id, status: current.status, action: "delete") }
            if let raw = current.cgroupPath, let path = CgroupPath.recorded(raw) { try? cgroups.allowing(path).killAll(path) }
            if let handle = ProcessHandle.open(current.pid, startTime: current.pidStartTime) {
                try? handle.signal(SIGKILL)
                handle.close()
            }
        }
        // Let the monitor record the exit (bounded), so it does not write into a removed directory.
        if let monitor = ProcessHandle.open(current.monitorPid ?? 0, startTime: current.monitorStartTime) {
            if !monitor.waitExit(deadline: Clock.deadline(after: 10)) { try? monitor.signal(SIGKILL) }
            monitor.close()
        }
        if let raw = current.cgroupPath, let path = CgroupPath.recorded(raw) {
            let cgroups = self.cgroups.allowing(path)
            if cgroups.exists(path) {
                do { try cgroups.remove(path) } catch { throw RuntimeError.cgroup(error) }
                Trace.step("cgroup", "removed \(path)")
            }
            CgroupLevels.removeCreatedParents(current.cgroupCreated ?? [], of: path, cgroups)
        }
        try Files.removeTree(dir.path)
        Trace.step("runtime", "removed \(dir.path)")
        runPoststop(hooks, id: id, bundle: current.bundle, pid: lastPid, annotations: current.annotations)
    }

    // MARK: wait

    /// What both waits start from: the container's recorded state, or its exit if it has one.
    private func waitStart(_ id: String) throws -> (dir: ContainerDir, recorded: ContainerState, exit: ExitInfo?) {
        let dir = dir(id)
        guard let recorded = try dir.readState() else {
            throw dir.exists ? RuntimeError.invalidState(id: id, status: .creating, action: "wait for") : RuntimeError.notFound(id)
        }
        return (dir, recorded, dir.readExit())
    }

    public func wait(_ id: String, timeout: Double?) throws -> ExitInfo? {
        let deadline = Clock.deadline(after: timeout)
        let (dir, recorded, exit) = try waitStart(id)
        if let exit { return exit }
        if let monitor = ProcessHandle.open(recorded.monitorPid ?? 0, startTime: recorded.monitorStartTime) {
            defer { monitor.close() }
            if !monitor.waitExit(deadline: deadline) { return nil }
        }
        if let exit = dir.readExit() { return exit }
        throw RuntimeError.exitUnknown(id)
    }

    /// `wait` without a timeout for a foreground `run`: one poll(2) over the monitor's pidfd and
    /// `signals` (a signalfd), no timeout and no polling loop; each signal read from `signals` is
    /// passed to `relay` (which forwards it to the container) while the container runs.
    public func wait(_ id: String, relaying signals: Int32, to relay: (Int32) -> Void) throws -> ExitInfo {
        let (dir, recorded, exit) = try waitStart(id)
        if let exit { return exit }
        if let monitor = ProcessHandle.open(recorded.monitorPid ?? 0, startTime: recorded.monitorStartTime) {
            defer { monitor.close() }
            var fds = [pollfd(fd: monitor.fd.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            while fds[0].revents == 0 {
                fds[0].revents = 0
                fds[1].revents = 0
                _ = try Poll.ready(&fds, timeout: -1)
                if fds[1].revents != 0 { for signo in SignalFD.drain(signals) { relay(signo) } }
            }
        }
        if let exit = dir.readExit() { return exit }
        throw RuntimeError.exitUnknown(id)
    }
}

/// Reading a non-blocking or just-polled signalfd (`berth_signalfd`).
enum SignalFD {
    /// The signal numbers queued now (each `signalfd_siginfo` is 128 bytes, ssi_signo first).
    static func drain(_ fd: Int32) -> [Int32] {
        var signals: [Int32] = []
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, 0) > 0 {
            var info = [UInt8](repeating: 0, count: 128)
            guard read(fd, &info, 128) == 128 else { break }
            signals.append(Int32(info[0]) | Int32(info[1]) << 8 | Int32(info[2]) << 16 | Int32(info[3]) << 24)
        }
        return signals
    }
}

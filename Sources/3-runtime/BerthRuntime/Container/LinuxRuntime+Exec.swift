import BerthInit
import BerthCgroups
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `exec`: run another process in a running container through `berth-init` in exec mode. Init
/// joins the container's cgroup and namespaces, stays the parent of the exec'd process and exits
/// with its status.
extension LinuxRuntime {
    /// At most this much of each output stream is kept (ECS keeps health-check output short too).
    public static let execOutputLimit = 64 * 1024

    public func exec(_ id: String, process: Spec.Process, timeout: Double?) throws -> ExecResult {
        let session = try ExecSession(runtime: self, id: id, process: process)
        defer { session.remove() }
        let out = try makePipe(), err = try makePipe()
        var null: FileDescriptor? = try FileDescriptor.open("/dev/null", O_RDONLY)
        defer { null?.close(); out.read.close(); err.read.close() }
        var run = try session.spawn(stdio: [null!.rawValue, out.write.rawValue, err.write.rawValue])
        out.write.close()
        err.write.close()
        null?.close()
        null = nil
        var result = ExecResult(exitCode: -1)
        var streams = [out.read.rawValue, err.read.rawValue]
        var captured: [[UInt8]] = [[], []]
        let deadline = Clock.deadline(after: timeout)
        while !run.exited {
            var fds = [pollfd(fd: run.pidfd, events: Int16(POLLIN), revents: 0)]
            if run.sync >= 0 { fds.append(pollfd(fd: run.sync, events: Int16(POLLIN), revents: 0)) }
            for fd in streams where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let n = try Poll.ready(&fds, timeout: result.timedOut ? -1 : Clock.pollTimeout(deadline))
            if n == 0 {
                Trace.step("exec", "timeout after \(timeout ?? 0)s: killing pid \(run.execPid)")
                run.killAll()
                result.timedOut = true
                continue
            }
            for p in fds where p.revents != 0 {
                if p.fd == run.pidfd { run.exited = true } else if p.fd == run.sync { try run.readSync() } else {
                    let index = p.fd == streams[0] ? 0 : 1
                    if !capture(p.fd, into: &captured[index]) { streams[index] = -1 }
                }
            }
        }
        // Init is gone; take what is already buffered without waiting for grandchildren holding the pipes.
        for (i, fd) in streams.enumerated() where fd >= 0 {
            while (try? Poll.readable(fd, deadline: Clock.now())) == true, capture(fd, into: &captured[i]) {}
        }
        result.stdout = captured[0]
        result.stderr = captured[1]
        result.exitCode = try run.finish()
        return result
    }

    /// `berth exec` in a terminal: the process shares the caller's stdin/stdout/stderr.
    public func execInteractive(_ id: String, process: Spec.Process) throws -> Int32 {
        let session = try ExecSession(runtime: self, id: id, process: process)
        defer { session.remove() }
        var run = try session.spawn(stdio: [-1, -1, -1])
        while !run.exited {
            var fds = [pollfd(fd: run.pidfd, events: Int16(POLLIN), revents: 0)]
            if run.sync >= 0 { fds.append(pollfd(fd: run.sync, events: Int16(POLLIN), revents: 0)) }
            _ = try Poll.ready(&fds, timeout: -1)
            for p in fds where p.revents != 0 {
                if p.fd == run.pidfd { run.exited = true } else { try run.readSync() }
            }
        }
        return try run.finish()
    }

    /// Read one chunk into `buffer` up to the limit (the rest is read and dropped); false at EOF.
    private func capture(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        guard let chunk = try? FileDescriptor(rawValue: fd).read(max: 16384), !chunk.isEmpty else { return false }
        let room = LinuxRuntime.execOutputLimit - buffer.count
        if room > 0 { buffer += chunk.prefix(room) }
        return true
    }
}

/// The exec's own state directory (`<container>/exec-XXXXXX/init.json`), removed afterwards.
struct ExecSession {
    let id: String
    let path: String
    /// The `berth-init` executable (named in errors) and its sealed copy, which is what runs.
    let initPath: String
    let initFd: Int32
    /// The container's cgroup, which init enters before it runs (nil: the container has none).
    let placement: CgroupPlacement?

    init(runtime: LinuxRuntime, id: String, process: Spec.Process) throws {
        let current = try runtime.state(id)
        guard current.status == .running || current.status == .created else {
            throw RuntimeError.invalidState(id: id, status: current.status, action: "exec in")
        }
        initFd = try runtime.initExecutable()
        let dir = runtime.dir(id)
        var config = try InitConfig.decode(json: try Files.readBytes(dir.initConfig))
        config.mode = .exec
        config.spec.process = process
        config.execFifo = nil
        config.targetPid = current.pid
        config.targetStartTime = current.pidStartTime
        var template = Array((dir.path + "/exec-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw RuntimeError.sys(SysError("mkdtemp", detail: dir.path)) }
        self.path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.id = id
        self.initPath = runtime.initPath
        self.placement = try current.cgroupPath.map { runtime.cgroups.placement(try CgroupPath.recorded($0) ?? CgroupPath($0)) }
        do {
            try StateFile.create(path + "/init.json", config.encodedJSON())
        } catch {
            remove()
            throw error
        }
    }

    func remove() { try? Files.removeTree(path) }

    /// Start `berth-init <exec-dir>` with these descriptors as its stdin/stdout/stderr (-1: inherit);
    /// fd 3 is the sync pipe, `extra` become fds 4, 5, ... (4: the console socket of `exec -t`).
    /// `newSession`: init leaves the caller's process group (signals reach it only as forwarded).
    func spawn(stdio: [Int32], extra: [Int32] = [], newSession: Bool = false) throws -> ExecRun {
        let sync = try makePipe()
        defer { sync.write.close() }
        let pid = try withCStrings([initPath, path]) { argv in
            var keep: [Int32] = [sync.write.rawValue] + extra
            var attr = berth_spawn_attr()
            attr.argv = argv
            attr.stdin_fd = stdio[0]
            attr.stdout_fd = stdio[1]
            attr.stderr_fd = stdio[2]
            attr.keep_count = Int32(keep.count)
            attr.setsid = newSession ? 1 : 0
            attr.use_exec_fd = 1
            attr.exec_fd = initFd
            let join = placement?.joinFiles ?? []
            attr.cgroup_join_count = Int32(join.count)
            return try initPath.withCString { exe in
                attr.path = exe
                return try keep.withUnsafeMutableBufferPointer { k in
                    attr.keep_fds = UnsafePointer(k.baseAddress)
                    return try withCStrings(join) { files in
                        attr.cgroup_join = UnsafeRawPointer(files).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
                        return try (placement?.cloneInto).withOptionalCString { dir in
                            attr.cgroup_dir = dir
                            return try Sys.call("spawn", detail: initPath) { berth_spawn(&attr) }
                        }
                    }
                }
            }
        }
        let pidfd = berth_pidfd_open(pid, 0)
        guard pidfd >= 0 else {
            let e = SysError("pidfd_open", detail: "pid \(pid)")
            _ = Glibc.kill(pid, SIGKILL)
            var st: Int32 = 0
            _ = waitpid(pid, &st, 0)
            sync.read.close()
            throw RuntimeError.sys(e)
        }
        Trace.step("exec", "init pid \(pid): \(initPath) \(path)")
        return ExecRun(id: id, initPid: pid, pidfd: pidfd, sync: sync.read.rawValue)
    }
}

/// One running exec: init's pid (our child), a pidfd to poll for its exit, its sync pipe.
struct ExecRun {
    let id: String
    let initPid: Int32
    let pidfd: Int32
    var sync: Int32
    var execPid: Int32 = 0
    var error: String?
    var exited = false
    var pending: [UInt8] = []

    init(id: String, initPid: Int32, pidfd: Int32, sync: Int32) {
        self.id = id
        self.initPid = initPid
        self.pidfd = pidfd
        self.sync = sync
    }

    mutating func readSync() throws {
        let chunk = (try? FileDescriptor(rawValue: sync).read(max: 4096)) ?? []
        if chunk.isEmpty {
            Glibc.close(sync)
            sync = -1
            return
        }
        pending += chunk
        while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[..<nl], as: UTF8.self)
            pending.removeSubrange(...nl)
            if line.hasPrefix("pid "), let n = Int32(line.dropFirst(4)) { execPid = n }
            if line.hasPrefix("error") { error = line.dropFirst(5).trimmingCharacters(in: " ") }
        }
    }

    func killAll() {
        if execPid > 0 { _ = Glibc.kill(execPid, SIGKILL) }
        _ = Glibc.kill(initPid, SIGKILL)
    }

    /// Reap init and turn its status into a shell-style exit code; a setup error is thrown.
    mutating func finish() throws -> Int32 {
        while sync >= 0 { try readSync() }
        Glibc.close(pidfd)
        var status: Int32 = 0
        _ = try Sys.call("waitpid", detail: "pid \(initPid)") { waitpid(initPid, &status, 0) }
        if let error { throw RuntimeError.setupFailed(id: id, message: "exec: \(error.isEmpty ? "unknown error" : error)") }
        return ExitStatus(status).code
    }
}

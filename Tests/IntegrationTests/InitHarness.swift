import BerthInit
import BerthRuntime
import BerthSys
import CBerth
import FoundationEssentials
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Drives `.build/debug/berth-init <state-dir>` by hand, as the monitor does: writes init.json,
/// spawns init with the sync pipe as fd 3, reads `pid N` / `ready` / `error ...`.
enum InitHarness {
    static let repoRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3) // Tests/IntegrationTests/InitHarness.swift
        return parts.joined(separator: "/")
    }()
    static var initExe: String { repoRoot + "/.build/debug/berth-init" }

    static func requireRoot() throws {
        try #require(getuid() == 0, "integration tests of the container init must run as root")
        try #require(Files.exists(initExe), "build first: \(initExe) is missing")
    }

    /// A fresh temporary directory (removed by `cleanup`).
    static func tempDir(_ tag: String) throws -> String {
        var template = Array("/tmp/berth-init-\(tag)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(p != nil, "mkdtemp failed")
        return String(cString: p!)
    }

    /// A busybox bundle (rootfs + config.json) in a new temp dir.
    static func makeBundle() throws -> String {
        let dir = try tempDir("bundle")
        let status = try run(["/bin/bash", repoRoot + "/Scripts/make-busybox-bundle.sh", "--bundle", dir])
        try #require(status == 0, "make-busybox-bundle.sh failed")
        return dir
    }

    /// Run a host command to completion, output to /dev/null; returns the exit status.
    @discardableResult
    static func run(_ argv: [String]) throws -> Int32 {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let pid = spawn(argv, stdin: null, stdout: null, stderr: null, keep: [])
        try #require(pid > 0, "spawn \(argv[0]): \(String(cString: strerror(berth_errno())))")
        return waitStatus(pid)
    }

    static func spawn(_ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32, keep: [Int32]) -> pid_t {
        let cargv = argv.map { strdup($0) } + [nil]
        defer { cargv.forEach { free($0) } }
        return argv[0].withCString { path in
            keep.withUnsafeBufferPointer { keepBuf in
                cargv.withUnsafeBufferPointer { argvBuf in
                    var attr = berth_spawn_attr()
                    attr.path = path
                    attr.argv = argvBuf.baseAddress
                    attr.envp = nil
                    attr.cwd = nil
                    attr.stdin_fd = stdin
                    attr.stdout_fd = stdout
                    attr.stderr_fd = stderr
                    attr.keep_fds = keepBuf.baseAddress
                    attr.keep_count = Int32(keep.count)
                    attr.setsid = 0
                    attr.search_path = 0
                    attr.pdeathsig = 0
                    return berth_spawn(&attr)
                }
            }
        }
    }

    static func waitStatus(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        _ = Sys.attempt { waitpid(pid, &status, 0) }
        return ExitStatus(status).code
    }

    /// A spec like Docker's default for the busybox rootfs at `bundle/rootfs`.
    static func spec(bundle: String, args: [String]) -> Spec {
        Spec(
            process: .init(user: .init(), args: args,
                           env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                           cwd: "/",
                           capabilities: .init(bounding: Capabilities.dockerDefault, effective: Capabilities.dockerDefault,
                                               permitted: Capabilities.dockerDefault),
                           rlimits: [.init(type: "RLIMIT_NOFILE", soft: 1024, hard: 1024)]),
            root: .init(path: bundle + "/rootfs", readonly: false),
            hostname: "berth-test",
            mounts: [
                .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
                .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
                .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
                .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
                .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            ],
            linux: .init(
                namespaces: [.init(type: "pid"), .init(type: "network"), .init(type: "ipc"), .init(type: "uts"), .init(type: "mount")],
                maskedPaths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                              "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]))
    }

    /// One `berth-init` run.
    struct Started {
        var stateDir: String
        var initPid: pid_t
        /// Exit status of `berth-init` itself (the intermediate in create mode).
        var initStatus: Int32
        /// Sync lines in order.
        var lines: [String]
        /// Host pid from `pid N`.
        var pid: pid_t?
        var spawnedAt: Int64
        var readyAt: Int64?

        var stdoutPath: String { stateDir + "/stdout" }
        var stderrPath: String { stateDir + "/stderr" }
        var error: String? { lines.first { $0.hasPrefix("error ") }.map { String($0.dropFirst(6)) } }
        var stdout: String { (try? Files.read(stdoutPath)) ?? "" }
        var stderr: String { (try? Files.read(stderrPath)) ?? "" }
    }

    /// Write init.json, spawn `berth-init`, collect sync lines until every writer closed the pipe
    /// (create: intermediate exited and the container process said ready/error).
    /// In exec mode `waitInit` is false: init stays until its child exits.
    /// `wrapper` runs first and must exec its last arguments (`berth-init <dir>`), keeping fd 3.
    static func start(_ config: InitConfig, waitInit: Bool = true, timeout: Int32 = 20_000,
                      wrapper: [String] = []) throws -> Started {
        let dir = try tempDir("state")
        try Files.writeAtomically(dir + "/init.json", Array(try JSONEncoder().encode(config)))
        let (r, w) = try makePipe()
        let out = open(dir + "/stdout", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(dir + "/stderr", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let t0 = berth_monotonic_ns()
        let pid = spawn(wrapper + [initExe, dir], stdin: null, stdout: out, stderr: err, keep: [w.rawValue])
        close(out); close(err); close(null)
        w.close()
        defer { r.close() }
        try #require(pid > 0, "spawn berth-init: \(String(cString: strerror(berth_errno())))")
        var started = Started(stateDir: dir, initPid: pid, initStatus: -1, lines: [], pid: nil, spawnedAt: t0)
        var buffer: [UInt8] = []
        var pfd = pollfd(fd: r.rawValue, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&pfd, 1, timeout)
            if n < 0 && berth_errno() == EINTR { continue }
            try #require(n > 0, "timed out waiting for berth-init's sync lines (got \(started.lines))")
            let chunk = try r.read()
            if chunk.isEmpty { break }
            buffer += chunk
            while let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                started.lines.append(line)
                if line.hasPrefix("pid "), let p = Int32(line.dropFirst(4)) { started.pid = p }
                if line == "ready" { started.readyAt = berth_monotonic_ns() }
            }
            if !waitInit && started.lines.contains(where: { $0 == "ready" || $0.hasPrefix("error ") }) { break }
        }
        if waitInit { started.initStatus = waitStatus(pid) }
        return started
    }

    /// Wait until `pid` (not our child) has exited, via a pidfd.
    static func waitGone(_ pid: pid_t, timeoutMs: Int32 = 20_000) -> Bool {
        let fd = berth_pidfd_open(pid, 0)
        if fd < 0 { return berth_errno() == ESRCH }
        defer { close(fd) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&pfd, 1, timeoutMs)
            if n < 0 && berth_errno() == EINTR { continue }
            return n > 0
        }
    }

    static func kill(_ pid: pid_t?) {
        guard let pid, pid > 0 else { return }
        _ = Glibc.kill(pid, SIGKILL)
        _ = waitGone(pid)
    }

    static func cleanup(_ dirs: String?...) {
        for dir in dirs.compactMap({ $0 }) where dir.hasPrefix("/tmp/berth-init-") {
            _ = try? run(["/bin/rm", "-rf", "--one-file-system", dir])
        }
    }

    /// Run `args` as a container (create mode, no fifo) and return its output once it exited.
    static func runContainer(_ config: InitConfig, wrapper: [String] = []) throws -> (Started, String) {
        let s = try start(config, wrapper: wrapper)
        #expect(s.initStatus == 0, "berth-init exited \(s.initStatus); stderr: \(s.stderr)")
        #expect(s.error == nil, "init error: \(s.error ?? "")")
        if let pid = s.pid { #expect(waitGone(pid), "container did not exit") }
        return (s, s.stdout)
    }

    static func hostMountsMentioning(_ needle: String) -> [String] {
        ((try? Files.read("/proc/self/mountinfo")) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(needle) }
    }
}

extension InitHarness {
    /// Run `/bin/sh -c script` as a new container from a fresh busybox bundle (after `prepare`
    /// may change the rootfs and `modify` the spec); returns the run and its stdout.
    static func script(_ script: String, wrapper: [String] = [], modify: (inout Spec) -> Void = { _ in },
                       configure: (inout InitConfig) -> Void = { _ in },
                       prepare: (String) throws -> Void = { _ in }) throws -> (Started, String) {
        let bundle = try makeBundle()
        defer { cleanup(bundle) }
        try prepare(bundle)
        var spec = spec(bundle: bundle, args: ["/bin/sh", "-c", script])
        modify(&spec)
        var config = InitConfig(mode: .create, id: "test", spec: spec, bundle: bundle)
        configure(&config)
        let (s, out) = try runContainer(config, wrapper: wrapper)
        cleanup(s.stateDir)
        return (s, out)
    }

    /// Lines of `out` with runs of blanks collapsed.
    static func lines(_ out: String) -> [String] {
        out.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
    }

    /// The CapEff/CapBnd value a set of names should produce, as /proc/self/status prints it.
    static func capHex(_ names: [String]) throws -> String {
        let mask = try Capabilities.mask(names, field: "test")
        let hex = String(mask, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension InitHarness {
    /// Like `script`, for configurations expected to fail: returns the run with its `error` line.
    static func scriptAllowingError(_ script: String, modify: (inout Spec) -> Void) throws -> (Started, String) {
        let bundle = try makeBundle()
        defer { cleanup(bundle) }
        var spec = spec(bundle: bundle, args: ["/bin/sh", "-c", script])
        modify(&spec)
        let s = try start(InitConfig(mode: .create, id: "test", spec: spec, bundle: bundle))
        if let pid = s.pid { _ = waitGone(pid) }
        cleanup(s.stateDir)
        return (s, s.stdout)
    }
}

/// A busybox container running `sleep 1000` (create mode, no fifo), to exec into or join;
/// killed and cleaned up when released.
final class SleepingContainer {
    let bundle: String
    let spec: Spec
    let started: InitHarness.Started
    let pid: pid_t
    let startTime: UInt64

    init(_ modify: (inout Spec) -> Void = { _ in }) throws {
        bundle = try InitHarness.makeBundle()
        var spec = InitHarness.spec(bundle: bundle, args: ["sleep", "1000"])
        modify(&spec)
        self.spec = spec
        do {
            started = try InitHarness.start(InitConfig(mode: .create, id: "target", spec: spec, bundle: bundle))
            pid = try #require(started.pid, "\(started.lines)")
            startTime = try #require(Proc.startTime(pid))
        } catch {
            InitHarness.cleanup(bundle)
            throw error
        }
    }

    deinit {
        InitHarness.kill(pid)
        InitHarness.cleanup(started.stateDir, bundle)
    }

    /// `berth-init` in exec mode into this container (the caller cleans up `stateDir`).
    func exec(_ process: Spec.Process, startTime: UInt64? = nil, waitInit: Bool = true) throws -> InitHarness.Started {
        try InitHarness.start(InitConfig(mode: .exec, id: "target", spec: Spec(process: process), bundle: bundle,
                                         targetPid: pid, targetStartTime: startTime ?? self.startTime), waitInit: waitInit)
    }
}

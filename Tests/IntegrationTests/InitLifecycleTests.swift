import BerthInit
import BerthRuntime
import BerthSys
import CBerth
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The sync protocol, the exec fifo, exec mode and error reporting of `berth-init`.
@Suite(.serialized) struct InitLifecycleTests {
    @Test func execFifoHoldsTheProcessUntilStart() throws {
        try InitHarness.requireRoot()
        let bundle = try InitHarness.makeBundle()
        let fifoDir = try InitHarness.tempDir("fifo")
        defer { InitHarness.cleanup(bundle, fifoDir) }
        let fifo = fifoDir + "/exec.fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        var spec = InitHarness.spec(bundle: bundle, args: ["/bin/sh", "-c", "echo started as $(id -u)"])
        // A user without CAP_DAC_OVERRIDE must still be able to reopen the root-owned fifo.
        spec.process!.user = .init(username: "app")
        spec.process!.capabilities = .init(bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"])
        let s = try InitHarness.start(InitConfig(mode: .create, id: "fifo", spec: spec, bundle: bundle, execFifo: fifo))
        defer { InitHarness.kill(s.pid); InitHarness.cleanup(s.stateDir) }
        #expect(s.lines.count == 2 && s.lines.last == "ready", "\(s.lines) \(s.stderr)")
        let pid = try #require(s.pid)
        // Still berth-init, waiting: nothing printed yet.
        usleep(100_000)
        #expect(s.stdout.isEmpty)
        #expect(Proc.state(pid) != nil)
        // `berth start`: read the byte.
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        try #require(poll(&pfd, 1, 10_000) == 1, "the container never wrote the fifo; stderr: \(s.stderr)")
        var byte: UInt8 = 0
        #expect(read(fd, &byte, 1) == 1 && byte == UInt8(ascii: "0"))
        #expect(InitHarness.waitGone(pid))
        #expect(s.stdout == "started as 1000\n", "\(s.stdout) \(s.stderr)")
    }

    @Test func execJoinsARunningContainer() throws {
        try InitHarness.requireRoot()
        let c = try SleepingContainer()
        var process = c.spec.process!
        process.args = ["/bin/sh", "-c", "hostname; tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$; id -un; pwd; exit 7"]
        process.user = .init(username: "app")
        process.cwd = "/home/app"
        let e = try c.exec(process)
        defer { InitHarness.cleanup(e.stateDir) }
        #expect(e.initStatus == 7, "\(e.lines) \(e.stderr)")
        let lines = InitHarness.lines(e.stdout)
        #expect(lines.count == 5, "\(e.stdout) \(e.stderr)")
        if lines.count == 5 {
            #expect(lines[0] == "berth-test")
            #expect(lines[1] == "sleep 1000")
            #expect(Int(lines[2]).map { $0 > 1 && $0 < 100 } == true, "pid in the container's namespace: \(lines[2])")
            #expect(lines[3] == "app" && lines[4] == "/home/app")
        }
        // The exec'd process's host pid was reported and is gone now.
        #expect(e.pid != nil && e.lines.contains("ready"))

        // Missing program: reported on the sync pipe, status 127.
        var missing = process
        missing.args = ["no-such-program"]
        let m = try c.exec(missing)
        defer { InitHarness.cleanup(m.stateDir) }
        #expect(m.error?.contains("executable file not found in $PATH") == true, "\(m.lines)")
        #expect(m.initStatus == 127)

        // A stale start time (pid reuse) is refused before anything is joined.
        let stale = try c.exec(process, startTime: c.startTime + 1)
        defer { InitHarness.cleanup(stale.stateDir) }
        #expect(stale.error?.contains("not running") == true && stale.pid == nil, "\(stale.lines)")
    }

    @Test func execForwardsSignalsAndReportsThem() throws {
        try InitHarness.requireRoot()
        let c = try SleepingContainer()
        let process = c.spec.process!
        let e = try c.exec(process, waitInit: false)
        defer { InitHarness.kill(e.pid); InitHarness.cleanup(e.stateDir) }
        #expect(e.lines.contains("ready"), "\(e.lines)")
        usleep(50_000)
        _ = kill(e.initPid, SIGTERM)
        #expect(InitHarness.waitStatus(e.initPid) == 128 + SIGTERM)

        // If the supervising init is killed, the exec'd process dies with it (parent-death signal).
        let e2 = try c.exec(process, waitInit: false)
        defer { InitHarness.kill(e2.pid); InitHarness.cleanup(e2.stateDir) }
        let child = try #require(e2.pid)
        _ = kill(e2.initPid, SIGKILL)
        #expect(InitHarness.waitStatus(e2.initPid) == 128 + SIGKILL)
        #expect(InitHarness.waitGone(child, timeoutMs: 5_000))
    }

    @Test func setupErrorsAreReportedWithTheirField() throws {
        try InitHarness.requireRoot()
        let (caps, _) = try InitHarness.scriptAllowingError("true") {
            $0.process!.capabilities!.effective = ["CAP_CHOWN", "CAP_FOO"]
        }
        #expect(caps.error == "capabilities: process.capabilities.effective[1]: unknown capability \"CAP_FOO\"", "\(caps.lines)")
        #expect(caps.pid == nil && caps.initStatus == 1)

        let (rl, _) = try InitHarness.scriptAllowingError("true") { $0.process!.rlimits = [.init(type: "RLIMIT_BOGUS", soft: 1, hard: 1)] }
        #expect(rl.error?.contains("process.rlimits[0].type: unknown rlimit") == true, "\(rl.lines)")

        let (tty, _) = try InitHarness.scriptAllowingError("true") { $0.process!.terminal = true }
        #expect(tty.error?.contains("process.terminal") == true && tty.pid == nil, "\(tty.lines)")

        let (exe, _) = try InitHarness.scriptAllowingError("true") { $0.process!.args = ["/bin/nothing-here"] }
        #expect(exe.error?.hasPrefix("exec: \"/bin/nothing-here\"") == true, "\(exe.lines)")
        #expect(exe.pid != nil)

        let (mnt, _) = try InitHarness.scriptAllowingError("true") {
            $0.mounts!.append(.init(destination: "/proc/self/x", type: "tmpfs", source: "tmpfs"))
        }
        #expect(mnt.error?.contains("mounts[7].destination") == true, "\(mnt.lines)")
        #expect(InitHarness.hostMountsMentioning("berth-init").isEmpty)
    }

    @Test func explainTracesEveryStep() throws {
        try InitHarness.requireRoot()
        let bundle = try InitHarness.makeBundle()
        defer { InitHarness.cleanup(bundle) }
        let spec = InitHarness.spec(bundle: bundle, args: ["true"])
        let s = try InitHarness.start(InitConfig(mode: .create, id: "x", spec: spec, bundle: bundle, explain: true))
        defer { InitHarness.cleanup(s.stateDir) }
        if let pid = s.pid { _ = InitHarness.waitGone(pid) }
        let trace = s.stderr
        for needle in ["[namespace] unshare pid,network,ipc,uts,mount", "[mount] proc on /proc (mounts[0])", "[device] mknod /dev/null c 1:3",
                       "[pivot] pivot_root", "[mount] mask file /proc/keys", "[caps] bounding: CAP_CHOWN,", "[user] uid=0 gid=0",
                       "[rlimit] RLIMIT_NOFILE soft=1024 hard=1024", "[exec] /bin/true"] {
            #expect(trace.contains(needle), "missing \(needle) in trace:\n\(trace)")
        }
    }
}

extension InitLifecycleTests {
    /// `linux.namespaces[].path`: a second container joins the first one's network, uts and ipc
    /// namespaces (how ECS awsvpc/bridge tasks and ipcMode/pidMode "task" share them).
    @Test func createJoinsNamespacesByPath() throws {
        try InitHarness.requireRoot()
        let a = try SleepingContainer()
        let pidA = a.pid
        var second = InitHarness.spec(bundle: a.bundle, args: ["/bin/sh", "-c", "hostname; ip -o link | cut -d: -f2; sleep 1000"])
        second.hostname = nil
        second.linux!.namespaces = [
            .init(type: "pid"), .init(type: "mount"),
            .init(type: "network", path: "/proc/\(pidA)/ns/net"), .init(type: "uts", path: "/proc/\(pidA)/ns/uts"),
            .init(type: "ipc", path: "/proc/\(pidA)/ns/ipc"),
        ]
        let b = try InitHarness.start(InitConfig(mode: .create, id: "b", spec: second, bundle: a.bundle))
        defer { InitHarness.kill(b.pid); InitHarness.cleanup(b.stateDir) }
        let pidB = try #require(b.pid, "\(b.lines)")
        for ns in ["net", "uts", "ipc"] {
            let la = try readLink("/proc/\(pidA)/ns/\(ns)")
            let lb = try readLink("/proc/\(pidB)/ns/\(ns)")
            #expect(la == lb, "\(ns): \(la) vs \(lb)")
        }
        #expect(try readLink("/proc/\(pidA)/ns/pid") != readLink("/proc/\(pidB)/ns/pid"))
        #expect(try readLink("/proc/self/ns/net") != readLink("/proc/\(pidB)/ns/net"))
        var out = ""
        for _ in 0..<100 where InitHarness.lines(out).count < 2 {
            usleep(20_000)
            out = b.stdout
        }
        #expect(InitHarness.lines(out) == ["berth-test", "lo"], "\(out) \(b.stderr)")
    }

    private func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buf, buf.count - 1)
        try #require(n > 0, "readlink \(path)")
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension InitLifecycleTests {
    /// Exec joins every namespace the container has, including cgroup and time ones.
    @Test func execJoinsCgroupAndTimeNamespaces() throws {
        try InitHarness.requireRoot()
        let c = try SleepingContainer { $0.linux!.namespaces! += [.init(type: "cgroup"), .init(type: "time")] }
        let e = try c.exec(c.spec.process!, waitInit: false)
        defer { InitHarness.kill(e.pid); InitHarness.cleanup(e.stateDir) }
        let pid = try #require(e.pid, "\(e.lines)")
        for ns in ["ipc", "uts", "net", "pid", "mnt", "cgroup", "time"] {
            let theirs = try readLink("/proc/\(c.pid)/ns/\(ns)")
            #expect(try readLink("/proc/\(pid)/ns/\(ns)") == theirs, "\(ns)")
            #expect(try readLink("/proc/self/ns/\(ns)") != theirs, "\(ns) is not private")
        }
    }
}

import BerthCgroups
import BerthSys
import CBerth
import Foundation
import Glibc
import Testing

/// Real cgroups on the real kernel (this host: v1 controllers + an empty cgroup2, i.e. hybrid).
/// Every test makes its own `berth/itest-*` groups and removes them in a defer, even on failure.
/// Root only: the tests fail (not skip) without root.
@Suite(.serialized) struct CgroupTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let berth = repo + "/.build/debug/berth"
    static let busybox = "/bin/busybox"

    func requireRoot() throws {
        try #require(getuid() == 0, "cgroup integration tests must run as root")
    }

    func group(_ name: String) throws -> CgroupPath { try CgroupPath("berth/itest-\(name)-\(getpid())") }

    /// Run the built `berth` binary; returns exit status and stderr.
    func runBerth(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.berth)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The `berth/run-N` group the CLI reported.
    func reportedGroup(_ stderr: String) throws -> CgroupPath {
        let line = try #require(stderr.split(separator: "\n").first { $0.hasPrefix("berth: cgroup: ") })
        let raw = line.dropFirst("berth: cgroup: ".count).split(separator: " ").first.map(String.init) ?? ""
        return try CgroupPath(raw)
    }

    func assertGone(_ path: CgroupPath, _ driver: any CgroupDriver) {
        #expect(!driver.exists(path))
        for d in driver.directories(path) { #expect(!Files.exists(d), "\(d) left behind") }
    }

    func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    func parent(of pid: pid_t) -> pid_t? {
        guard let status = try? Files.read("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("PPid:") {
            return pid_t(line.dropFirst(5).trimmingCharacters(in: " \t"))
        }
        return nil
    }

    func reap(_ pid: pid_t) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    @Test func detectsHostMode() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        #expect(driver.mode == (try Cgroups.detect()))
        let r = try runBerth(["cgroup", "info"])
        #expect(r.status == 0)
    }

    @Test func memoryHogIsOOMKilledAndReported() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("oom")
        defer { try? driver.remove(path) }
        let r = try runBerth(["cgroup", "run", "--cgroup", path.relative, "--memory", "64m", "--", Self.busybox,
                              "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"])
        #expect(r.status == 137, "\(r.stderr)")
        #expect(r.stderr.contains("berth: OOM killed: yes"), "\(r.stderr)")
        #expect(r.stderr.contains("killed by signal 9"), "\(r.stderr)")
        #expect(try reportedGroup(r.stderr) == path)
        assertGone(path, driver)
    }

    @Test func plainKill9IsNotOOM() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("kill9")
        defer { try? driver.remove(path) }
        let r = try runBerth(["cgroup", "run", "--cgroup", path.relative, "--memory", "64m", "--",
                              Self.busybox, "sh", "-c", "kill -9 $$"])
        #expect(r.status == 137, "\(r.stderr)")
        #expect(r.stderr.contains("berth: OOM killed: no"), "\(r.stderr)")
        assertGone(path, driver)
    }

    @Test func commandExitStatusIsPassedThrough() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        // The default group name is berth/run-<pid of berth>; removed by berth itself.
        let r = try runBerth(["cgroup", "run", "--pids", "10", "--", Self.busybox, "sh", "-c", "exit 7"])
        let path = try reportedGroup(r.stderr)
        defer { try? driver.remove(path) }
        #expect(path.relative.hasPrefix("berth/run-"))
        #expect(r.status == 7, "\(r.stderr)")
        #expect(r.stderr.contains("berth: exit: status 7"))
        assertGone(path, driver)
    }

    @Test func signalsAreForwardedAndTheGroupRemoved() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("cli")
        defer { try? driver.remove(path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.berth)
        p.arguments = ["cgroup", "run", "--cgroup", path.relative, "--memory", "32m", "--", Self.busybox, "sleep", "1000"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(waitFor(seconds: 5) { ((try? driver.processes(path)) ?? []).count == 1 })
        p.terminate()  // SIGTERM to berth, which forwards it to the command
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + SIGTERM)
        assertGone(path, driver)
    }

    /// The CLI's sizes and CPU numbers reach the kernel as the v1 (or v2) files and values, and
    /// `--explain` shows every write.
    @Test func explainShowsEveryWrite() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("explain")
        defer { try? driver.remove(path) }
        let r = try runBerth(["cgroup", "run", "--explain", "--cgroup", path.relative, "--memory", "1g",
                              "--memory-reservation", "512k", "--cpus", "1.5", "--cpu-shares", "512", "--pids", "64",
                              "--", Self.busybox, "true"])
        #expect(r.status == 0, "\(r.stderr)")
        let dirs = driver.directories(path)
        func dir(_ controller: String) -> String {
            dirs.first { $0.contains("/\(controller)/") || $0.contains(",\(controller)/") || $0.contains("/\(controller),") } ?? dirs[0]
        }
        let expected: [String]
        if driver.mode == .v2 {
            let d = dirs[0]
            expected = ["write 1073741824 > \(d)/memory.max", "write 524288 > \(d)/memory.low",
                        "write 150000 100000 > \(d)/cpu.max", "write 59 > \(d)/cpu.weight", "write 64 > \(d)/pids.max"]
        } else {
            expected = ["write 1073741824 > \(dir("memory"))/memory.limit_in_bytes",
                        "write 524288 > \(dir("memory"))/memory.soft_limit_in_bytes",
                        "write 100000 > \(dir("cpu"))/cpu.cfs_period_us", "write 150000 > \(dir("cpu"))/cpu.cfs_quota_us",
                        "write 512 > \(dir("cpu"))/cpu.shares", "write 64 > \(dir("pids"))/pids.max"]
        }
        for line in expected { #expect(r.stderr.contains("berth: [cgroup] \(line)\n"), "missing \(line)") }
        for d in dirs {
            #expect(r.stderr.contains("berth: [cgroup] mkdir \(d)\n"))
            #expect(r.stderr.contains("berth: [cgroup] rmdir \(d)\n"))
        }
        assertGone(path, driver)
    }

    @Test func closedStderrDoesNotLeaveTheGroupBehind() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("epipe")
        defer { try? driver.remove(path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.berth)
        p.arguments = ["cgroup", "run", "--explain", "--cgroup", path.relative, "--memory", "32m", "--",
                       Self.busybox, "sleep", "0.3"]
        let err = Pipe()
        p.standardError = err
        try err.fileHandleForReading.close()  // every --explain line now meets EPIPE
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        assertGone(path, driver)
    }

    @Test func killCommandKillsTheWholeGroup() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("killcmd")
        defer { try? driver.remove(path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.berth)
        p.arguments = ["cgroup", "run", "--cgroup", path.relative, "--", Self.busybox, "sh", "-c",
                       "(\(Self.busybox) sleep 1003 &); exec \(Self.busybox) sleep 1004"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(waitFor(seconds: 5) { ((try? driver.processes(path)) ?? []).count == 2 })
        let pids = try driver.processes(path)
        let starts = pids.map { Proc.startTime($0) ?? 0 }
        let k = try runBerth(["cgroup", "kill", "--explain", path.relative])
        #expect(k.status == 0, "\(k.stderr)")
        #expect(k.stderr.contains("FROZEN") || k.stderr.contains("cgroup.kill"), "\(k.stderr)")
        p.waitUntilExit()
        #expect(p.terminationStatus == 137)
        for (pid, start) in zip(pids, starts) { #expect(!Proc.isAlive(pid, startTime: start)) }
        assertGone(path, driver)
    }

    @Test func nestedGroupsKeepTheirParent() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let task = try group("task")
        defer { try? driver.remove(task) }
        let r = try runBerth(["cgroup", "run", "--cgroup", task.relative + "/web", "--memory", "32m", "--",
                              Self.busybox, "true"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(driver.exists(task))
        #expect(!driver.exists(try task.child("web")))
        let again = try runBerth(["cgroup", "run", "--cgroup", task.relative, "--", Self.busybox, "true"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
        let outside = try runBerth(["cgroup", "run", "--cgroup", "system.slice/x", "--", Self.busybox, "true"])
        #expect(outside.status == 2)
        #expect(outside.stderr.contains("outside Berth's berth/ subtree"), "\(outside.stderr)")
        try driver.remove(task)
        assertGone(task, driver)
    }

    @Test func childIsInItsGroupBeforeExec() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("join")
        defer { try? driver.remove(path) }
        try driver.create(path, resources: CgroupResources(memoryLimit: 64 << 20))
        let pipe = try makePipe()
        var options = SpawnOptions()
        options.stdout = pipe.write.rawValue
        let pid = try driver.spawn([Self.busybox, "cat", "/proc/self/cgroup"], in: path, options: options)
        pipe.write.close()
        let out = String(decoding: try pipe.read.readAll(), as: UTF8.self)
        pipe.read.close()
        reap(pid)
        // Every hierarchy Berth uses lists the group for the command's very first process image.
        let lines = out.split(separator: "\n").filter { $0.hasSuffix(":/" + path.relative) }
        #expect(lines.count == driver.placement(path).joinFiles.count, "\(out)")
        #expect(out.contains("memory:/" + path.relative))
    }

    @Test func forkBombStopsAtPidsLimit() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("bomb")
        defer {
            try? driver.remove(path)
            assertGone(path, driver)
        }
        try driver.create(path, resources: CgroupResources(pidsLimit: 20))
        var options = SpawnOptions()
        options.stderr = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let pid = try driver.spawn([Self.busybox, "sh", "-c", "b() { b | b & }; b; sleep 30"], in: path, options: options)
        close(options.stderr)
        defer { kill(pid, SIGKILL); reap(pid) }
        #expect(waitFor(seconds: 10) { ((try? driver.stats(path))?.pidsLimitHits ?? 0) > 0 }, "pids limit never hit")
        var maxSeen: UInt64 = 0
        for _ in 0..<20 {
            maxSeen = max(maxSeen, (try driver.stats(path)).pidsCurrent)
            usleep(50_000)
        }
        #expect(maxSeen <= 20)
        #expect(maxSeen >= 10, "the bomb did not grow: \(maxSeen)")
        // The host can still start processes.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/bin/true")
        try probe.run()
        probe.waitUntilExit()
        #expect(probe.terminationStatus == 0)
        try driver.remove(path)
        assertGone(path, driver)
    }

    @Test func cpuQuotaHalfACPU() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("cpu")
        defer { try? driver.remove(path) }
        // Maximum shares: on this busy shared host the group then gets all the CPU it asks for
        // against other work, so only the quota limits it (shares never lift a quota).
        try driver.create(path, resources: CgroupResources(cpuShares: 262_144, cpuQuota: 50_000, cpuPeriod: 100_000))
        let pid = try driver.spawn([Self.busybox, "sh", "-c", "while :; do :; done"], in: path)
        defer { kill(pid, SIGKILL); reap(pid) }
        usleep(300_000)
        // The quota must never be exceeded. Reaching it depends on the host having the CPU to
        // give (this 2-core host is shared by many builds): a window counts only if the group was
        // throttled in most periods, i.e. it really ran into its quota rather than being starved.
        var windows: [(share: Double, throttled: Double)] = []
        for _ in 0..<3 {
            let s0 = try driver.stats(path)
            let t0 = berth_monotonic_ns()
            usleep(3_000_000)
            let s1 = try driver.stats(path)
            let share = Double(s1.cpuUsageNanos - s0.cpuUsageNanos) / Double(berth_monotonic_ns() - t0)
            let periods = Double((s1.cpuPeriods ?? 0) - (s0.cpuPeriods ?? 0))
            let throttled = periods > 0 ? Double((s1.cpuThrottledPeriods ?? 0) - (s0.cpuThrottledPeriods ?? 0)) / periods : 0
            windows.append((share, throttled))
            #expect(share <= 0.60, "busy loop under a 0.5 CPU quota used \(share) of one CPU")
            if (0.40...0.60).contains(share) { break }
            // Throttled in most periods means it ran into its quota: then the share must fit.
            #expect(throttled < 0.5, "throttled in \(throttled) of periods yet used \(share) of one CPU")
        }
        if !windows.contains(where: { (0.40...0.60).contains($0.share) }) {
            print("cpuQuotaHalfACPU: host saturated, the loop never reached its quota: \(windows)")
        }
    }

    @Test func killAllGetsDoubleForkedDaemonAndRemoveLeavesNothing() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let top = try group("daemon")
        let leaf = try top.child("app")
        let sibling = try top.child("sidecar")
        defer {
            try? driver.remove(top)
            assertGone(top, driver)
        }
        try driver.create(leaf, resources: CgroupResources(memoryLimit: 64 << 20, pidsLimit: 50))
        try driver.create(sibling, resources: CgroupResources())
        // The subshell forks sleep and exits: that sleep is re-parented away from us (a daemon).
        let pid = try driver.spawn([Self.busybox, "sh", "-c", "(\(Self.busybox) sleep 1000 &); exec \(Self.busybox) sleep 1001"], in: leaf)
        let pid2 = try driver.spawn([Self.busybox, "sleep", "1002"], in: sibling)
        // Wait for the subshell to be gone: left are `sleep 1001` (our child) and the daemon.
        #expect(waitFor(seconds: 10) { ((try? driver.processes(leaf)) ?? []).count == 2 })
        let pids = try driver.processes(leaf) + driver.processes(sibling)
        let starts = pids.map { Proc.startTime($0) }
        #expect(pids.count == 3, "\(pids)")
        let daemons = pids.filter { parent(of: $0) != getpid() }
        #expect(daemons.count == 1, "expected one re-parented daemon among \(pids)")
        try driver.killAll(top)
        reap(pid)
        reap(pid2)
        for (p, start) in zip(pids, starts) {
            #expect(!Proc.isAlive(p, startTime: start ?? 0), "pid \(p) survived killAll")
        }
        #expect(try driver.processes(leaf).isEmpty)
        #expect(try driver.processes(sibling).isEmpty)
        try driver.remove(top)
        assertGone(top, driver)
        assertGone(leaf, driver)
    }

    @Test func removeKillsWhatIsStillRunning() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("busy")
        defer { try? driver.remove(path) }
        try driver.create(path, resources: CgroupResources())
        let pid = try driver.spawn([Self.busybox, "sh", "-c", "sleep 1000 & sleep 1000 & wait"], in: path)
        #expect(waitFor(seconds: 5) { ((try? driver.processes(path)) ?? []).count == 3 })
        try driver.remove(path)
        reap(pid)
        assertGone(path, driver)
    }

    @Test func memoryAndSwapLimitsOnTheKernel() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("swap")
        defer { try? driver.remove(path) }
        try driver.create(path, resources: CgroupResources(memoryLimit: 64 << 20, memoryReservation: 32 << 20,
                                                           memorySwap: 96 << 20, swappiness: 0))
        if let v1 = driver as? CgroupV1Driver, let d = v1.directory(path, controller: "memory") {
            #expect(try Files.read(d + "/memory.limit_in_bytes") == "67108864\n")
            #expect(try Files.read(d + "/memory.soft_limit_in_bytes") == "33554432\n")
            if Files.exists(d + "/memory.memsw.limit_in_bytes") {
                #expect(try Files.read(d + "/memory.memsw.limit_in_bytes") == "100663296\n")
            }
            #expect(try Files.read(d + "/memory.swappiness") == "0\n")
        }
        // Raising both (memsw must move first) and lowering both (limit first) are accepted.
        try driver.apply(path, resources: CgroupResources(memoryLimit: 256 << 20, memorySwap: 512 << 20))
        try driver.apply(path, resources: CgroupResources(memoryLimit: 32 << 20, memorySwap: 32 << 20))
        #expect(try driver.stats(path).memoryLimit == 32 << 20)
    }

    @Test func outOfRangeValuesCreateNothing() throws {
        try requireRoot()
        let driver = try Cgroups.driver()
        let path = try group("bad")
        defer { try? driver.remove(path) }
        let bad: [CgroupResources] = [CgroupResources(memoryLimit: -5), CgroupResources(cpuShares: 1),
                                      CgroupResources(cpuShares: 300_000), CgroupResources(cpuQuota: 50_000, cpuPeriod: 0),
                                      CgroupResources(pidsLimit: 0)]
        for r in bad {
            #expect(throws: CgroupError.self) { try driver.create(path, resources: r) }
            assertGone(path, driver)
        }
        let before = berthRunGroups(driver)
        let r = try runBerth(["cgroup", "run", "--cpu-shares", "1", "--", "/bin/true"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--cpu-shares: 1 must be in 2...262144"), "\(r.stderr)")
        let m = try runBerth(["cgroup", "run", "--memory", "-5", "--", "/bin/true"])
        #expect(m.status == 2)
        #expect(berthRunGroups(driver) == before)
    }

    func berthRunGroups(_ driver: any CgroupDriver) -> [String] {
        guard let dir = driver.directories(try! CgroupPath("berth")).first else { return [] }
        return ((try? Files.list(dir)) ?? []).filter { $0.hasPrefix("run-") }.sorted()
    }

    @Test func refusesPathsOutsideBerth() throws {
        try requireRoot()
        #expect(throws: CgroupError.self) { try CgroupPath("system.slice") }
        #expect(throws: CgroupError.self) { try CgroupPath("berth/../user.slice") }
    }
}

import BerthCgroups
import BerthOCI
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth cgroup`: look at the host's cgroups and run a command under limits. A learning and
/// debugging tool (with `--explain` it prints every file written) and the driver of the VM test.
struct CgroupCommand: CLICommand {
    static let name = "cgroup"
    static let summary = "show the host's cgroups; run a command under cgroup limits"
    static let usage = """
    usage: berth cgroup info
           berth cgroup run [options] [--explain] -- COMMAND [ARG...]
           berth cgroup kill [--freeze] berth/PATH
           berth cgroup remove berth/PATH

    info     the cgroup mode (v1, v2, hybrid), hierarchies, controllers and Berth's groups
    run      create berth/run-<pid> with the limits, run COMMAND inside it (it joins the group
             before execve), print its exit, OOM kill, CPU time and memory peak, remove the group,
             and exit with COMMAND's exit status (128+N if killed by signal N)
    kill     SIGKILL every process in a Berth group and its children, daemons included (v2:
             cgroup.kill; with --freeze, or on v1: freeze, kill each pid, thaw, until empty)
    remove   kill everything in a Berth group and remove it (for cleaning up by hand)

    run options:
      --memory SIZE              hard memory limit (bytes, or with k/m/g suffix: 64m)
      --memory-reservation SIZE  soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low)
      --memory-swap SIZE         memory plus swap (like docker; = --memory: no swap; -1: unlimited)
      --swappiness N             0..100 (cgroup v1 only; v2 has no such setting)
      --cpus N                   CPU quota in CPUs, e.g. 0.5 (quota = N x period)
      --cpu-period US            CFS period in microseconds (default 100000)
      --cpu-shares N             relative weight 2..262144 (v2: converted to cpu.weight)
      --pids N                   maximum number of processes and threads
      --cpuset-cpus LIST         CPUs the group may use, e.g. 0-1
      --cgroup berth/PATH        the group to create instead of berth/run-<pid> (must not exist;
                                 missing parents are created and kept, like a task's group)
      --explain                  print every cgroup file written
    """

    static func run(_ args: [String]) throws -> Int32 {
        // A closed stderr pipe (e.g. `--explain 2>&1 | head`) must not kill berth before it has
        // removed its group: write errors are ignored instead (commands get SIGPIPE back at spawn).
        signal(SIGPIPE, SIG_IGN)
        guard let sub = args.first else { throw UsageError("missing subcommand (info, run, kill or remove)") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "info": return try info(rest)
        case "run": return try runCommand(rest)
        case "kill": return try killCommand(rest)
        case "remove", "rm": return try remove(rest)
        default: throw UsageError("unknown subcommand \(sub.debugDescription) (info, run, kill or remove)")
        }
    }

    // MARK: info

    static func info(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, spec: .init(flags: ["--explain"]))
        if parsed.has("--explain") { Trace.enable() }
        if !parsed.positionals.isEmpty { throw UsageError("info takes no arguments") }
        let mode = try Cgroups.detect()
        let driver = try Cgroups.driver()
        print("mode: \(mode.rawValue)")
        var berthDirs: [String] = []
        if let v1 = driver as? CgroupV1Driver {
            print("driver: v1 (\(v1.hierarchies.count) hierarchies)")
            for h in v1.hierarchies {
                print("  " + h.controllers.joined(separator: ",").padding(18) + h.mountPoint)
            }
            if mode == .hybrid {
                let unified = Cgroups.defaultRoot + "/unified"
                let controllers = ((try? Files.read(unified + "/cgroup.controllers")) ?? "").trimmingCharacters(in: " \n")
                print("unified: \(unified) (controllers: \(controllers.isEmpty ? "none" : controllers); not used for limits)")
            }
            berthDirs = v1.hierarchies.map { $0.mountPoint + "/berth" }
        } else if let v2 = driver as? CgroupV2Driver {
            print("driver: v2 at \(v2.root)")
            print("  cgroup.controllers:     " + ((try? Files.read(v2.root + "/cgroup.controllers")) ?? "?").trimmingCharacters(in: " \n"))
            print("  cgroup.subtree_control: " + ((try? Files.read(v2.root + "/cgroup.subtree_control")) ?? "?").trimmingCharacters(in: " \n"))
            berthDirs = [v2.root + "/berth"]
        }
        print("berth groups:")
        // Groups as seen in the first hierarchy (they exist in all of them).
        let top = berthDirs.first ?? ""
        let groups = listGroups(top, relative: "berth")
        if groups.isEmpty { print("  (none)") }
        for g in groups {
            let path = try CgroupPath(g)
            let stats = try? driver.stats(path)
            let procs = (try? driver.processes(path))?.count ?? 0
            var line = "  " + g.padding(32) + "processes \(procs)"
            if let s = stats {
                line += ", memory \(formatBytes(s.memoryCurrent))"
                if let l = s.memoryLimit { line += " of \(formatBytes(l))" }
                line += ", cpu \(formatSeconds(s.cpuUsageNanos))"
            }
            print(line)
        }
        return 0
    }

    /// Every group below `dir`, parents before children, as relative paths.
    static func listGroups(_ dir: String, relative: String) -> [String] {
        guard Files.isDirectory(dir) else { return [] }
        var out: [String] = relative == "berth" ? [] : [relative]
        for name in ((try? Files.list(dir)) ?? []).sorted() where Files.isDirectory(dir + "/" + name) {
            out += listGroups(dir + "/" + name, relative: relative + "/" + name)
        }
        return out
    }

    // MARK: kill

    static func killCommand(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, spec: .init(flags: ["--explain", "--freeze"]))
        if parsed.has("--explain") { Trace.enable() }
        let path = try CgroupPath(try parsed.positional(0, "cgroup path (berth/...)"))
        let driver = try Cgroups.driver()
        guard driver.exists(path) else { throw CgroupError.notFound(path.relative) }
        if parsed.has("--freeze"), let v2 = driver as? CgroupV2Driver {
            try v2.killAllByFreezing(path)
        } else {
            try driver.killAll(path)
        }
        return 0
    }

    // MARK: remove

    static func remove(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, spec: .init(flags: ["--explain"]))
        if parsed.has("--explain") { Trace.enable() }
        let raw = try parsed.positional(0, "cgroup path (berth/...)")
        let path = try CgroupPath(raw)
        let driver = try Cgroups.driver()
        guard driver.exists(path) else { throw CgroupError.notFound(path.relative) }
        try driver.remove(path)
        return 0
    }

    // MARK: run

    static func runCommand(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, spec: .init(
            flags: ["--explain"],
            options: ["--memory", "--memory-reservation", "--memory-swap", "--swappiness", "--cpus", "--cpu-period", "--cpu-shares", "--pids",
                      "--cpuset-cpus", "--cgroup"],
            aliases: ["-m": "--memory"]))
        if parsed.has("--explain") { Trace.enable() }
        let command = parsed.positionals
        if command.isEmpty { throw UsageError("missing COMMAND (after --)") }
        let resources = try resources(parsed)
        let driver = try Cgroups.driver()
        var path = try CgroupPath("berth/run-\(getpid())")
        if let raw = parsed.value("--cgroup") {
            do { path = try CgroupPath(raw) } catch { throw UsageError("option --cgroup: \(error)") }
            if path.levels.count < 2 { throw UsageError("option --cgroup: give a group below berth/, e.g. berth/demo") }
            if driver.exists(path) {
                throw UsageError("option --cgroup: \(path) already exists (berth cgroup run creates and removes its own group)")
            }
        }
        try driver.create(path, resources: resources)
        var status: Int32 = 0
        do {
            status = try runInGroup(command, path: path, driver: driver)
        } catch {
            removeReporting(path, driver)
            throw error
        }
        removeReporting(path, driver)
        return status
    }

    static func removeReporting(_ path: CgroupPath, _ driver: any CgroupDriver) {
        do { try driver.remove(path) } catch { printErr("berth: removing cgroup \(path): \(error)") }
    }

    static func resources(_ a: Arguments) throws(UsageError) -> CgroupResources {
        var r = CgroupResources()
        if let m = a.value("--memory") { r.memoryLimit = try parseBytes(m, option: "--memory") }
        if let m = a.value("--memory-reservation") { r.memoryReservation = try parseBytes(m, option: "--memory-reservation") }
        if let m = a.value("--memory-swap") { r.memorySwap = m == "-1" ? -1 : try parseBytes(m, option: "--memory-swap") }
        if let sw = try a.int("--swappiness", range: 0...100) { r.swappiness = UInt64(sw) }
        if let s = try a.int("--cpu-shares") {
            guard s > 0 else { throw UsageError("option --cpu-shares: \(s) must be in 2...262144") }
            r.cpuShares = UInt64(s)
        }
        if let p = try a.int("--cpu-period") {
            guard p > 0 else { throw UsageError("option --cpu-period: \(p) must be in 1000...1000000") }
            r.cpuPeriod = UInt64(p)
        }
        if let c = a.value("--cpus") {
            guard let cpus = Double(c), cpus > 0, cpus.isFinite else {
                throw UsageError("option --cpus: \(c.debugDescription) is not a positive number of CPUs")
            }
            let period = r.cpuPeriod ?? CgroupResources.defaultCpuPeriod
            let quota = (cpus * Double(period)).rounded()
            guard quota < 1e15 else { throw UsageError("option --cpus: \(c) is too large") }
            guard quota >= 1000 else {
                throw UsageError("option --cpus: \(c) CPUs is a quota of \(Int(quota)) µs per \(period) µs period; the kernel's minimum quota is 1000 µs")
            }
            r.cpuQuota = Int64(quota)
        }
        if let p = try a.int("--pids") { r.pidsLimit = Int64(p) }
        r.cpusetCpus = a.value("--cpuset-cpus")
        do { try r.validate() } catch {
            // Name the flag, not the field.
            if case .invalidValue(let field, let value, let reason) = error {
                let flag = ["memoryLimit": "--memory", "memoryReservation": "--memory-reservation",
                            "memorySwap": "--memory-swap", "swappiness": "--swappiness",
                            "cpuShares": "--cpu-shares", "cpuQuota": "--cpus", "cpuPeriod": "--cpu-period",
                            "pidsLimit": "--pids", "cpusetCpus": "--cpuset-cpus"][field] ?? field
                throw UsageError("option \(flag): \(value) \(reason)")
            }
            throw UsageError(error.description)
        }
        return r
    }

    /// "1048576", "512k", "64m", "1g", "64MiB", "64mb".
    static func parseBytes(_ raw: String, option: String) throws(UsageError) -> Int64 {
        guard let value = ByteSize.parse(raw) else {
            throw UsageError("option \(option): \(raw.debugDescription) is not a size (bytes, or a number with k, m, g, t)")
        }
        return value
    }

    /// Spawn, forward SIGINT/SIGTERM/SIGHUP/SIGQUIT, wait, report. Returns the exit status to use.
    static func runInGroup(_ command: [String], path: CgroupPath, driver: any CgroupDriver) throws -> Int32 {
        // Blocked and taken with sigtimedwait: SIGCHLD wakes us the moment the command exits,
        // the others are forwarded to it (the child's mask is reset by berth_spawn).
        let forwarded = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        var set = sigset_t()
        sigemptyset(&set)
        for s in forwarded + [SIGCHLD] { sigaddset(&set, s) }
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }

        let start = berth_monotonic_ns()
        let pid = try driver.spawn(command, in: path)
        var status: Int32 = 0
        while true {
            let (r, e) = Sys.attempt { waitpid(pid, &status, WNOHANG) }
            if r == pid { break }
            if r < 0 { throw SysError("waitpid", errno: e, detail: "pid \(pid)") }
            var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let sig = sigtimedwait(&set, nil, &timeout)
            if sig > 0 && sig != SIGCHLD { kill(pid, sig) }
        }
        let wall = berth_monotonic_ns() - start
        var stats = try driver.stats(path)
        let exit = ExitStatus(status)
        let signal = exit.signal ?? 0
        if signal == SIGKILL && stats.oomKills == 0 {
            // The OOM killer counts its kill right after sending SIGKILL: give it a moment.
            usleep(50_000)
            stats.oomKills = driver.oomKillCount(path)
        }
        let oom = signal == SIGKILL && stats.oomKills > 0
        report(command: command, status: status, stats: stats, wallNanos: wall, oom: oom, path: path, driver: driver)
        return exit.code
    }

    static func report(command: [String], status: Int32, stats s: CgroupStats, wallNanos: Int64, oom: Bool,
                       path: CgroupPath, driver: any CgroupDriver) {
        var lines: [String] = []
        lines.append("cgroup: \(path) (\(driver.mode.rawValue))")
        if let sig = ExitStatus(status).signal {
            lines.append("exit: killed by signal \(sig) (\(String(cString: strsignal(sig))))")
        } else {
            lines.append("exit: status \(berth_wexitstatus(status))")
        }
        lines.append("OOM killed: \(oom ? "yes" : "no") (oom_kill counter \(s.oomKills))")
        let share = wallNanos > 0 ? Double(s.cpuUsageNanos) / Double(wallNanos) * 100 : 0
        var cpu = "cpu time: \(formatSeconds(s.cpuUsageNanos)) in \(formatSeconds(UInt64(max(wallNanos, 0)))) wall"
        cpu += " (\(formatFixed(share, 1))% of one CPU)"
        if let t = s.cpuThrottledPeriods { cpu += ", throttled \(t) periods" }
        lines.append(cpu)
        lines.append("cpu usage ns: \(s.cpuUsageNanos) wall ns: \(wallNanos)")
        lines.append("memory peak: " + (s.memoryPeak.map { "\(formatBytes($0)) (\($0) bytes)" } ?? "n/a"))
        var pids = "pids peak: " + (s.pidsPeak.map { String($0) } ?? "n/a (no pids.peak on this kernel)")
        if let hits = s.pidsLimitHits { pids += ", pids limit hit \(hits) times" }
        lines.append(pids)
        for l in lines { printErr("berth: " + l) }
    }

    static func formatBytes(_ b: UInt64) -> String {
        if b >= 1 << 30 { return formatFixed(Double(b) / Double(1 << 30), 1) + " GiB" }
        if b >= 1 << 20 { return formatFixed(Double(b) / Double(1 << 20), 1) + " MiB" }
        if b >= 1 << 10 { return formatFixed(Double(b) / Double(1 << 10), 1) + " KiB" }
        return "\(b) B"
    }

    static func formatSeconds(_ ns: UInt64) -> String { formatFixed(Double(ns) / 1e9, 3) + " s" }

    /// Fixed-point formatting without Foundation.
    static func formatFixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((v * scale).rounded())
        let whole = n / Int64(scale)
        var frac = String(abs(n % Int64(scale)))
        while frac.count < digits { frac = "0" + frac }
        return digits == 0 ? String(whole) : "\(whole).\(frac)"
    }
}

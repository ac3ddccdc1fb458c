import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2 (unified): one tree at `root`. Controllers are enabled top-down through
/// `cgroup.subtree_control`; because of the "no internal processes" rule, a group that has child
/// groups (a task group) holds no processes itself — only leaves do.
public struct CgroupV2Driver: CgroupDriver {
    public let root: String
    public let mode: CgroupMode = .v2
    /// Whether `create` may enable missing controllers in `<root>/cgroup.subtree_control`.
    /// That file is the only one outside `berth/` Berth ever writes, and only on a pure v2 host
    /// (where the init system normally has them enabled already, and enabling is harmless:
    /// it only lets child groups use controllers the kernel has). Off in tests and in hybrid.
    public let enableRootControllers: Bool
    var files: CgroupFiles

    /// The controllers every Berth group gets (cpuset only when a group asks for it).
    public static let baseControllers = ["cpu", "memory", "pids"]

    public init(root: String = Cgroups.defaultRoot, enableRootControllers: Bool = false) {
        self.root = root
        self.enableRootControllers = enableRootControllers
        self.files = CgroupFiles(bases: [root])
    }

    public func directory(_ path: CgroupPath) -> String { root + "/" + path.relative }

    // MARK: create and limits

    public func create(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) {
        try resources.validate()
        var controllers = Self.baseControllers
        if resources.cpusetCpus != nil || resources.cpusetMems != nil { controllers.append("cpuset") }
        try ensureRootControllers(controllers)
        var created: [String] = []
        do {
            let levels = path.levels
            for (i, level) in levels.enumerated() {
                let d = root + "/" + level
                if try files.makeDirectory(d) { created.append(d) }
                if i < levels.count - 1 { try enable(controllers, in: d) }
            }
            try write(path, resources)
        } catch {
            for d in created.reversed() { _ = try? files.removeDirectory(d) }
            throw error
        }
    }

    /// `<root>/cgroup.subtree_control` must list the controllers so Berth's groups can use them.
    func ensureRootControllers(_ controllers: [String]) throws(CgroupError) {
        let available = Set((files.readTrimmed(root + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
        let enabled = Set((files.readTrimmed(root + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let missingInKernel = controllers.filter { !available.contains($0) }
        if !missingInKernel.isEmpty {
            throw .unsupported("cgroup v2 controllers \(missingInKernel.joined(separator: ", ")) are not in \(root)/cgroup.controllers")
        }
        let missing = controllers.filter { !enabled.contains($0) }
        if missing.isEmpty { return }
        guard enableRootControllers else {
            throw .unsupported("cgroup v2 controllers \(missing.joined(separator: ", ")) are not enabled in \(root)/cgroup.subtree_control")
        }
        try files.writeUnchecked(root + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
    }

    /// Enable `controllers` for the children of `dir` (one of Berth's own groups).
    func enable(_ controllers: [String], in dir: String) throws(CgroupError) {
        let enabled = Set((files.readTrimmed(dir + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let missing = controllers.filter { !enabled.contains($0) }
        if missing.isEmpty { return }
        do {
            try files.write(dir + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
        } catch {
            if case .sys(let e) = error, e.errno == EBUSY {
                throw .busy("\(dir) has processes of its own, so it cannot hold child groups (cgroup v2 \"no internal processes\" rule)")
            }
            throw error
        }
    }

    public func apply(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) {
        try resources.validate()
        guard exists(path) else { throw .notFound(path.relative) }
        if resources.cpusetCpus != nil || resources.cpusetMems != nil {
            for level in path.levels.dropLast() { try enable(["cpuset"], in: root + "/" + level) }
        }
        try write(path, resources)
    }

    func write(_ path: CgroupPath, _ r: CgroupResources) throws(CgroupError) {
        let d = directory(path)
        if let m = r.memoryLimit { try files.write(d + "/memory.max", m == -1 ? "max" : String(m)) }
        if let swap = r.memorySwap, let m = r.memoryLimit {
            // v2 limits swap alone: memory.swap.max = (memory + swap) - memory.
            try files.write(d + "/memory.swap.max", swap == -1 ? "max" : String(swap - m))
        }
        if let sw = r.swappiness {
            Trace.step("cgroup", "swappiness \(sw) not applied: cgroup v2 has no memory.swappiness")
        }
        if let low = r.memoryReservation { try files.write(d + "/memory.low", low == -1 ? "0" : String(low)) }
        if let shares = r.cpuShares { try files.write(d + "/cpu.weight", String(CpuWeight.fromShares(shares))) }
        if let (quota, period) = r.cfs {
            // cpu.max takes both numbers at once; a period alone keeps the current quota.
            let q: String
            if let quota { q = quota == -1 ? "max" : String(quota) } else {
                q = files.readTrimmed(d + "/cpu.max")?.split(separator: " ").first.map(String.init) ?? "max"
            }
            try files.write(d + "/cpu.max", "\(q) \(period)")
        }
        if let p = r.pidsLimit { try files.write(d + "/pids.max", p == -1 ? "max" : String(p)) }
        if let cpus = r.cpusetCpus { try files.write(d + "/cpuset.cpus", cpus) }
        if let mems = r.cpusetMems { try files.write(d + "/cpuset.mems", mems) }
        if let rules = r.devices { try files.attachDeviceFilter(d, rules) }
    }

    // MARK: membership

    /// Created inside (clone3); `cgroup.procs` only on kernels without CLONE_INTO_CGROUP (v2 has no
    /// per-thread fast path: `cgroup.threads` moves threads only within one threaded subtree).
    public func placement(_ path: CgroupPath) -> CgroupPlacement {
        CgroupPlacement(cloneInto: directory(path), joinFiles: [directory(path) + "/cgroup.procs"])
    }

    public func addProcess(_ pid: Int32, to path: CgroupPath) throws(CgroupError) {
        try checkCanHoldProcesses(path)
        try files.write(directory(path) + "/cgroup.procs", String(pid))
    }

    /// Only leaves take processes: a group with controllers enabled for children would make the
    /// kernel refuse with a bare EBUSY, so say why instead.
    public func checkCanHoldProcesses(_ path: CgroupPath) throws(CgroupError) {
        guard exists(path) else { throw .notFound(path.relative) }
        let control = files.readTrimmed(directory(path) + "/cgroup.subtree_control") ?? ""
        if !control.isEmpty {
            throw .busy("\(path) holds child groups (controllers \(control) enabled for them), so it takes no processes (cgroup v2 \"no internal processes\" rule)")
        }
    }

    public func processes(_ path: CgroupPath) throws(CgroupError) -> [Int32] {
        guard exists(path) else { throw .notFound(path.relative) }
        return files.pids(directory(path)).sorted()
    }

    public func exists(_ path: CgroupPath) -> Bool { Files.isDirectory(directory(path)) }

    // MARK: stats

    public func stats(_ path: CgroupPath) throws(CgroupError) -> CgroupStats {
        guard exists(path) else { throw .notFound(path.relative) }
        let d = directory(path)
        var s = CgroupStats()
        let cpuStat = (try? Files.read(d + "/cpu.stat")) ?? ""
        s.cpuUsageNanos = (CgroupFiles.keyed(cpuStat, "usage_usec") ?? 0) * 1000
        s.cpuThrottledPeriods = CgroupFiles.keyed(cpuStat, "nr_throttled")
        s.cpuPeriods = CgroupFiles.keyed(cpuStat, "nr_periods")
        s.cpuThrottledNanos = CgroupFiles.keyed(cpuStat, "throttled_usec").map { $0 * 1000 }
        s.memoryCurrent = files.readNumber(d + "/memory.current") ?? 0
        s.memoryPeak = files.readNumber(d + "/memory.peak")
        s.memoryLimit = files.readNumber(d + "/memory.max")
        s.pidsCurrent = files.readNumber(d + "/pids.current") ?? 0
        s.pidsPeak = files.readNumber(d + "/pids.peak")
        s.pidsLimitHits = files.readKeyed(d + "/pids.events", "max")
        s.oomKills = files.readKeyed(d + "/memory.events", "oom_kill") ?? 0
        return s
    }

    public func oomKillCount(_ path: CgroupPath) -> UInt64 {
        files.readKeyed(directory(path) + "/memory.events", "oom_kill") ?? 0
    }

    public func oomCounterFile(_ path: CgroupPath) -> String? { directory(path) + "/memory.events" }

    public func pidsLimitHits(_ path: CgroupPath) -> UInt64? { files.readKeyed(directory(path) + "/pids.events", "max") }

    // MARK: kill and remove

    /// `cgroup.kill` (Linux 5.14+) kills the whole subtree atomically; older kernels get
    /// `killAllByFreezing`.
    public func killAll(_ path: CgroupPath) throws(CgroupError) {
        guard exists(path) else { return }
        let d = directory(path)
        if Files.exists(d + "/cgroup.kill") {
            try files.write(d + "/cgroup.kill", "1")
            if waitUnpopulated(d, millis: 2000) { return }
        }
        try killAllByFreezing(path)
    }

    /// The pre-5.14 way (also what v1 does): freeze the subtree so nothing can fork, SIGKILL every
    /// pid in it, thaw so the kills are delivered, repeat until it is empty.
    public func killAllByFreezing(_ path: CgroupPath) throws(CgroupError) {
        guard exists(path) else { return }
        let d = directory(path)
        for round in 0..<100 {
            if files.pidsRecursive(d).isEmpty { return }
            let canFreeze = Files.exists(d + "/cgroup.freeze")
            if canFreeze { try freeze(d) }
            let killed = files.pidsRecursive(d).compactMap { files.kill($0, in: path.relative) }
            if canFreeze { try files.write(d + "/cgroup.freeze", "0") }
            files.waitExited(killed, millis: round < 10 ? 5 : 50)
        }
        let left = files.pidsRecursive(d)
        throw .busy("\(path) still has processes \(left) after 100 rounds of SIGKILL (stuck in uninterruptible sleep?)")
    }

    func freeze(_ dir: String) throws(CgroupError) {
        try files.write(dir + "/cgroup.freeze", "1")
        for _ in 0..<200 {
            if files.readKeyed(dir + "/cgroup.events", "frozen") == 1 { return }
            sleepMillis(5)
        }
        Trace.step("cgroup", "\(dir) not frozen after 1 s, killing anyway")
    }

    /// Wait for `populated 0` in cgroup.events (no process left in the subtree).
    func waitUnpopulated(_ dir: String, millis: Int) -> Bool {
        var waited = 0
        while waited <= millis {
            let populated = files.readKeyed(dir + "/cgroup.events", "populated")
            if populated == 0 || populated == nil { return true }
            sleepMillis(5)
            waited += 5
        }
        return false
    }

    public func remove(_ path: CgroupPath) throws(CgroupError) {
        let d = directory(path)
        // An empty group without children goes with one rmdir (EBUSY otherwise: kill and walk).
        if try files.removeDirectory(d) { return }
        try killAll(path)
        if !waitUnpopulated(d, millis: 10_000) {
            throw .sys(SysError("wait for populated 0 in", errno: EBUSY, detail: d + "/cgroup.events"))
        }
        try files.removeLeavesFirst(d) { () throws(CgroupError) in try killAll(path) }
    }
}

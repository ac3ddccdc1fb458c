import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1: one directory per hierarchy (`<mount>/berth/...`), e.g. on this host cpu and cpuacct
/// are separate mounts, elsewhere they are co-mounted as `cpu,cpuacct`. A process joins the group
/// by writing its pid to `cgroup.procs` in every hierarchy.
public struct CgroupV1Driver: CgroupDriver {
    public let hierarchies: [V1Hierarchy]
    public let mode: CgroupMode
    var files: CgroupFiles

    /// `hierarchies` as found by `V1Hierarchy.parse`; tests pass directories of a fake cgroupfs.
    public init(hierarchies: [V1Hierarchy], mode: CgroupMode = .v1) {
        self.hierarchies = hierarchies
        self.mode = mode
        self.files = CgroupFiles(bases: hierarchies.map { $0.mountPoint })
    }

    /// The hierarchies mounted below `root` according to `mountinfo` (the text of
    /// /proc/self/mountinfo; tests pass one whose mount points are in a fake cgroupfs).
    public init(root: String = Cgroups.defaultRoot, mountinfo: String, mode: CgroupMode = .v1) {
        self.init(hierarchies: V1Hierarchy.parse(mountinfo: mountinfo, under: root), mode: mode)
    }

    /// The group's directory in the hierarchy holding `controller`, if it is mounted.
    public func directory(_ path: CgroupPath, controller: String) -> String? {
        hierarchies.first { $0.controllers.contains(controller) }.map { $0.mountPoint + "/" + path.relative }
    }

    func dir(_ path: CgroupPath, _ controller: String) throws(CgroupError) -> String {
        guard let d = directory(path, controller: controller) else {
            throw .unsupported("cgroup v1 controller \(controller) is not mounted")
        }
        return d
    }

    func allDirectories(_ path: CgroupPath) -> [String] {
        hierarchies.map { $0.mountPoint + "/" + path.relative }
    }

    // MARK: create and limits

    public func create(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) {
        try resources.validate()
        for controller in resources.neededControllers { _ = try dir(path, controller) }
        var created: [String] = []
        do {
            for h in hierarchies {
                for level in path.levels {
                    let d = h.mountPoint + "/" + level
                    if try files.makeDirectory(d) { created.append(d) }
                    if h.controllers.contains("cpuset") { try inheritCpuset(d) }
                }
            }
            try write(path, resources)
        } catch {
            // Leave nothing behind: undo the directories this call made, newest first.
            for d in created.reversed() { _ = try? files.removeDirectory(d) }
            throw error
        }
    }

    public func apply(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) {
        try resources.validate()
        for controller in resources.neededControllers { _ = try dir(path, controller) }
        guard exists(path) else { throw .notFound(path.relative) }
        try write(path, resources)
    }

    func write(_ path: CgroupPath, _ r: CgroupResources) throws(CgroupError) {
        if let m = r.memoryLimit {
            let d = try dir(path, "memory")
            if let swap = r.memorySwap {
                // The kernel keeps memsw >= limit at every moment: when the limit goes up (or swap
                // becomes unlimited) memsw must move first, when it goes down the limit must.
                let current = files.readNumber(d + "/memory.limit_in_bytes").map { Int64(clamping: $0) } ?? Int64.max
                let limitFirst = swap != -1 && m != -1 && m <= current
                if !limitFirst { try files.write(d + "/memory.memsw.limit_in_bytes", String(swap)) }
                try files.write(d + "/memory.limit_in_bytes", String(m))
                if limitFirst { try files.write(d + "/memory.memsw.limit_in_bytes", String(swap)) }
            } else {
                try files.write(d + "/memory.limit_in_bytes", String(m))
            }
        }
        if let sw = r.swappiness {
            try files.write(try dir(path, "memory") + "/memory.swappiness", String(sw))
        }
        if let s = r.memoryReservation {
            try files.write(try dir(path, "memory") + "/memory.soft_limit_in_bytes", String(s))
        }
        if let shares = r.cpuShares {
            try files.write(try dir(path, "cpu") + "/cpu.shares", String(shares))
        }
        if let (quota, period) = r.cfs {
            let d = try dir(path, "cpu")
            try files.write(d + "/cpu.cfs_period_us", String(period))
            if let quota { try files.write(d + "/cpu.cfs_quota_us", String(quota)) }
        }
        if let p = r.pidsLimit {
            try files.write(try dir(path, "pids") + "/pids.max", p == -1 ? "max" : String(p))
        }
        if let cpus = r.cpusetCpus { try files.write(try dir(path, "cpuset") + "/cpuset.cpus", cpus) }
        if let mems = r.cpusetMems { try files.write(try dir(path, "cpuset") + "/cpuset.mems", mems) }
        if let rules = r.devices {
            let d = try dir(path, "devices")
            // Consecutive rules for the same file go through one descriptor (order kept).
            for run in DeviceRule.v1WriteRuns(rules) { try files.write(d + "/" + run.file, each: run.lines) }
        }
    }

    /// A new v1 cpuset group starts with empty cpus/mems and refuses tasks until they are set:
    /// copy the parent's.
    func inheritCpuset(_ dir: String) throws(CgroupError) {
        let parent = String(dir[..<dir.lastIndex(of: "/")!])
        for name in ["cpuset.cpus", "cpuset.mems"] {
            let current = files.readTrimmed(dir + "/" + name) ?? ""
            guard current.isEmpty else { continue }
            let inherited = files.readTrimmed(parent + "/" + name) ?? ""
            guard !inherited.isEmpty else { continue }
            try files.write(dir + "/" + name, inherited)
        }
    }

    // MARK: membership

    /// `tasks`, not `cgroup.procs`: the fast per-thread move (see `CgroupPlacement`).
    public func placement(_ path: CgroupPath) -> CgroupPlacement {
        CgroupPlacement(cloneInto: nil, joinFiles: allDirectories(path).map { $0 + "/tasks" })
    }

    public func addProcess(_ pid: Int32, to path: CgroupPath) throws(CgroupError) {
        guard exists(path) else { throw .notFound(path.relative) }
        for dir in allDirectories(path) { try files.write(dir + "/cgroup.procs", String(pid)) }
    }

    public func processes(_ path: CgroupPath) throws(CgroupError) -> [Int32] {
        guard exists(path) else { throw .notFound(path.relative) }
        return Array(Set(allDirectories(path).flatMap { files.pids($0) })).sorted()
    }

    /// In any hierarchy: a half-removed group still exists (and `killAll` still reaches it).
    public func exists(_ path: CgroupPath) -> Bool {
        allDirectories(path).contains { Files.isDirectory($0) }
    }

    // MARK: stats

    public func stats(_ path: CgroupPath) throws(CgroupError) -> CgroupStats {
        guard exists(path) else { throw .notFound(path.relative) }
        var s = CgroupStats()
        if let d = directory(path, controller: "cpuacct") {
            s.cpuUsageNanos = files.readNumber(d + "/cpuacct.usage") ?? 0
        }
        if let d = directory(path, controller: "cpu") {
            s.cpuThrottledPeriods = files.readKeyed(d + "/cpu.stat", "nr_throttled")
            s.cpuPeriods = files.readKeyed(d + "/cpu.stat", "nr_periods")
            s.cpuThrottledNanos = files.readKeyed(d + "/cpu.stat", "throttled_time")
        }
        if let d = directory(path, controller: "memory") {
            s.memoryCurrent = files.readNumber(d + "/memory.usage_in_bytes") ?? 0
            s.memoryPeak = files.readNumber(d + "/memory.max_usage_in_bytes")
            // "Unlimited" reads as PAGE_COUNTER_MAX pages (about 2^63): report it as no limit.
            s.memoryLimit = files.readNumber(d + "/memory.limit_in_bytes").flatMap { $0 >= 1 << 62 ? nil : $0 }
            s.oomKills = files.readKeyed(d + "/memory.oom_control", "oom_kill") ?? 0
        }
        if let d = directory(path, controller: "pids") {
            s.pidsCurrent = files.readNumber(d + "/pids.current") ?? 0
            s.pidsLimitHits = files.readKeyed(d + "/pids.events", "max")
            s.pidsPeak = files.readNumber(d + "/pids.peak")  // newer kernels have it in v1 too
        }
        return s
    }

    public func oomKillCount(_ path: CgroupPath) -> UInt64 {
        guard let file = oomCounterFile(path) else { return 0 }
        return files.readKeyed(file, "oom_kill") ?? 0
    }

    public func oomCounterFile(_ path: CgroupPath) -> String? {
        directory(path, controller: "memory").map { $0 + "/memory.oom_control" }
    }

    public func pidsLimitHits(_ path: CgroupPath) -> UInt64? {
        directory(path, controller: "pids").flatMap { files.readKeyed($0 + "/pids.events", "max") }
    }

    // MARK: kill and remove

    /// Freeze the group (so nothing can fork while we look), SIGKILL every pid in it and its
    /// children in every hierarchy, thaw so the kills are delivered, and repeat until empty.
    public func killAll(_ path: CgroupPath) throws(CgroupError) {
        guard exists(path) else { return }
        let freezer = directory(path, controller: "freezer")
        for round in 0..<100 {
            var pids = Set<Int32>()
            for d in allDirectories(path) { pids.formUnion(files.pidsRecursive(d)) }
            if pids.isEmpty { return }
            if let freezer { try freeze(freezer) }
            // Re-read while frozen: this list cannot grow any more.
            for d in allDirectories(path) { pids.formUnion(files.pidsRecursive(d)) }
            let killed = pids.sorted().compactMap { files.kill($0, in: path.relative) }
            if let freezer { try files.write(freezer + "/freezer.state", "THAWED") }
            // Until they have exited (pidfds), at most 5 ms (50 ms after ten rounds), then look again.
            files.waitExited(killed, millis: round < 10 ? 5 : 50)
        }
        let left = Set(allDirectories(path).flatMap { files.pidsRecursive($0) }).sorted()
        throw .busy("\(path) still has processes \(left) after 100 rounds of SIGKILL (stuck in uninterruptible sleep?)")
    }

    func freeze(_ dir: String) throws(CgroupError) {
        try files.write(dir + "/freezer.state", "FROZEN")
        for _ in 0..<200 {
            if files.readTrimmed(dir + "/freezer.state") == "FROZEN" { return }
            sleepMillis(5)
        }
        // Tasks stuck in uninterruptible sleep keep the group FREEZING; killing them still works.
        Trace.step("cgroup", "\(dir) still FREEZING after 1 s, killing anyway")
    }

    /// killAll, wait for every hierarchy's group to be empty, then rmdir leaves first everywhere.
    /// Removing a group that does not exist is not an error.
    public func remove(_ path: CgroupPath) throws(CgroupError) {
        // The group of a container that has exited is empty and has no children: one rmdir per
        // hierarchy is all it takes (the kernel refuses it with EBUSY otherwise, and the full
        // kill-and-walk below finishes the job).
        var removedAll = true
        for d in allDirectories(path) where removedAll { removedAll = try files.removeDirectory(d) }
        if removedAll { return }
        try killAll(path)
        for d in allDirectories(path) {
            try files.removeLeavesFirst(d) { () throws(CgroupError) in try killAll(path) }
        }
    }
}

import BerthSys

/// Which cgroup layout the host has. Detected at run time (statfs of /sys/fs/cgroup and
/// /sys/fs/cgroup/unified), never assumed.
public enum CgroupMode: String, Sendable, Codable {
    /// Only cgroup v1 hierarchies.
    case v1
    /// Pure cgroup v2 (unified) at /sys/fs/cgroup.
    case v2
    /// v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified (this build machine).
    /// Resource control uses the v1 driver.
    case hybrid
}

/// A cgroup below Berth's own subtree, e.g. `berth/task-1f2e/web`. Always relative; `init(_:)`
/// takes only paths starting with `berth/` and the drivers write nowhere else, so Berth never
/// touches another cgroup. The one exception is an OCI bundle's `linux.cgroupsPath`
/// (`init(spec:)`), which the runtime's driver is explicitly allowed for (`CgroupDriver.allowing`).
public struct CgroupPath: Hashable, Sendable, Codable, CustomStringConvertible {
    public let relative: String

    public init(_ relative: String) throws(CgroupError) {
        let trimmed = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard trimmed.first == "berth", !trimmed.contains(where: { $0 == ".." || $0 == "." }) else {
            throw CgroupError.outsideBerth(relative)
        }
        self.relative = trimmed.joined(separator: "/")
    }

    /// A group anywhere below the cgroup root, for an OCI `linux.cgroupsPath` outside `berth/`
    /// (`SpecValidator`): any relative path without `.`/`..` components. Berth removes of such a
    /// path only the leaf and the levels it created itself (`ContainerState.cgroupCreated`).
    public init(spec relative: String) throws(CgroupError) {
        let trimmed = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0 == ".." || $0 == "." }) else {
            throw CgroupError.outsideBerth(relative)
        }
        self.relative = trimmed.joined(separator: "/")
    }

    /// A path read back from a container's state: Berth's own, else one a spec gave.
    public static func recorded(_ raw: String) -> CgroupPath? {
        (try? CgroupPath(raw)) ?? (try? CgroupPath(spec: raw))
    }

    public func child(_ name: String) throws(CgroupError) -> CgroupPath { try CgroupPath(relative + "/" + name) }
    public var description: String { relative }

    /// `berth`, `berth/a`, `berth/a/b` for `berth/a/b`: every level from the top of Berth's subtree down.
    public var levels: [String] {
        let parts = relative.split(separator: "/")
        return (1...parts.count).map { parts.prefix($0).joined(separator: "/") }
    }

    private enum CodingKeys: String, CodingKey { case relative }

    /// Decoding validates like `init(_:)`: a state file cannot smuggle in a path outside berth/.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .relative)
        try self.init(raw)
    }
}

/// Limits for one group. nil leaves the kernel default (unlimited).
public struct CgroupResources: Sendable, Equatable, Codable {
    /// Hard limit in bytes (v1 memory.limit_in_bytes, v2 memory.max); -1 means unlimited.
    public var memoryLimit: Int64?
    /// Soft reservation in bytes (v1 memory.soft_limit_in_bytes, v2 memory.low); -1 means none
    /// (v1 "-1", v2 "0": the kernel defaults).
    public var memoryReservation: Int64?
    /// v1 cpu.shares (2...262144); converted to v2 cpu.weight with the runc 1.3.2 / crun 1.23 formula.
    public var cpuShares: UInt64?
    /// CFS quota and period in microseconds (v1 cpu.cfs_*, v2 cpu.max); quota -1 means unlimited,
    /// period defaults to 100000 when only the quota is given.
    public var cpuQuota: Int64?
    public var cpuPeriod: UInt64?
    /// pids.max; -1 means unlimited ("max").
    public var pidsLimit: Int64?
    /// cpuset.cpus / cpuset.mems, e.g. "0-1". nil: inherit the parent's (v1: copied, as the kernel requires).
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// Memory plus swap in bytes, OCI/Docker `--memory-swap` semantics (ECS: memory + maxSwap);
    /// equal to memoryLimit means no swap, -1 unlimited. v1 memory.memsw.limit_in_bytes, v2
    /// memory.swap.max (= memorySwap - memoryLimit). Needs memoryLimit.
    public var memorySwap: Int64?
    /// v1 memory.swappiness 0...100 (ECS linuxParameters.swappiness). cgroup v2 has no such file:
    /// the v2 driver skips it and says so in the trace.
    public var swappiness: UInt64?
    /// The device allow list (`DeviceRule.effective`), applied in order over "deny everything":
    /// v1 devices.deny / devices.allow, v2 an eBPF program (`DeviceFilter`). nil: no device
    /// policy (the group keeps its parent's).
    public var devices: [DeviceRule]?

    public init(memoryLimit: Int64? = nil, memoryReservation: Int64? = nil, cpuShares: UInt64? = nil,
                cpuQuota: Int64? = nil, cpuPeriod: UInt64? = nil, pidsLimit: Int64? = nil,
                cpusetCpus: String? = nil, cpusetMems: String? = nil,
                memorySwap: Int64? = nil, swappiness: UInt64? = nil, devices: [DeviceRule]? = nil) {
        self.devices = devices
        self.memorySwap = memorySwap
        self.swappiness = swappiness
        self.memoryLimit = memoryLimit
        self.memoryReservation = memoryReservation
        self.cpuShares = cpuShares
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
        self.pidsLimit = pidsLimit
        self.cpusetCpus = cpusetCpus
        self.cpusetMems = cpusetMems
    }
}

/// Usage read from a group's own files.
public struct CgroupStats: Sendable, Equatable, Codable {
    public var cpuUsageNanos: UInt64
    public var memoryCurrent: UInt64
    /// High-water mark (v1 memory.max_usage_in_bytes, v2 memory.peak where the kernel has it).
    public var memoryPeak: UInt64?
    public var memoryLimit: UInt64?
    public var pidsCurrent: UInt64
    public var oomKills: UInt64
    /// v2 pids.peak where the kernel has it (v1 has no high-water mark for pids).
    public var pidsPeak: UInt64?
    /// Times the group hit pids.max (v1 and v2 pids.events `max`).
    public var pidsLimitHits: UInt64?
    /// CFS throttling counters (cpu.stat nr_throttled, throttled_time/throttled_usec in ns).
    public var cpuThrottledPeriods: UInt64?
    public var cpuThrottledNanos: UInt64?
    /// CFS periods in which the group ran with a quota (cpu.stat nr_periods).
    public var cpuPeriods: UInt64?

    public init(cpuUsageNanos: UInt64 = 0, memoryCurrent: UInt64 = 0, memoryPeak: UInt64? = nil,
                memoryLimit: UInt64? = nil, pidsCurrent: UInt64 = 0, oomKills: UInt64 = 0,
                pidsPeak: UInt64? = nil, pidsLimitHits: UInt64? = nil,
                cpuThrottledPeriods: UInt64? = nil, cpuThrottledNanos: UInt64? = nil, cpuPeriods: UInt64? = nil) {
        self.cpuPeriods = cpuPeriods
        self.cpuUsageNanos = cpuUsageNanos
        self.memoryCurrent = memoryCurrent
        self.memoryPeak = memoryPeak
        self.memoryLimit = memoryLimit
        self.pidsCurrent = pidsCurrent
        self.oomKills = oomKills
        self.pidsPeak = pidsPeak
        self.pidsLimitHits = pidsLimitHits
        self.cpuThrottledPeriods = cpuThrottledPeriods
        self.cpuThrottledNanos = cpuThrottledNanos
    }
}

public enum CgroupError: Error, CustomStringConvertible, Sendable, Equatable {
    case outsideBerth(String)
    case notFound(String)
    case unsupported(String)
    case invalidValue(field: String, value: String, reason: String)
    case sys(SysError)
    case busy(String)

    public var description: String {
        switch self {
        case .outsideBerth(let p): return "cgroup path \(p.debugDescription) is outside Berth's berth/ subtree"
        case .notFound(let p): return "cgroup \(p) does not exist"
        case .unsupported(let what): return "unsupported on this host: \(what)"
        case .invalidValue(let field, let value, let reason): return "\(field): \(value) \(reason)"
        case .sys(let e): return e.description
        // `.busy` carries either a bare path or a sentence that already says why.
        case .busy(let p): return p.contains(" ") ? "cgroup \(p)" : "cgroup \(p) still has processes"
        }
    }
}

/// One interface over cgroup v1 and v2. Implementations: `CgroupV1Driver`, `CgroupV2Driver`;
/// `Cgroups.driver()` picks one for the host. All paths live below `berth/` in each hierarchy.
///
/// Life of a group: `create` (validates first: bad values create nothing) -> the process joins
/// before it runs anything (`placement`: created inside it, or joined by the new child before execve) -> `stats` / `oomKillCount` while it runs and after it exits
/// (an exit by SIGKILL is an OOM kill only if the counter moved) -> `remove` (kills what is left,
/// daemons included, then rmdirs leaves first). Every file write shows in the `--explain` trace.
public protocol CgroupDriver: Sendable {
    var mode: CgroupMode { get }

    /// Create the group (and missing parents below `berth/`), enabling what v2 needs in the
    /// ancestors' cgroup.subtree_control, then apply `resources`. Idempotent.
    func create(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError)

    /// Change the limits of an existing group.
    func apply(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError)

    /// How a new process gets into the group before it runs anything: used by `spawn` and by
    /// the monitor when it starts `berth-init` (both through `berth_spawn` in C).
    func placement(_ path: CgroupPath) -> CgroupPlacement

    /// Move `pid` into the group.
    func addProcess(_ pid: Int32, to path: CgroupPath) throws(CgroupError)

    /// Pids currently in the group (not recursive).
    func processes(_ path: CgroupPath) throws(CgroupError) -> [Int32]

    func stats(_ path: CgroupPath) throws(CgroupError) -> CgroupStats

    /// The kernel's OOM-kill counter for the group (v1 memory.oom_control oom_kill, v2 memory.events oom_kill).
    func oomKillCount(_ path: CgroupPath) -> UInt64

    /// The file to read `oomKillCount` from, for the monitor (which links no Swift cgroup code).
    func oomCounterFile(_ path: CgroupPath) -> String?

    /// Forks refused by the group's pids limit (pids.events `max`); nil if the group or file is gone.
    func pidsLimitHits(_ path: CgroupPath) -> UInt64?

    /// SIGKILL every process in the group and its descendants, including double-forked ones
    /// (v2 cgroup.kill; v1 freeze, kill, thaw, repeat until empty).
    func killAll(_ path: CgroupPath) throws(CgroupError)

    /// Kill what is left, wait until empty, remove the group and its children (leaves first).
    func remove(_ path: CgroupPath) throws(CgroupError)

    func exists(_ path: CgroupPath) -> Bool

    /// This driver, also allowed to write below the top-level group of `path` (an OCI
    /// `linux.cgroupsPath` outside `berth/`); Berth's own paths need no such permission.
    func allowing(_ path: CgroupPath) -> any CgroupDriver
}

extension CgroupDriver {
    public func allowing(_ path: CgroupPath) -> any CgroupDriver { self }

    public func pidsLimitHits(_ path: CgroupPath) -> UInt64? { (try? stats(path))?.pidsLimitHits }

    /// The group's directory in every hierarchy it lives in (for state files and `berth cgroup info`).
    /// Derived from `placement`, so it holds for every driver.
    public func directories(_ path: CgroupPath) -> [String] {
        placement(path).joinFiles.map { file in file.lastIndex(of: "/").map { String(file[..<$0]) } ?? file }
    }
}

/// How a new process is put into a group before it runs anything, by the C child of
/// `berth_spawn` (async-signal-safe, so safe from multi-threaded callers).
///
/// Moving a running process between groups normally takes the kernel's global threadgroup
/// rwsem for writing, which waits for an RCU grace period (15-25 ms on this 2-core host) on
/// every container start. Both ways here avoid it:
/// * v2: the child is created inside the group (`clone3` with `CLONE_INTO_CGROUP`, Linux 5.7+),
///   as crun does; older kernels fall back to `joinFiles`.
/// * v1: the child writes "0" to each hierarchy's `tasks` file: moving only the writing thread
///   needs no threadgroup lock (`cgroup_procs_write_start`: no pid, no threadgroup), and the
///   child, fresh from fork, has exactly one thread.
public struct CgroupPlacement: Sendable, Equatable {
    /// v2: the directory to create the child in. nil on v1.
    public var cloneInto: String?
    /// Files the single-threaded child writes "0" into when it was not created inside.
    public var joinFiles: [String]

    public init(cloneInto: String?, joinFiles: [String]) {
        self.cloneInto = cloneInto
        self.joinFiles = joinFiles
    }
}

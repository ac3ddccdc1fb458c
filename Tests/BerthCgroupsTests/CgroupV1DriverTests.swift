import BerthSys
import Foundation
import Glibc
import Testing
@testable import BerthCgroups

/// The v1 driver against a fake cgroupfs: which files get which values.
@Suite struct CgroupV1DriverTests {
    static let controllers = ["cpu", "cpuacct", "cpuset", "memory", "pids", "freezer"]

    /// One fake hierarchy per controller (like this host), with control files pre-created at
    /// `berth` and `berth/x` so the driver's writes have somewhere to go.
    func makeFake(levels: [String] = ["berth", "berth/x"]) throws -> (FakeCgroupFS, CgroupV1Driver) {
        let fs = try FakeCgroupFS()
        var hierarchies: [V1Hierarchy] = []
        for c in Self.controllers {
            try fs.files(c, c == "cpuset" ? ["cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"] : [:])
            hierarchies.append(V1Hierarchy(controllers: [c], mountPoint: fs.root + "/" + c))
            for level in levels {
                let files: [String: String]
                switch c {
                case "memory": files = ["memory.limit_in_bytes": "", "memory.soft_limit_in_bytes": "", "cgroup.procs": "",
                                         "memory.memsw.limit_in_bytes": "", "memory.swappiness": ""]
                case "cpu": files = ["cpu.shares": "", "cpu.cfs_quota_us": "", "cpu.cfs_period_us": "", "cgroup.procs": ""]
                case "pids": files = ["pids.max": "", "cgroup.procs": ""]
                case "cpuset": files = ["cpuset.cpus": "", "cpuset.mems": "", "cgroup.procs": ""]
                default: files = ["cgroup.procs": ""]
                }
                try fs.files(c + "/" + level, files)
            }
        }
        return (fs, CgroupV1Driver(hierarchies: hierarchies))
    }

    @Test func writesV1FilesAndValues() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let path = try CgroupPath("berth/x")
        try driver.create(path, resources: CgroupResources(
            memoryLimit: 268_435_456, memoryReservation: 134_217_728, cpuShares: 512,
            cpuQuota: 50_000, pidsLimit: 20))
        #expect(fs.read("memory/berth/x/memory.limit_in_bytes") == "268435456")
        #expect(fs.read("memory/berth/x/memory.soft_limit_in_bytes") == "134217728")
        #expect(fs.read("cpu/berth/x/cpu.shares") == "512")
        #expect(fs.read("cpu/berth/x/cpu.cfs_quota_us") == "50000")
        #expect(fs.read("cpu/berth/x/cpu.cfs_period_us") == "100000")
        #expect(fs.read("pids/berth/x/pids.max") == "20")
        // cpuset copied down from the hierarchy root through berth/ to berth/x.
        #expect(fs.read("cpuset/berth/cpuset.cpus") == "0-1")
        #expect(fs.read("cpuset/berth/x/cpuset.mems") == "0")
        #expect(driver.exists(path))
        #expect(driver.placement(path) == CgroupPlacement(cloneInto: nil, joinFiles: Self.controllers.map { "\(fs.root)/\($0)/berth/x/tasks" }))
        #expect(driver.oomCounterFile(path) == fs.root + "/memory/berth/x/memory.oom_control")
        #expect(driver.directories(path).count == Self.controllers.count)
    }

    /// Forks refused by the limit: `max` of pids.events in the pids hierarchy.
    @Test func pidsLimitHitsReadsPidsEvents() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let path = try CgroupPath("berth/x")
        #expect(driver.pidsLimitHits(path) == nil)
        try fs.files("pids/berth/x", ["pids.events": "max 7\n"])
        #expect(driver.pidsLimitHits(path) == 7)
    }

    /// memsw must stay >= the limit at every step, so the write order depends on the direction.
    @Test(arguments: [
        // (current limit, new limit, new memsw, memsw written first?)
        ("9223372036854771712", Int64(64 << 20), Int64(128 << 20), false),  // new group: limit first
        ("67108864", Int64(256 << 20), Int64(512 << 20), true),             // raising: memsw first
        ("268435456", Int64(64 << 20), Int64(64 << 20), false),             // lowering: limit first
        ("67108864", Int64(32 << 20), Int64(-1), true),                     // unlimited swap: memsw first
    ])
    func swapWriteOrder(_ current: String, _ limit: Int64, _ swap: Int64, _ memswFirst: Bool) throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try fs.files("memory/berth/x", ["memory.limit_in_bytes": current + "\n"])
        let lines = try traced {
            try driver.apply(try CgroupPath("berth/x"), resources: CgroupResources(memoryLimit: limit, memorySwap: swap, swappiness: 10))
        }
        let writes = lines.filter { $0.contains(fs.root) && ($0.contains("memory.limit_in_bytes") || $0.contains("memory.memsw.limit_in_bytes")) }
        #expect(writes.count == 2)
        #expect(writes.first?.contains("memsw") == memswFirst, "\(writes)")
        #expect(fs.read("memory/berth/x/memory.memsw.limit_in_bytes") == String(swap))
        #expect(fs.read("memory/berth/x/memory.swappiness") == "10")
    }

    @Test func unlimitedValues() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try driver.create(try CgroupPath("berth/x"), resources: CgroupResources(memoryLimit: -1, cpuQuota: -1, pidsLimit: -1))
        #expect(fs.read("memory/berth/x/memory.limit_in_bytes") == "-1")
        #expect(fs.read("cpu/berth/x/cpu.cfs_quota_us") == "-1")
        #expect(fs.read("pids/berth/x/pids.max") == "max")
    }

    @Test func invalidValuesCreateNothing() throws {
        let (fs, driver) = try makeFake(levels: [])
        defer { fs.cleanup() }
        #expect(throws: CgroupError.invalidValue(field: "cpuShares", value: "1", reason: "must be in 2...262144")) {
            try driver.create(try CgroupPath("berth/y"), resources: CgroupResources(cpuShares: 1))
        }
        for c in Self.controllers { #expect(!fs.exists(c + "/berth")) }
    }

    @Test func failedWriteNamesFileAndValueAndUndoesCreation() throws {
        // No control files exist below the hierarchy roots: the first write fails.
        let (fs, full) = try makeFake(levels: [])
        defer { fs.cleanup() }
        let driver = CgroupV1Driver(hierarchies: full.hierarchies.filter { !$0.controllers.contains("cpuset") })
        do {
            try driver.create(try CgroupPath("berth/y"), resources: CgroupResources(memoryLimit: 1 << 20))
            Issue.record("create succeeded")
        } catch {
            #expect(error.description.contains("\(fs.root)/memory/berth/y/memory.limit_in_bytes"))
            #expect(error.description.contains("1048576"))
        }
        for c in Self.controllers { #expect(!fs.exists(c + "/berth")) }
        // And the same for a cpuset copy that fails: file and value named.
        do {
            try full.create(try CgroupPath("berth/y"), resources: CgroupResources())
            Issue.record("create succeeded")
        } catch {
            #expect(error.description.contains("\"0-1\" \(fs.root)/cpuset/berth/cpuset.cpus"))
        }
        for c in Self.controllers { #expect(!fs.exists(c + "/berth")) }
    }

    @Test func missingControllerIsReportedBeforeCreating() throws {
        let fs = try FakeCgroupFS()
        defer { fs.cleanup() }
        try fs.dir("memory")
        let driver = CgroupV1Driver(hierarchies: [V1Hierarchy(controllers: ["memory"], mountPoint: fs.root + "/memory")])
        #expect(throws: CgroupError.unsupported("cgroup v1 controller pids is not mounted")) {
            try driver.create(try CgroupPath("berth/z"), resources: CgroupResources(pidsLimit: 5))
        }
        #expect(!fs.exists("memory/berth"))
    }

    @Test func comountedCpuAndCpuacctShareOneDirectory() throws {
        let fs = try FakeCgroupFS()
        defer { fs.cleanup() }
        try fs.files("cpu,cpuacct/berth/x", ["cpu.shares": "", "cpuacct.usage": "123456789\n", "cgroup.procs": "42\n7\n"])
        let driver = CgroupV1Driver(hierarchies: [V1Hierarchy(controllers: ["cpu", "cpuacct"], mountPoint: fs.root + "/cpu,cpuacct")])
        let path = try CgroupPath("berth/x")
        try driver.create(path, resources: CgroupResources(cpuShares: 2048))
        #expect(fs.read("cpu,cpuacct/berth/x/cpu.shares") == "2048")
        #expect(try driver.stats(path).cpuUsageNanos == 123_456_789)
        #expect(try driver.processes(path) == [7, 42])
        #expect(driver.placement(path).joinFiles == [fs.root + "/cpu,cpuacct/berth/x/tasks"])
    }

    @Test func discoversHierarchiesFromMountinfoUnderRoot() throws {
        let fs = try FakeCgroupFS()
        defer { fs.cleanup() }
        try fs.files("cpu,cpuacct/berth/x", ["cpu.shares": "", "cgroup.procs": ""])
        try fs.files("memory/berth/x", ["memory.limit_in_bytes": "", "cgroup.procs": ""])
        let mountinfo = """
        30 1 0:20 / \(fs.root) rw - tmpfs tmpfs rw
        31 30 0:21 / \(fs.root)/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
        32 30 0:22 / \(fs.root)/memory rw - cgroup cgroup rw,memory
        33 30 0:23 / \(fs.root)/systemd rw - cgroup cgroup rw,name=systemd
        34 1 0:24 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
        """
        let driver = CgroupV1Driver(root: fs.root, mountinfo: mountinfo)
        #expect(driver.hierarchies.map(\.controllers) == [["cpu", "cpuacct"], ["memory"]])
        try driver.create(try CgroupPath("berth/x"), resources: CgroupResources(memoryLimit: 1 << 30, cpuShares: 256))
        #expect(fs.read("memory/berth/x/memory.limit_in_bytes") == "1073741824")
        #expect(fs.read("cpu,cpuacct/berth/x/cpu.shares") == "256")
    }

    @Test func readsStats() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try fs.files("cpuacct/berth/x", ["cpuacct.usage": "5000\n"])
        try fs.files("cpu/berth/x", ["cpu.stat": "nr_periods 10\nnr_throttled 4\nthrottled_time 900\n"])
        try fs.files("memory/berth/x", [
            "memory.usage_in_bytes": "1000\n", "memory.max_usage_in_bytes": "2000\n",
            "memory.limit_in_bytes": "9223372036854771712\n",
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
        ])
        try fs.files("pids/berth/x", ["pids.current": "4\n", "pids.events": "max 2\n"])
        let path = try CgroupPath("berth/x")
        let s = try driver.stats(path)
        #expect(s == CgroupStats(cpuUsageNanos: 5000, memoryCurrent: 1000, memoryPeak: 2000, memoryLimit: nil,
                                 pidsCurrent: 4, oomKills: 3, pidsPeak: nil, pidsLimitHits: 2,
                                 cpuThrottledPeriods: 4, cpuThrottledNanos: 900, cpuPeriods: 10))
        #expect(driver.oomKillCount(path) == 3)
    }

    @Test func refusesWritesOutsideBerth() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        #expect(throws: CgroupError.outsideBerth(fs.root + "/memory/memory.limit_in_bytes")) {
            try driver.files.write(fs.root + "/memory/memory.limit_in_bytes", "1")
        }
        #expect(throws: CgroupError.outsideBerth(fs.root + "/memory/berth/../x")) {
            try driver.files.write(fs.root + "/memory/berth/../x", "1")
        }
        #expect(throws: CgroupError.outsideBerth(fs.root + "/memory/berthx/a")) {
            try driver.files.makeDirectory(fs.root + "/memory/berthx/a")
        }
    }

    @Test func applyToMissingGroup() throws {
        let (fs, driver) = try makeFake(levels: [])
        defer { fs.cleanup() }
        #expect(throws: CgroupError.notFound("berth/none")) {
            try driver.apply(try CgroupPath("berth/none"), resources: CgroupResources(memoryLimit: 1 << 20))
        }
    }
}

/// Run `body` with tracing on and return this driver's trace lines (cgroup writes).
/// `Trace` has one global descriptor: one traced block at a time (parametrised cases and other
/// suites run in parallel). Lines of other tests' untraced calls may still land in the pipe, so
/// callers look only at lines naming their own fake tree.
let tracedLock = NSLock()

func traced(_ body: () throws -> Void) throws -> [String] {
    tracedLock.lock()
    defer { tracedLock.unlock() }
    let pipe = try makePipe()
    defer { pipe.read.close() }
    Trace.enable(fd: pipe.write.rawValue)
    defer { Trace.fd = -1 }
    try body()
    Trace.fd = -1
    // The write end stays open (other suites run in parallel and may be mid-Trace.step):
    // read what is there without blocking.
    _ = fcntl(pipe.read.rawValue, F_SETFL, O_NONBLOCK)
    var bytes: [UInt8] = []
    while let chunk = try? pipe.read.read(), !chunk.isEmpty { bytes += chunk }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
}

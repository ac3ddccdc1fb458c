import BerthSys
import Glibc
import Testing
@testable import BerthCgroups

/// The v2 driver against a fake unified hierarchy.
@Suite struct CgroupV2DriverTests {
    static let leafFiles = ["memory.max": "", "memory.low": "", "cpu.weight": "", "cpu.max": "",
                            "pids.max": "", "cgroup.procs": "", "cgroup.subtree_control": ""]

    func makeFake(rootEnabled: String = "cpu memory pids", enableRoot: Bool = false,
                  levels: [String] = ["berth", "berth/task", "berth/task/web"]) throws -> (FakeCgroupFS, CgroupV2Driver) {
        let fs = try FakeCgroupFS()
        try fs.files("", ["cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
                          "cgroup.subtree_control": rootEnabled + "\n"])
        for level in levels { try fs.files(level, Self.leafFiles) }
        return (fs, CgroupV2Driver(root: fs.root, enableRootControllers: enableRoot))
    }

    @Test func enablesControllersInBerthAncestorsOnly() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let path = try CgroupPath("berth/task/web")
        try driver.create(path, resources: CgroupResources(memoryLimit: 64 << 20))
        #expect(fs.read("berth/cgroup.subtree_control") == "+cpu +memory +pids")
        #expect(fs.read("berth/task/cgroup.subtree_control") == "+cpu +memory +pids")
        // The leaf holds processes: no controllers enabled below it.
        #expect(fs.read("berth/task/web/cgroup.subtree_control") == "")
        // The root already had them: untouched.
        #expect(fs.read("cgroup.subtree_control") == "cpu memory pids\n")
        #expect(fs.read("berth/task/web/memory.max") == "67108864")
    }

    @Test func writesV2FilesAndValues() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let path = try CgroupPath("berth/task/web")
        try driver.create(path, resources: CgroupResources(memoryLimit: 268_435_456, memoryReservation: 1 << 20,
                                                           cpuShares: 1024, cpuQuota: 50_000, pidsLimit: 20))
        #expect(fs.read("berth/task/web/memory.max") == "268435456")
        #expect(fs.read("berth/task/web/memory.low") == "1048576")
        #expect(fs.read("berth/task/web/cpu.weight") == "100")
        #expect(fs.read("berth/task/web/cpu.max") == "50000 100000")
        #expect(fs.read("berth/task/web/pids.max") == "20")
        #expect(driver.placement(path) == CgroupPlacement(cloneInto: fs.root + "/berth/task/web", joinFiles: [fs.root + "/berth/task/web/cgroup.procs"]))
        #expect(driver.oomCounterFile(path) == fs.root + "/berth/task/web/memory.events")
    }

    /// Forks refused by the limit: `max` of pids.events in the group's directory.
    @Test func pidsLimitHitsReadsPidsEvents() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let path = try CgroupPath("berth/task/web")
        try driver.create(path, resources: CgroupResources())
        #expect(driver.pidsLimitHits(path) == nil)
        try fs.files("berth/task/web", ["pids.events": "max 3\n"])
        #expect(driver.pidsLimitHits(path) == 3)
    }

    @Test func maxValues() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try driver.create(try CgroupPath("berth/task/web"),
                          resources: CgroupResources(memoryLimit: -1, memoryReservation: -1, cpuQuota: -1, cpuPeriod: 50_000, pidsLimit: -1))
        #expect(fs.read("berth/task/web/memory.max") == "max")
        #expect(fs.read("berth/task/web/memory.low") == "0")
        #expect(fs.read("berth/task/web/cpu.max") == "max 50000")
        #expect(fs.read("berth/task/web/pids.max") == "max")
    }

    @Test func swapIsLimitedAlone() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try fs.files("berth/task/web", ["memory.swap.max": ""])
        let path = try CgroupPath("berth/task/web")
        let lines = try traced {
            try driver.create(path, resources: CgroupResources(memoryLimit: 64 << 20, memorySwap: 96 << 20, swappiness: 5))
        }
        #expect(fs.read("berth/task/web/memory.swap.max") == String(32 << 20))
        #expect(lines.contains { $0.contains("swappiness 5 not applied") })
        try driver.apply(path, resources: CgroupResources(memoryLimit: 64 << 20, memorySwap: -1))
        #expect(fs.read("berth/task/web/memory.swap.max")?.hasPrefix("max") == true)
    }

    @Test func periodAloneKeepsQuota() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try fs.files("berth/task/web", ["cpu.max": "20000 100000\n"])
        try driver.apply(try CgroupPath("berth/task/web"), resources: CgroupResources(cpuPeriod: 40_000))
        #expect(fs.read("berth/task/web/cpu.max")?.hasPrefix("20000 40000") == true)
    }

    @Test func missingRootControllersAreAnErrorUnlessAllowed() throws {
        let (fs, driver) = try makeFake(rootEnabled: "memory", levels: [])
        defer { fs.cleanup() }
        #expect(throws: CgroupError.unsupported("cgroup v2 controllers cpu, pids are not enabled in \(fs.root)/cgroup.subtree_control")) {
            try driver.create(try CgroupPath("berth/a"), resources: CgroupResources())
        }
        #expect(!fs.exists("berth"))

        let (fs2, allowed) = try makeFake(rootEnabled: "memory", enableRoot: true, levels: ["berth", "berth/a"])
        defer { fs2.cleanup() }
        try allowed.create(try CgroupPath("berth/a"), resources: CgroupResources())
        #expect(fs2.read("cgroup.subtree_control") == "+cpu +pids")
    }

    @Test func cpusetOnlyWhenAsked() throws {
        let (fs, driver) = try makeFake(rootEnabled: "cpu memory pids cpuset", levels: ["berth", "berth/c"])
        defer { fs.cleanup() }
        try fs.files("berth/c", ["cpuset.cpus": "", "cpuset.mems": ""])
        try driver.create(try CgroupPath("berth/c"), resources: CgroupResources(cpusetCpus: "0-1", cpusetMems: "0"))
        #expect(fs.read("berth/cgroup.subtree_control") == "+cpu +memory +pids +cpuset")
        #expect(fs.read("berth/c/cpuset.cpus") == "0-1")
    }

    @Test func kernelWithoutController() throws {
        let fs = try FakeCgroupFS()
        defer { fs.cleanup() }
        try fs.files("", ["cgroup.controllers": "memory pids\n", "cgroup.subtree_control": "memory pids\n"])
        let driver = CgroupV2Driver(root: fs.root, enableRootControllers: true)
        #expect(throws: CgroupError.unsupported("cgroup v2 controllers cpu are not in \(fs.root)/cgroup.controllers")) {
            try driver.create(try CgroupPath("berth/a"), resources: CgroupResources())
        }
        #expect(!fs.exists("berth"))
    }

    @Test func noInternalProcesses() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try driver.create(try CgroupPath("berth/task/web"), resources: CgroupResources())
        #expect(throws: CgroupError.self) { try driver.addProcess(1, to: try CgroupPath("berth/task")) }
        #expect(fs.read("berth/task/cgroup.procs") == "")
    }

    @Test func invalidValuesCreateNothing() throws {
        let (fs, driver) = try makeFake(levels: [])
        defer { fs.cleanup() }
        #expect(throws: CgroupError.self) {
            try driver.create(try CgroupPath("berth/a"), resources: CgroupResources(memoryLimit: -3))
        }
        #expect(!fs.exists("berth"))
    }

    @Test func readsStats() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        try fs.files("berth/task/web", [
            "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\nnr_throttled 2\nthrottled_usec 7\n",
            "memory.current": "4096\n", "memory.peak": "8192\n", "memory.max": "max\n",
            "pids.current": "3\n", "pids.peak": "9\n", "pids.events": "max 1\n",
            "memory.events": "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n",
        ])
        let path = try CgroupPath("berth/task/web")
        #expect(try driver.stats(path) == CgroupStats(cpuUsageNanos: 1_500_000, memoryCurrent: 4096, memoryPeak: 8192,
                                                      memoryLimit: nil, pidsCurrent: 3, oomKills: 1, pidsPeak: 9,
                                                      pidsLimitHits: 1, cpuThrottledPeriods: 2, cpuThrottledNanos: 7000,
                                                      cpuPeriods: 3))
        #expect(driver.oomKillCount(path) == 1)
    }

    @Test func tracesEveryWrite() throws {
        let (fs, driver) = try makeFake()
        defer { fs.cleanup() }
        let text = try traced {
            try driver.create(try CgroupPath("berth/task/web"), resources: CgroupResources(memoryLimit: 268_435_456))
        }.map { $0 + "\n" }.joined()
        #expect(text.contains("berth: [cgroup] write 268435456 > \(fs.root)/berth/task/web/memory.max\n"))
        #expect(text.contains("berth: [cgroup] write +cpu +memory +pids > \(fs.root)/berth/cgroup.subtree_control\n"))
    }
}

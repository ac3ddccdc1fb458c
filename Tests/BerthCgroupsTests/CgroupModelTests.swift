import BerthSys
import Foundation
import Testing
@testable import BerthCgroups

@Suite struct CgroupPathTests {
    @Test func acceptsBerthPaths() throws {
        #expect(try CgroupPath("berth/task-1/web").relative == "berth/task-1/web")
        #expect(try CgroupPath("/berth//x/").relative == "berth/x")
        #expect(try CgroupPath("berth/a/b").levels == ["berth", "berth/a", "berth/a/b"])
        #expect(try CgroupPath("berth/a").child("b").relative == "berth/a/b")
    }

    @Test(arguments: ["", "system.slice", "berthx/a", "berth/../system.slice", "berth/./a", "user/berth"])
    func refusesOtherPaths(_ raw: String) {
        #expect(throws: CgroupError.outsideBerth(raw)) { try CgroupPath(raw) }
    }

    @Test func decodingValidates() throws {
        let good = try JSONDecoder().decode(CgroupPath.self, from: Data(#"{"relative":"berth/a"}"#.utf8))
        #expect(good.relative == "berth/a")
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(CgroupPath.self, from: Data(#"{"relative":"berth/../../etc"}"#.utf8))
        }
        let roundTrip = try JSONDecoder().decode(CgroupPath.self, from: JSONEncoder().encode(good))
        #expect(roundTrip == good)
    }
}

@Suite struct CpuWeightTests {
    /// The table from runc 1.3.2 / crun 1.23 (runtime-notes §2.3).
    @Test(arguments: [(UInt64(128), UInt64(21)), (256, 35), (512, 59), (1024, 100), (2048, 174),
                      (4096, 303), (10240, 639)])
    func table(_ shares: UInt64, _ weight: UInt64) {
        #expect(CpuWeight.fromShares(shares) == weight)
    }

    @Test func bounds() {
        #expect(CpuWeight.fromShares(0) == 0)
        #expect(CpuWeight.fromShares(1) == 1)
        #expect(CpuWeight.fromShares(2) == 1)
        #expect(CpuWeight.fromShares(262_144) == 10_000)
        #expect(CpuWeight.fromShares(1_000_000) == 10_000)
        // Monotonic over the whole range, always within cpu.weight's 1...10000.
        var last: UInt64 = 0
        for s in stride(from: UInt64(2), through: 262_144, by: 97) {
            let w = CpuWeight.fromShares(s)
            #expect(w >= last && (1...10_000).contains(w))
            last = w
        }
    }
}

@Suite struct ResourceValidationTests {
    @Test(arguments: [
        (CgroupResources(memoryLimit: -5), "memoryLimit"),
        (CgroupResources(memoryLimit: 0), "memoryLimit"),
        (CgroupResources(memoryLimit: 100), "memoryLimit"),
        (CgroupResources(memoryReservation: -2), "memoryReservation"),
        (CgroupResources(memoryLimit: 1 << 20, memoryReservation: 1 << 21), "memoryReservation"),
        (CgroupResources(cpuShares: 1), "cpuShares"),
        (CgroupResources(memorySwap: 1 << 30), "memorySwap"),
        (CgroupResources(memoryLimit: 1 << 30, memorySwap: 1 << 20), "memorySwap"),
        (CgroupResources(memoryLimit: -1, memorySwap: 1 << 30), "memorySwap"),
        (CgroupResources(swappiness: 101), "swappiness"),
        (CgroupResources(cpuShares: 262_145), "cpuShares"),
        (CgroupResources(cpuQuota: 50_000, cpuPeriod: 0), "cpuPeriod"),
        (CgroupResources(cpuPeriod: 2_000_000), "cpuPeriod"),
        (CgroupResources(cpuQuota: 999), "cpuQuota"),
        (CgroupResources(cpuQuota: -2), "cpuQuota"),
        (CgroupResources(pidsLimit: 0), "pidsLimit"),
        (CgroupResources(pidsLimit: -7), "pidsLimit"),
        (CgroupResources(cpusetCpus: "0-"), "cpusetCpus"),
        (CgroupResources(cpusetMems: "3-1"), "cpusetMems"),
    ])
    func rejects(_ r: CgroupResources, _ field: String) {
        do {
            try r.validate()
            Issue.record("accepted \(r)")
        } catch {
            guard case .invalidValue(let f, _, let reason) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(f == field)
            #expect(!reason.isEmpty)
        }
    }

    @Test func accepts() throws {
        try CgroupResources().validate()
        try CgroupResources(memoryLimit: -1, memoryReservation: -1, cpuQuota: -1, pidsLimit: -1).validate()
        try CgroupResources(memoryLimit: 64 << 20, memoryReservation: 32 << 20, cpuShares: 2,
                            cpuQuota: 50_000, cpuPeriod: 100_000, pidsLimit: 20,
                            cpusetCpus: "0-1,3", cpusetMems: "0").validate()
        try CgroupResources(cpuShares: 262_144).validate()
        try CgroupResources(memoryLimit: 1 << 30, memorySwap: 1 << 30, swappiness: 0).validate()
        try CgroupResources(memoryLimit: 1 << 30, memorySwap: -1).validate()
    }

    @Test func errorMessageNamesFieldAndValue() {
        let e = CgroupError.invalidValue(field: "cpuShares", value: "1", reason: "must be in 2...262144")
        #expect(e.description == "cpuShares: 1 must be in 2...262144")
    }
}

@Suite struct MountinfoTests {
    /// This build host: cpu and cpuacct are separate mounts; a hybrid cgroup2 at unified.
    static let separate = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """

    /// A typical systemd v1 host: cpu,cpuacct co-mounted (with symlinks), a shared optional field.
    static let comounted = """
    25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
    28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
    29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
    30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:13 - cgroup cgroup rw,net_cls,net_prio
    90 60 0:26 / /mnt/elsewhere rw - cgroup cgroup rw,memory
    91 25 0:26 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory
    """

    @Test func separateCpuAndCpuacct() {
        let h = V1Hierarchy.parse(mountinfo: Self.separate, under: "/sys/fs/cgroup")
        #expect(h.map(\.controllers) == [["cpu"], ["cpuacct"], ["cpuset"], ["memory"], ["freezer"], ["pids"]])
        #expect(h.first?.mountPoint == "/sys/fs/cgroup/cpu")
    }

    @Test func comountedCpuCpuacctAndDuplicates() {
        let h = V1Hierarchy.parse(mountinfo: Self.comounted, under: "/sys/fs/cgroup")
        #expect(h == [V1Hierarchy(controllers: ["cpu", "cpuacct"], mountPoint: "/sys/fs/cgroup/cpu,cpuacct"),
                      V1Hierarchy(controllers: ["memory"], mountPoint: "/sys/fs/cgroup/memory")])
    }

    @Test func unescapesMountPoints() {
        #expect(V1Hierarchy.unescape("/a\\040b") == "/a b")
        #expect(V1Hierarchy.unescape("/plain") == "/plain")
    }
}

@Suite struct DetectTests {
    @Test func notACgroupFilesystem() {
        #expect(throws: (any Error).self) { try Cgroups.detect(root: "/proc") }
    }

    @Test func missingRoot() {
        #expect(throws: (any Error).self) { try Cgroups.detect(root: "/nonexistent-berth-cgroup") }
    }

    @Test func realHostIsConsistent() throws {
        guard Files.isDirectory("/sys/fs/cgroup") else { return }
        let mode = try Cgroups.detect()
        let driver = try Cgroups.driver()
        #expect(driver.mode == mode)
        if mode == .v2 { #expect(driver is CgroupV2Driver) } else { #expect(driver is CgroupV1Driver) }
        // On this build host (hybrid) the v1 driver must use cpu and cpuacct wherever they are.
        if let v1 = driver as? CgroupV1Driver {
            #expect(v1.directory(try CgroupPath("berth/x"), controller: "memory")?.hasSuffix("/berth/x") == true)
        }
    }
}

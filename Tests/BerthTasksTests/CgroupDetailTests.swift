import Testing
@testable import BerthTasks

@Suite struct CgroupDetailTests {
    @Test func v1SplitsCPUInTicksAndKeepsMemoryStat() {
        let files = ["/sys/fs/cgroup/memory/berth/t/a/memory.stat": "cache 4096\nrss 8192\ntotal_rss 8192\n",
                     "/sys/fs/cgroup/cpu,cpuacct/berth/t/a/cpuacct.stat": "user 150\nsystem 25\n",
                     "/sys/fs/cgroup/cpu,cpuacct/berth/t/a/cpu.stat": "nr_periods 0\n"]
        let d = CgroupDetail.read(directories: ["/sys/fs/cgroup/memory/berth/t/a", "/sys/fs/cgroup/cpu,cpuacct/berth/t/a"], ticksPerSecond: 100) { files[$0] }
        #expect(d.memoryStat.map(\.0) == ["cache", "rss", "total_rss"])
        #expect(d.memoryStat.map(\.1) == [4096, 8192, 8192])
        #expect(d.userNanos == 1_500_000_000 && d.systemNanos == 250_000_000)
    }

    @Test func v2ReadsMicrosecondsFromCpuStat() {
        let files = ["/sys/fs/cgroup/berth/t/a/memory.stat": "anon 100\nfile 200\nnot a number\n",
                     "/sys/fs/cgroup/berth/t/a/cpu.stat": "usage_usec 30\nuser_usec 20\nsystem_usec 10\n"]
        let d = CgroupDetail.read(directories: ["/sys/fs/cgroup/berth/t/a"]) { files[$0] }
        #expect(d.memoryStat.map(\.0) == ["anon", "file"])
        #expect(d.userNanos == 20_000 && d.systemNanos == 10_000)
        #expect(CgroupDetail.read(directories: ["/none"]) { _ in nil } == CgroupDetail())
    }
}

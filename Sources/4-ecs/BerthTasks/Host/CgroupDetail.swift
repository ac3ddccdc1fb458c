import BerthCgroups
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// What Docker's stats show beyond `CgroupStats`, read from a container's cgroup directories in
/// whichever driver's layout: `memory.stat` (all of its counters), and the CPU time split into
/// user and kernel (v1 `cpuacct.stat` in USER_HZ ticks, v2 `cpu.stat` user_usec/system_usec).
public struct CgroupDetail: Sendable, Equatable {
    public var memoryStat: [(String, UInt64)] = []
    public var userNanos: UInt64?
    public var systemNanos: UInt64?

    public static func == (a: CgroupDetail, b: CgroupDetail) -> Bool {
        a.memoryStat.map(\.0) == b.memoryStat.map(\.0) && a.memoryStat.map(\.1) == b.memoryStat.map(\.1)
            && a.userNanos == b.userNanos && a.systemNanos == b.systemNanos
    }

    /// From the group's directories (`CgroupDriver.directories`); `read` returns a file's text or nil.
    public static func read(directories: [String], ticksPerSecond: UInt64 = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK)))),
                            read: (String) -> String? = { try? Files.read($0) }) -> CgroupDetail {
        var d = CgroupDetail()
        for dir in directories {
            if d.memoryStat.isEmpty, let text = read(dir + "/memory.stat") { d.memoryStat = keyed(text) }
            if d.userNanos == nil, let text = read(dir + "/cpuacct.stat") {
                let k = Dictionary(keyed(text), uniquingKeysWith: { a, _ in a })
                let perTick = 1_000_000_000 / ticksPerSecond
                d.userNanos = k["user"].map { $0 * perTick }
                d.systemNanos = k["system"].map { $0 * perTick }
            } else if d.userNanos == nil, let text = read(dir + "/cpu.stat") {
                let k = Dictionary(keyed(text), uniquingKeysWith: { a, _ in a })
                if let u = k["user_usec"] {
                    d.userNanos = u * 1000
                    d.systemNanos = k["system_usec"].map { $0 * 1000 }
                }
            }
        }
        return d
    }

    static func keyed(_ text: String) -> [(String, UInt64)] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 2, let v = UInt64(f[1]) else { return nil }
            return (String(f[0]), v)
        }
    }
}

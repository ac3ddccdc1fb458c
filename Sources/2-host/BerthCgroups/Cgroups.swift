import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Entry points: find out what the host has and get the matching driver.
public enum Cgroups {
    public static let defaultRoot = "/sys/fs/cgroup"

    /// statfs magic, like runc/crun/youki: cgroup2 at `root` is v2; otherwise a cgroup2 at
    /// `root/unified` is hybrid; otherwise a tmpfs of v1 mounts is v1.
    public static func detect(root: String = defaultRoot) throws(CgroupError) -> CgroupMode {
        var type = 0, flags = 0
        if berth_statfs(root, &type, &flags) != 0 {
            throw .sys(SysError("statfs", detail: root))
        }
        if type == BERTH_CGROUP2_SUPER_MAGIC { return .v2 }
        var utype = 0
        if berth_statfs(root + "/unified", &utype, &flags) == 0, utype == BERTH_CGROUP2_SUPER_MAGIC {
            return .hybrid
        }
        if type == BERTH_TMPFS_MAGIC || type == BERTH_CGROUP_SUPER_MAGIC { return .v1 }
        throw .unsupported("\(root) is neither cgroup2 nor a tmpfs of cgroup v1 mounts (statfs type 0x\(String(type, radix: 16)))")
    }

    /// The driver for this host. v1 and hybrid use the v1 hierarchies found in /proc/self/mountinfo
    /// (the hybrid host's cgroup2 at `unified` has no resource controllers and is not used).
    /// `mode`: what `detect` already said for `root` (not asked again).
    public static func driver(root: String = defaultRoot, mode known: CgroupMode? = nil) throws(CgroupError) -> any CgroupDriver {
        let mode: CgroupMode
        if let known { mode = known } else { mode = try detect(root: root) }
        switch mode {
        case .v2:
            return CgroupV2Driver(root: root, enableRootControllers: true)
        case .v1, .hybrid:
            let mountinfo: String
            do { mountinfo = try Files.read("/proc/self/mountinfo") } catch { throw .sys(error) }
            let driver = CgroupV1Driver(root: root, mountinfo: mountinfo, mode: mode)
            if driver.hierarchies.isEmpty { throw .unsupported("no cgroup v1 controllers mounted under \(root)") }
            return driver
        }
    }
}

/// One mounted cgroup v1 hierarchy: its controllers (co-mounted ones share a directory tree).
public struct V1Hierarchy: Sendable, Equatable {
    public var controllers: [String]
    public var mountPoint: String

    public init(controllers: [String], mountPoint: String) {
        self.controllers = controllers
        self.mountPoint = mountPoint
    }

    /// The controllers Berth puts its groups in. Named hierarchies (name=systemd) belong to others.
    public static let used: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices", "blkio"]

    /// v1 hierarchies mounted below `root`, from /proc/self/mountinfo text. A hierarchy mounted
    /// twice (bind mounts) is listed once. Only hierarchies with at least one `used` controller.
    public static func parse(mountinfo: String, under root: String) -> [V1Hierarchy] {
        // Over UTF-8 bytes: splitting the String by Characters (grapheme breaking) cost more than
        // reading the file on every container start.
        let prefix = Array((root + "/").utf8)
        var text = mountinfo
        return text.withUTF8 { bytes in
            var seen: Set<ArraySlice<UInt8>> = []
            var out: [V1Hierarchy] = []
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard let dash = fields.firstIndex(where: { $0.count == 1 && $0.first == UInt8(ascii: "-") }), dash >= 6,
                      fields.count >= dash + 4, fields[dash + 1].elementsEqual("cgroup".utf8) else { continue }
                let device = Array(fields[2])[...]
                let point = fields[4]
                guard point.starts(with: prefix) else { continue }
                let controllers = fields[dash + 3].split(separator: UInt8(ascii: ","))
                    .map { String(decoding: $0, as: UTF8.self) }.filter { used.contains($0) }
                guard !controllers.isEmpty, !seen.contains(device) else { continue }
                seen.insert(device)
                out.append(V1Hierarchy(controllers: controllers.sorted(),
                                       mountPoint: unescape(String(decoding: point, as: UTF8.self))))
            }
            return out
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count,
               let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

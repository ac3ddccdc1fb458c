import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A `cgroup` mount in the spec (usually /sys/fs/cgroup), always read-only.
/// - cgroup v2 host: a cgroup2 mount (with a cgroup namespace it shows the container's cgroup as root).
/// - v1/hybrid host: a tmpfs holding one mount per hierarchy the host has: a fresh mount of the
///   hierarchy inside a cgroup namespace, otherwise a read-only bind of this process's own cgroup
///   directory in it (never the host's whole tree); co-mounted controllers get symlinks
///   (`cpu -> cpu,cpuacct`), as runc lays it out.
struct CgroupMount {
    let opts: MountOptions
    let dest: String
    let comps: [String]
    let plan: NamespacePlan

    static let hostRoot = "/sys/fs/cgroup"
    static let roFlags = BERTH_MS_RDONLY | BERTH_MS_NOSUID | BERTH_MS_NODEV | BERTH_MS_NOEXEC

    func mount(rooted: RootedPath, _ sys: some MountSyscalls) throws {
        let fsType = try sys.statfs(Self.hostRoot).type
        let flags = opts.flags | BERTH_MS_NOSUID | BERTH_MS_NODEV | BERTH_MS_NOEXEC
        if fsType == BERTH_CGROUP2_SUPER_MAGIC {
            let target = try rooted.open(comps, create: .directory)
            defer { target.close() }
            try sys.mount("cgroup", on: target.procPath, type: "cgroup2", flags: flags | BERTH_MS_RDONLY,
                          what: "cgroup2 on \(dest)")
            return
        }
        try mountV1(rooted: rooted, flags: flags, sys)
    }

    struct Hierarchy: Equatable {
        /// Directory name under /sys/fs/cgroup (`cpu,cpuacct`, `memory`, `systemd`, `unified`).
        var name: String
        var mountPoint: String
        /// Root of the mount inside its hierarchy (mountinfo field 4).
        var mountRoot: String
        var isV2: Bool
        /// Super options naming the hierarchy (`cpu,cpuacct`, `name=systemd`); empty for v2.
        var controllers: [String]
    }

    /// The cgroup hierarchies mounted under /sys/fs/cgroup, from mountinfo text.
    static func hierarchies(mountinfo: String) -> [Hierarchy] {
        var out: [Hierarchy] = []
        for line in mountinfo.split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let fstype = String(right[0])
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            let mp = MountInfo.unescape(String(left[4]))
            guard mp.hasPrefix(hostRoot + "/") else { continue }
            let name = String(mp.dropFirst(hostRoot.count + 1))
            guard !name.contains("/") else { continue }
            let controllers = fstype == "cgroup2" ? [] : right[2].split(separator: ",").map(String.init).filter(isController)
            out.append(Hierarchy(name: name, mountPoint: mp, mountRoot: MountInfo.unescape(String(left[3])),
                                 isV2: fstype == "cgroup2", controllers: controllers))
        }
        return out
    }

    /// Super options that are not controller names (`rw`, `nsdelegate`, `release_agent=...`).
    static let nonControllerOptions: Set<String> = [
        "rw", "ro", "clone_children", "noprefix", "xattr", "cpuset_v2_mode", "nsdelegate",
        "memory_recursiveprot", "memory_localevents", "favordynmods", "memory_hugetlb_accounting",
    ]

    static func isController(_ option: String) -> Bool {
        !nonControllerOptions.contains(option) && !option.hasPrefix("release_agent=")
    }

    /// This process's cgroup path in `h`, from /proc/self/cgroup text.
    static func ownPath(in h: Hierarchy, procCgroup: String) -> String? {
        for line in procCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if h.isV2 {
                if parts[0] == "0" && parts[1].isEmpty { return String(parts[2]) }
            } else if Set(parts[1].split(separator: ",").map(String.init)) == Set(h.controllers) {
                return String(parts[2])
            }
        }
        return nil
    }

    private func mountV1(rooted: RootedPath, flags: UInt, _ sys: some MountSyscalls) throws {
        let tmpfsFlags = flags & ~BERTH_MS_RDONLY
        do {
            let target = try rooted.open(comps, create: .directory)
            defer { target.close() }
            try sys.mount("tmpfs", on: target.procPath, type: "tmpfs", flags: tmpfsFlags, data: "mode=755",
                          what: "tmpfs for cgroup v1 hierarchies on \(dest)")
        }
        let hierarchies = Self.hierarchies(mountinfo: try sys.mountInfo())
        let procCgroup = try Files.read("/proc/self/cgroup")
        let fresh = plan.creates(.cgroup)
        for h in hierarchies {
            let sub = try rooted.open(comps + [h.name], create: .directory)
            defer { sub.close() }
            if fresh {
                // Inside our cgroup namespace a new mount of the hierarchy is rooted at our cgroup.
                let data = h.isV2 ? nil : h.controllers.joined(separator: ",")
                try sys.mount("cgroup", on: sub.procPath, type: h.isV2 ? "cgroup2" : "cgroup",
                              flags: Self.roFlags, data: data, what: "cgroup \(h.name) on \(dest)/\(h.name)")
                continue
            }
            guard let own = Self.ownPath(in: h, procCgroup: procCgroup) else { continue }
            var rel = own
            if h.mountRoot != "/" {
                guard own == h.mountRoot || own.hasPrefix(h.mountRoot + "/") else { continue }
                rel = String(own.dropFirst(h.mountRoot.count))
            }
            let source = h.mountPoint + rel
            try sys.mount(source, on: sub.procPath, type: nil, flags: BERTH_MS_BIND, what: "bind cgroup \(source) on \(dest)/\(h.name)")
            let mounted = try rooted.open(comps + [h.name])
            defer { mounted.close() }
            try sys.mount(nil, on: mounted.procPath, type: nil, flags: Self.roFlags | BERTH_MS_BIND | BERTH_MS_REMOUNT,
                          what: "remount cgroup \(dest)/\(h.name) read-only")
        }
        let dir = try rooted.open(comps)
        defer { dir.close() }
        let names = Set(hierarchies.map { $0.name })
        for h in hierarchies where h.name.contains(",") {
            for c in h.name.split(separator: ",").map(String.init) where !names.contains(c) {
                try sys.symlink(h.name, in: dir, c, detail: "\(dest)/\(c)")
            }
        }
        if flags & BERTH_MS_RDONLY != 0 {
            try sys.mount(nil, on: dir.procPath, type: nil, flags: tmpfsFlags | BERTH_MS_RDONLY | BERTH_MS_REMOUNT,
                          what: "remount \(dest) read-only")
        }
    }
}

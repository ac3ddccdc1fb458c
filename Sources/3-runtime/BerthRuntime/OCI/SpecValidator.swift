import BerthInit
import BerthCgroups
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// What create needs from a validated spec.
public struct ContainerPlan: Sendable, Equatable {
    /// The spec with `root.path` made absolute.
    public var spec: Spec
    public var rootfs: String
    public var cgroup: CgroupPath
    public var resources: CgroupResources
    /// `linux.seccomp` checked and translated (compiled at create, through `SeccompCache`).
    public var seccomp: SeccompPlan? = nil
}

/// Checks a spec before anything is created, so bad input leaves nothing behind. Every problem
/// is reported with the JSON path of its field, e.g.
/// `process.capabilities.bounding[2]: unknown capability "CAP_FOO"`.
public enum SpecValidator {
    public static let namespaceTypes: Set<String> = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
    public static let propagations: Set<String> = ["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]

    public static func validate(_ spec: Spec, bundle: String, id: String) throws(RuntimeError) -> ContainerPlan {
        var issues: [SpecIssue] = []
        var spec = spec
        let rootfs = checkRoot(spec.root, bundle: bundle, &issues)
        if let rootfs { spec.root?.path = rootfs }
        checkProcess(spec.process, &issues)
        let namespaces = checkNamespaces(spec.linux?.namespaces, &issues)
        checkNamespacePaths(spec.linux?.namespaces, &issues)
        checkJoinedMountNamespace(spec, &issues)
        checkUserNamespace(spec.linux, &issues)
        if spec.hostname.map({ !$0.isEmpty }) == true && !namespaces.contains("uts") {
            issues.append(SpecIssue("hostname", "needs a private UTS namespace (add {\"type\": \"uts\"} to linux.namespaces)"))
        }
        checkSysctls(spec.linux?.sysctl, namespaces: spec.linux?.namespaces, &issues)
        checkMounts(spec.mounts, &issues)
        checkPaths(spec.linux?.maskedPaths, field: "linux.maskedPaths", &issues)
        checkPaths(spec.linux?.readonlyPaths, field: "linux.readonlyPaths", &issues)
        if let p = spec.linux?.rootfsPropagation, !propagations.contains(p) {
            issues.append(SpecIssue("linux.rootfsPropagation", "unknown propagation \(p.debugDescription)"))
        }
        var resources = checkResources(spec.linux?.resources, &issues)
        let nodeRules = checkLinuxDevices(spec.linux?.devices, mounts: spec.mounts, &issues)
        if !nodeRules.isEmpty { resources.devices = DeviceRule.effective(resources.devices ?? [], nodes: nodeRules) }
        let cgroup = checkCgroupsPath(spec.linux?.cgroupsPath, id: id, &issues)
        checkHooks(spec.hooks, &issues)
        var seccomp: SeccompPlan?
        if let profile = spec.linux?.seccomp {
            let (plan, problems) = SeccompPlanner.plan(profile)
            seccomp = plan
            issues += problems
        }
        guard issues.isEmpty, let rootfs, let cgroup else { throw .invalidSpec(issues) }
        return ContainerPlan(spec: spec, rootfs: rootfs, cgroup: cgroup, resources: resources, seccomp: seccomp)
    }

    // MARK: root

    static func checkRoot(_ root: Spec.Root?, bundle: String, _ issues: inout [SpecIssue]) -> String? {
        guard let root else {
            issues.append(SpecIssue("root", "missing (the container needs a root filesystem)"))
            return nil
        }
        guard !root.path.isEmpty else {
            issues.append(SpecIssue("root.path", "must not be empty"))
            return nil
        }
        let path = root.path.hasPrefix("/") ? root.path : bundle + "/" + root.path
        guard Files.exists(path) else {
            issues.append(SpecIssue("root.path", "\(path.debugDescription) does not exist"))
            return nil
        }
        guard Files.isDirectory(path) else {
            issues.append(SpecIssue("root.path", "\(path.debugDescription) is not a directory"))
            return nil
        }
        return path
    }

    // MARK: process

    static func checkProcess(_ process: Spec.Process?, _ issues: inout [SpecIssue]) {
        guard let process else {
            issues.append(SpecIssue("process", "missing (nothing to run)"))
            return
        }
        if process.args.isEmpty {
            issues.append(SpecIssue("process.args", "must not be empty"))
        } else if process.args[0].isEmpty {
            issues.append(SpecIssue("process.args[0]", "must not be empty"))
        }
        if !process.cwd.hasPrefix("/") {
            issues.append(SpecIssue("process.cwd", "\(process.cwd.debugDescription) is not an absolute path"))
        }
        if process.terminal == true {
            issues.append(SpecIssue("process.terminal", "true is not supported (Berth has no console socket); use false"))
        }
        for (i, entry) in (process.env ?? []).enumerated() where !entry.contains("=") || entry.hasPrefix("=") {
            issues.append(SpecIssue("process.env[\(i)]", "\(entry.debugDescription) is not NAME=value"))
        }
        if let umask = process.user.umask, umask > 0o777 {
            issues.append(SpecIssue("process.user.umask", "\(umask) is out of range 0...511 (0o777)"))
        }
        if let adj = process.oomScoreAdj, !(-1000...1000).contains(adj) {
            issues.append(SpecIssue("process.oomScoreAdj", "\(adj) is out of range -1000...1000"))
        }
        checkRlimits(process.rlimits, &issues)
        checkCapabilities(process.capabilities, &issues)
    }

    static func checkRlimits(_ rlimits: [Spec.Rlimit]?, _ issues: inout [SpecIssue]) {
        // Names, soft <= hard and duplicates: the same rules init applies (Security/Rlimits.swift).
        do { _ = try Rlimits.parse(rlimits) } catch { issues.append(SpecIssue(message: error.message)) }
    }

    static func checkCapabilities(_ caps: Spec.Capabilities?, _ issues: inout [SpecIssue]) {
        guard let caps else { return }
        let sets: [(String, [String]?)] = [("bounding", caps.bounding), ("effective", caps.effective),
                                           ("inheritable", caps.inheritable), ("permitted", caps.permitted),
                                           ("ambient", caps.ambient)]
        for (set, names) in sets {
            for (i, name) in (names ?? []).enumerated() where Capabilities.number(name) == nil {
                issues.append(SpecIssue("process.capabilities.\(set)[\(i)]", "unknown capability \(name.debugDescription)"))
            }
        }
    }

    static func checkSysctls(_ sysctl: [String: String]?, namespaces: [Spec.Namespace]?, _ issues: inout [SpecIssue]) {
        guard let sysctl, !sysctl.isEmpty, let plan = try? NamespacePlan(namespaces) else { return }
        for key in sysctl.keys.sorted() {
            do { _ = try Sysctl.path(for: key, namespaces: plan) } catch { issues.append(SpecIssue(message: error.message)) }
        }
    }

    // MARK: linux

    static func checkNamespaces(_ namespaces: [Spec.Namespace]?, _ issues: inout [SpecIssue]) -> Set<String> {
        var seen: Set<String> = []
        for (i, ns) in (namespaces ?? []).enumerated() {
            let field = "linux.namespaces[\(i)]"
            guard namespaceTypes.contains(ns.type) else {
                issues.append(SpecIssue("\(field).type", "unknown namespace type \(ns.type.debugDescription) (known: \(namespaceTypes.sorted().joined(separator: ", ")))"))
                continue
            }
            if !seen.insert(ns.type).inserted {
                issues.append(SpecIssue("\(field).type", "namespace \(ns.type) is given twice"))
            }
            if let path = ns.path, !path.isEmpty, !Files.exists(path) {
                issues.append(SpecIssue("\(field).path", "\(path.debugDescription) does not exist"))
            }
        }
        return seen
    }

    static func checkMounts(_ mounts: [Spec.Mount]?, _ issues: inout [SpecIssue]) {
        for (i, m) in (mounts ?? []).enumerated() {
            let field = "mounts[\(i)]"
            if !m.destination.hasPrefix("/") {
                issues.append(SpecIssue("\(field).destination", "\(m.destination.debugDescription) is not an absolute path"))
            }
            if m.destination.split(separator: "/").contains("..") {
                issues.append(SpecIssue("\(field).destination", "\(m.destination.debugDescription) must not contain \"..\""))
            }
            let isBind = m.type == "bind" || (m.options ?? []).contains { $0 == "bind" || $0 == "rbind" }
            if isBind {
                guard let source = m.source, !source.isEmpty else {
                    issues.append(SpecIssue("\(field).source", "a bind mount needs a source"))
                    continue
                }
                if source.hasPrefix("/") && !Files.exists(source) {
                    issues.append(SpecIssue("\(field).source", "\(source.debugDescription) does not exist"))
                }
            } else if m.type == nil || m.type?.isEmpty == true {
                issues.append(SpecIssue("\(field).type", "missing (e.g. \"tmpfs\", \"proc\" or \"bind\")"))
            }
        }
    }

    static func checkPaths(_ paths: [String]?, field: String, _ issues: inout [SpecIssue]) {
        for (i, p) in (paths ?? []).enumerated() where !p.hasPrefix("/") {
            issues.append(SpecIssue("\(field)[\(i)]", "\(p.debugDescription) is not an absolute path"))
        }
    }

    static func checkResources(_ r: Spec.Resources?, _ issues: inout [SpecIssue]) -> CgroupResources {
        var out = CgroupResources()
        out.devices = checkDevices(r?.devices, &issues)
        guard let r else { return out }
        if let memory = r.memory {
            if let limit = memory.limit {
                if limit == -1 || limit >= 4096 { out.memoryLimit = limit } else {
                    issues.append(SpecIssue("linux.resources.memory.limit", "\(limit) is out of range: use -1 (unlimited) or at least 4096 bytes"))
                }
            }
            if let reservation = memory.reservation {
                if reservation >= -1 { out.memoryReservation = reservation } else {
                    issues.append(SpecIssue("linux.resources.memory.reservation", "\(reservation) is negative"))
                }
            }
            if let swap = memory.swap, swap != -1, swap != memory.limit {
                issues.append(SpecIssue("linux.resources.memory.swap", "\(swap) is not supported: Berth only runs without extra swap (omit it, or use -1 or the memory limit)"))
            }
        }
        if let cpu = r.cpu {
            if let shares = cpu.shares, shares != 0 {
                if (2...262_144).contains(shares) { out.cpuShares = shares } else {
                    issues.append(SpecIssue("linux.resources.cpu.shares", "\(shares) is out of range 2...262144"))
                }
            }
            if let quota = cpu.quota, quota != 0 {
                if quota == -1 || quota >= 1000 { out.cpuQuota = quota } else {
                    issues.append(SpecIssue("linux.resources.cpu.quota", "\(quota) is out of range: use -1 (unlimited) or at least 1000 microseconds"))
                }
            }
            if let period = cpu.period, period != 0 {
                if (1000...1_000_000).contains(period) { out.cpuPeriod = period } else {
                    issues.append(SpecIssue("linux.resources.cpu.period", "\(period) is out of range 1000...1000000 microseconds"))
                }
            }
        }
        if let pids = r.pids, pids.limit != 0 {
            if pids.limit >= -1 { out.pidsLimit = pids.limit } else {
                issues.append(SpecIssue("linux.resources.pids.limit", "\(pids.limit) is out of range: use -1 (unlimited) or a positive number"))
            }
        }
        return out
    }

    /// `linux.cgroupsPath`: absolute below the cgroup root, relative below `berth/`, default
    /// `berth/<id>`; systemd's form refused (`CgroupsPathRule`).
    static func checkCgroupsPath(_ path: String?, id: String, _ issues: inout [SpecIssue]) -> CgroupPath? {
        switch CgroupsPathRule.resolve(path, id: id) {
        case .path(let cgroup): return cgroup
        case .refused(let issue):
            issues.append(issue)
            return nil
        }
    }
}

import BerthJSON

/// The runtime-spec `config.json` properties (Linux) Berth does not honour, each refused with its
/// JSON path and a reason: `linux.intelRdt: is not supported (...)`. Every other property of the
/// schema is read by a `JSONRecord` member list of `Spec` (OCISpec+JSON.swift); SchemaWalkTests
/// checks against the schema's property list that no property is in neither (silently ignored)
/// nor in both. Keys outside the schema are ignored, as the spec requires and runc does.
///
/// Paths use `[]` for "every element": `mounts[].uidMappings`. A value that asks for nothing
/// (null, false, "", [], {}) is not refused: generated configs carry such defaults.
public enum RefusedSpecFields {
    /// Fields Berth does not implement.
    public static let unsupported: [String: String] = [
        "mounts[].uidMappings": "is not supported: idmapped bind mounts per mount are not implemented (a user namespace's rootfs is idmapped; see linux.uidMappings)",
        "mounts[].gidMappings": "is not supported: idmapped bind mounts per mount are not implemented (a user namespace's rootfs is idmapped; see linux.gidMappings)",
        "process.apparmorProfile": "is not supported: Berth applies no AppArmor profile",
        "process.selinuxLabel": "is not supported: Berth applies no SELinux label",
        "process.commandLine": "is not supported: it is a Windows field; use process.args",
        "process.consoleSize": "is not supported: Berth has no console (process.terminal must be false)",
        "process.execCPUAffinity": "is not supported: Berth sets no CPU affinity",
        "process.ioPriority": "is not supported: Berth sets no I/O priority",
        "process.scheduler": "is not supported: Berth sets no scheduling policy",
        "linux.intelRdt": "is not supported: Berth has no Intel RDT (resctrl) support",
        "linux.memoryPolicy": "is not supported: Berth sets no NUMA memory policy",
        "linux.mountLabel": "is not supported: Berth applies no SELinux mount label",
        "linux.netDevices": "is not supported: Berth moves no network devices into the container",
        "linux.personality": "is not supported: Berth sets no execution domain",
        "linux.timeOffsets": "is not supported: Berth creates no time namespace offsets",
        "linux.resources.blockIO": "is not supported: Berth sets no block I/O limits",
        "linux.resources.hugepageLimits": "is not supported: Berth sets no hugetlb limits",
        "linux.resources.network": "is not supported: Berth sets no net_cls/net_prio values",
        "linux.resources.rdma": "is not supported: Berth sets no RDMA limits",
        "linux.resources.unified": "is not supported: Berth writes no raw cgroup v2 files; use memory, cpu and pids",
        "linux.resources.cpu.burst": "is not supported: Berth sets no CPU burst",
        "linux.resources.cpu.cpus": "is not supported: Berth sets no cpuset",
        "linux.resources.cpu.mems": "is not supported: Berth sets no cpuset",
        "linux.resources.cpu.idle": "is not supported: Berth sets no SCHED_IDLE cgroup",
        "linux.resources.cpu.realtimePeriod": "is not supported: Berth sets no real-time CPU limits",
        "linux.resources.cpu.realtimeRuntime": "is not supported: Berth sets no real-time CPU limits",
        "linux.resources.memory.kernel": "is not supported: kernel memory limits are gone from Linux (and deprecated in the spec)",
        "linux.resources.memory.kernelTCP": "is not supported: Berth sets no kernel TCP memory limit",
        "linux.resources.memory.swappiness": "is not supported: Berth sets no swappiness",
        "linux.resources.memory.disableOOMKiller": "is not supported: the OOM killer stays on",
        "linux.resources.memory.useHierarchy": "is not supported: Berth does not change the cgroup v1 hierarchy setting",
        "linux.resources.memory.checkBeforeUpdate": "is not supported: Berth does not update running containers",
    ]

    /// Every refused path with its message.
    public static var all: [String: String] { unsupported }

    /// The refused fields present in a config.json document, in path order.
    public static func issues(in document: JSONValue) -> [SpecIssue] {
        var found: [SpecIssue] = []
        for (pattern, message) in all {
            for path in present(pattern.split(separator: ".").map(String.init), in: document, at: .root) {
                found.append(SpecIssue(path.description, message))
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The concrete paths matching `parts` (`name` or `name[]`) whose value asks for something.
    static func present(_ parts: [String], in value: JSONValue, at path: JSONPath) -> [JSONPath] {
        guard let first = parts.first else { return asksForSomething(value) ? [path] : [] }
        let each = first.hasSuffix("[]")
        let key = each ? String(first.dropLast(2)) : first
        guard let child = value[key] else { return [] }
        let rest = Array(parts.dropFirst())
        guard each else { return present(rest, in: child, at: path / key) }
        guard let elements = child.arrayValue else { return [] }
        return elements.enumerated().flatMap { i, element in present(rest, in: element, at: path / key / i) }
    }

    static func asksForSomething(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return false
        case .bool(let b): return b
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.members.isEmpty
        case .number: return true
        }
    }
}

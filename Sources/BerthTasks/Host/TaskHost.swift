import BerthCgroups
import BerthECS
import BerthRuntime
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Host resources of one task: directories, overlay rootfs per container, the task's network
/// namespace and its parent cgroup. `prepare` is undone by `cleanup`, which is idempotent and
/// safe after a partial `prepare` (it only removes what exists under the task's own names).
public struct TaskHost: Sendable {
    public var layout: TaskLayout
    public var networkMode: NetworkMode
    public var cgroups: (any CgroupDriver)?
    /// Task-level limits (task `cpu` units → CFS quota, `memory` MiB → hard limit).
    public var resources: CgroupResources

    public init(layout: TaskLayout, networkMode: NetworkMode, cgroups: (any CgroupDriver)?, resources: CgroupResources = CgroupResources()) {
        self.layout = layout
        self.networkMode = networkMode
        self.cgroups = cgroups
        self.resources = resources
    }

    /// Task `cpu` (units, 1024 = 1 vCPU) and `memory` (MiB) as cgroup limits: quota = units/1024 × period.
    public static func taskResources(cpuUnits: Int?, memoryMiB: Int?) -> CgroupResources {
        var r = CgroupResources()
        if let units = cpuUnits, units > 0 {
            r.cpuPeriod = 100_000
            r.cpuQuota = Int64(units) * 100_000 / 1024
        }
        if let mib = memoryMiB, mib > 0 { r.memoryLimit = Int64(mib) << 20 }
        return r
    }

    public func prepare(_ containers: [ContainerPrep]) throws {
        try Files.makeDirectories(layout.taskDir, mode: 0o711)
        try Files.makeDirectories(layout.dataDir + "/logs", mode: 0o700)
        if networkMode != .host {
            let (status, err) = try HostProcess.run(HostProcess.selfExecutable, ["netns-create", layout.netnsPath])
            guard status == 0 else {
                throw TranslationError("networkMode", "ResourceInitializationError: failed to create the task network namespace: \(err.trimmingCharacters(in: "\n "))")
            }
        }
        if let cgroups {
            try cgroups.create(try CgroupPath(layout.cgroupParent), resources: resources)
        }
        for c in containers { try prepareContainer(c) }
    }

    func prepareContainer(_ c: ContainerPrep) throws {
        let name = c.plan.name
        for dir in [layout.rootfs(name), layout.upperDir(name), layout.workDir(name), layout.containerDir(name) + "/etc"] {
            try Files.makeDirectories(dir)
        }
        for (path, content) in c.files { try Files.writeAtomically(path, Array(content.utf8)) }
        for dir in c.directories { try Files.makeDirectories(dir) }
        guard !c.lowerDirs.isEmpty else { throw TranslationError(name, "image has no layers") }
        let data = "lowerdir=\(c.lowerDirs.joined(separator: ":")),upperdir=\(layout.upperDir(name)),workdir=\(layout.workDir(name))"
        try Sys.call("mount overlay", detail: layout.rootfs(name)) { berth_mount("overlay", layout.rootfs(name), "overlay", 0, data) }
    }

    /// Remove everything `prepare` made, even after a failure half-way. Logs are kept.
    public func cleanup(containerNames: [String]) -> [String] {
        var problems: [String] = []
        for name in containerNames {
            let rootfs = layout.rootfs(name)
            if isMountPoint(rootfs) {
                let (_, e) = Sys.attempt { berth_umount2(rootfs, 0) }
                if e != 0 { _ = Sys.attempt { berth_umount2(rootfs, BERTH_MNT_DETACH) } }
            }
        }
        do { try Netns.remove(layout.netnsPath) } catch { problems.append("\(error)") }
        if let cgroups, let path = try? CgroupPath(layout.cgroupParent), cgroups.exists(path) {
            do { try cgroups.remove(path) } catch { problems.append("\(error)") }
        }
        do { try Files.removeTree(layout.taskDir) } catch { problems.append("\(error)") }
        do { try Files.removeTree(layout.dataDir + "/volumes") } catch { problems.append("\(error)") }
        return problems
    }

    func isMountPoint(_ path: String) -> Bool {
        guard let info = try? Files.read("/proc/self/mountinfo") else { return false }
        return info.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4] == path
        }
    }
}

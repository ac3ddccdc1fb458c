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
    /// TCP ports to publish on the host (awsvpc/bridge), relayed into the task by `berth port-proxy`.
    public var ports: [PublishedPort] = []
    /// Host address published ports listen on: for awsvpc the task's own loopback address (see
    /// `awsvpcAddress`), for bridge 127.0.0.1 (hostPort or a free port, as Docker publishes).
    public var bindIP: String

    public init(layout: TaskLayout, networkMode: NetworkMode, cgroups: (any CgroupDriver)?, resources: CgroupResources = CgroupResources()) {
        self.layout = layout
        self.networkMode = networkMode
        self.cgroups = cgroups
        self.resources = resources
        self.bindIP = networkMode == .awsvpc ? TaskHost.awsvpcAddress(taskId: layout.taskId) : "127.0.0.1"
    }

    /// In ECS every awsvpc task has its own IP address, so two copies of a task may both serve
    /// their containerPort. Locally each awsvpc task gets its own address in 127.0.0.0/8 (all of
    /// which is loopback on Linux), derived from its task id: 127.128.0.1 to 127.255.255.254,
    /// clear of 127.0.0.1 and 127.0.1.1.
    public static func awsvpcAddress(taskId: String) -> String {
        let h = SHA256.hash(Array(taskId.utf8))
        let last = min(max(h[2], 1), 254)
        return "127.\(0x80 | h[0]).\(h[1]).\(last)"
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

    /// Prepare everything; returns the published ports with their actual host ports.
    @discardableResult
    public func prepare(_ containers: [ContainerPrep]) throws -> [PublishedPort] {
        try Files.makeDirectories(layout.taskDir, mode: 0o711)
        try Files.makeDirectories(layout.dataDir + "/logs", mode: 0o700)
        for c in containers { if let target = c.awslogs { try linkAWSLogs(c.plan.name, target) } }
        if networkMode != .host {
            let (status, err) = try HostProcess.run(HostProcess.selfExecutable, ["netns-create", layout.netnsPath])
            guard status == 0 else {
                throw TranslationError("networkMode", "ResourceInitializationError: failed to create the task network namespace: \(err.trimmingCharacters(in: "\n "))",
                                       kind: .resourceInitialization)
            }
        }
        if let cgroups {
            try cgroups.create(try CgroupPath(layout.cgroupParent), resources: resources)
        }
        for c in containers { try prepareContainer(c) }
        return try publishPorts()
    }

    var proxyPidFile: String { layout.taskDir + "/port-proxy.pid" }

    /// One `berth port-proxy` per task for all its TCP port mappings.
    func publishPorts() throws -> [PublishedPort] {
        guard networkMode != .host, !ports.isEmpty else { return ports }
        let specs = ports.map { "\(bindIP):\($0.hostPort):\($0.containerPort)" }
        let (pid, line, err) = try HostProcess.start(HostProcess.selfExecutable, ["port-proxy", layout.netnsPath] + specs)
        guard let line, line.hasPrefix("ready") else {
            throw TranslationError("portMappings", "ResourceInitializationError: cannot publish ports: \(err.trimmingCharacters(in: "\n "))",
                                   kind: .resourceInitialization)
        }
        try Files.writeAtomically(proxyPidFile, Array("\(pid) \(Proc.startTime(pid) ?? 0)\n".utf8))
        let bound = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        var out = ports
        for i in out.indices where i < bound.count {
            out[i].hostPort = bound[i]
            out[i].bindIP = bindIP
        }
        return out
    }

    func stopProxy() {
        guard let text = try? Files.read(proxyPidFile) else { return }
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count == 2, let pid = Int32(f[0]), let start = UInt64(f[1]), Proc.startTime(pid) == start else { return }
        kill(pid, SIGTERM)
        for _ in 0..<50 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || Proc.startTime(pid) != start { break }
            usleep(10_000)
        }
    }

    /// awslogs: the container's output files are its CloudWatch stream's files (AWSLogStore), so
    /// they outlive the task and `aws logs` reads what `berth task logs` reads. A missing group
    /// fails the start as the awslogs driver does, unless awslogs-create-group is "true".
    func linkAWSLogs(_ name: String, _ t: AWSLogsTarget) throws {
        let store = AWSLogStore(root: layout.awslogsRoot)
        let now = Int64((wallClockNow() * 1000).rounded(.down))
        do {
            if t.createGroup, store.group(t.group) == nil {
                do { try store.createGroup(t.group, now: now) } catch where error.kind == .alreadyExists {}
            }
            try store.createStream(group: t.group, stream: t.stream, now: now, ifMissing: true)
        } catch where error.kind == .notFound {
            throw TranslationError("\(name).logConfiguration", AWSLogsTarget.missingGroupReason(t.group), kind: .resourceInitialization)
        } catch {
            throw TranslationError("\(name).logConfiguration", "ResourceInitializationError: awslogs: \(error.message)", kind: .resourceInitialization)
        }
        let files = store.outputFiles(group: t.group, stream: t.stream)
        for (link, target) in [(layout.stdoutLog(name), files.stdout), (layout.stderrLog(name), files.stderr)] {
            _ = unlink(link)
            _ = try Sys.call("symlink", detail: link) { symlink(target, link) }
        }
    }

    func prepareContainer(_ c: ContainerPrep) throws {
        let name = c.plan.name
        for dir in [layout.rootfs(name), layout.upperDir(name), layout.workDir(name), layout.containerDir(name) + "/etc"] {
            try Files.makeDirectories(dir)
        }
        for (path, content) in c.files { try Files.writeAtomically(path, Array(content.utf8)) }
        for (path, source) in c.copies { try Files.writeAtomically(path, try Files.readBytes(source), mode: 0o555) }
        for dir in c.directories { try Files.makeDirectories(dir) }
        guard !c.lowerDirs.isEmpty else { throw TranslationError(name, "image has no layers") }
        let data = "lowerdir=\(c.lowerDirs.joined(separator: ":")),upperdir=\(layout.upperDir(name)),workdir=\(layout.workDir(name))"
        // nodev: device nodes that came with an image (Docs/tasks.md, "Images") cannot be opened by
        // the container; its devices are the runtime's own, on the /dev tmpfs mounted over this.
        try Sys.call("mount overlay", detail: layout.rootfs(name)) { berth_mount("overlay", layout.rootfs(name), "overlay", BERTH_MS_NODEV, data) }
    }

    /// Remove everything `prepare` made, even after a failure half-way. Logs are kept. The task
    /// directory goes last: while it exists the teardown is unfinished (see
    /// `HostEngineAdapter.finishAdoption`).
    public func cleanup(containerNames: [String]) -> [String] {
        var problems: [String] = []
        stopProxy()
        for name in containerNames {
            let rootfs = layout.rootfs(name)
            if isMountPoint(rootfs) {
                let (_, e) = Sys.attempt { berth_umount2(rootfs, 0) }
                if e != 0 { _ = Sys.attempt { berth_umount2(rootfs, BERTH_MNT_DETACH) } }
            }
        }
        TestPause.at("task-teardown-midway")
        do { try Netns.remove(layout.netnsPath) } catch { problems.append("\(error)") }
        if let cgroups, let path = try? CgroupPath(layout.cgroupParent), cgroups.exists(path) {
            do { try cgroups.remove(path) } catch { problems.append("\(error)") }
        }
        do { try Files.removeTree(layout.dataDir + "/volumes") } catch { problems.append("\(error)") }
        do { try Files.removeTree(layout.taskDir) } catch { problems.append("\(error)") }
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

/// A container port published on the host (ECS `networkBindings`).
public struct PublishedPort: Sendable, Equatable {
    public var container: String
    public var containerPort: Int
    /// 0 before publishing in bridge mode without hostPort: a free port is picked.
    public var hostPort: Int
    public var bindIP: String
    public var `protocol`: String

    public init(container: String, containerPort: Int, hostPort: Int, bindIP: String = "127.0.0.1", protocol: String = "tcp") {
        self.container = container
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.bindIP = bindIP
        self.protocol = `protocol`
    }

    /// TCP port mappings of a task definition: awsvpc publishes containerPort (hostPort must equal
    /// it), bridge publishes hostPort or a free port. UDP mappings are not published.
    public static func from(_ td: TaskDefinitionInput) -> [PublishedPort] {
        guard td.effectiveNetworkMode == .awsvpc || td.effectiveNetworkMode == .bridge else { return [] }
        return td.containers.flatMap { c in
            (c.portMappings ?? []).compactMap { pm -> PublishedPort? in
                guard let cp = pm.containerPort, pm.protocol != .udp else { return nil }
                let hp = td.effectiveNetworkMode == .awsvpc ? (pm.hostPort ?? cp) : (pm.hostPort ?? 0)
                return PublishedPort(container: c.name ?? "", containerPort: cp, hostPort: hp)
            }
        }
    }
}

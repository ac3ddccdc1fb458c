import BerthCgroups
import BerthECS
import BerthImages
import BerthInit
import BerthRuntime
import BerthSys

/// What one container needs on the host besides its spec: generated /etc files and directories.
public struct ContainerPrep: Sendable {
    public var plan: TaskContainer
    /// Host path → content (hosts, resolv.conf, hostname).
    public var files: [String: String]
    /// Volume directories to create before start.
    public var directories: [String]
    /// Image layers (top first) for the overlay rootfs.
    public var lowerDirs: [String]
    /// Host destination → host source of executables copied in before start (the task's own copy
    /// of berth-reaper, so no container can reach the file other tasks run; Docs/security.md).
    public var copies: [String: String] = [:]
    /// awslogs: the CloudWatch group and stream its output files belong to (`TaskHost.prepare`).
    public var awslogs: AWSLogsTarget? = nil
}

/// Translates one ECS container definition into an OCI spec plus lifecycle plan (pure apart from
/// reading local environmentFiles). Docker semantics throughout: `entryPoint` replaces the image
/// ENTRYPOINT (and drops its CMD), `command` replaces CMD; image Env comes first, then
/// environmentFiles, then `environment`, then `secrets` (RunTask overrides are already applied to the definition).
public struct SpecBuilder {
    public var task: TaskDefinitionInput
    public var layout: TaskLayout
    /// Host path of the static reaper bind-mounted as the container's init when `initProcessEnabled`.
    public var initBinary: String?
    /// pids.max of every container's cgroup (`PidsLimit`); -1 for no limit.
    public var pidsLimit: Int64
    /// The agent's region: awslogs-region must name it (the local CloudWatch Logs answers one region).
    public var awslogsRegion: String? = nil
    public var readFile: (String) throws -> String = { try Files.read($0) }
    /// The host facts Docker's default seccomp profile depends on (architecture, kernel).
    public var seccompHost: DockerSeccomp.Host = .current
    /// The host node a `linuxParameters.devices[].hostPath` names (`HostNode.lookup`).
    public var statHost: (String) throws -> HostNode? = { try HostNode.lookup($0) }
    /// Per container (definition order): the resolved values of its `secrets` (`TaskSecrets`).
    public var secretEnvironment: [[(name: String, value: String)]] = []
    /// Variables the host adds to a container (per container name), before its environmentFiles
    /// and `environment`, so the definition's own values win: ECS's ECS_CONTAINER_METADATA_URI_V4,
    /// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, ...
    public var extraEnvironment: [String: [(name: String, value: String)]] = [:]
    /// The nameserver of containers in the task's own network namespace (the agent's in-task
    /// resolver, 127.0.0.11); nil: the host's. A container's `dnsServers` win over it, as
    /// Docker's --dns does.
    public var taskNameserver: String? = nil

    public init(task: TaskDefinitionInput, layout: TaskLayout, initBinary: String? = nil, pidsLimit: Int64 = PidsLimit.defaultLimit) {
        self.task = task
        self.layout = layout
        self.initBinary = initBinary
        self.pidsLimit = pidsLimit
    }

    public static let initPathInContainer = "/dev/.berth-reaper"

    public func build(index: Int, image: ImageConfig, lowerDirs: [String] = []) throws(TranslationError) -> ContainerPrep {
        let c = task.containers[index]
        let path = "containerDefinitions[\(index)]"
        let name = c.name ?? "container-\(index)"
        if c.privileged == true {
            throw TranslationError("\(path).privileged", "privileged containers are not supported by Berth (they would get every capability and all host devices)")
        }
        let hostname = c.hostname ?? String(layout.taskId.filter(\.isHexDigit).prefix(12)).nonEmpty ?? "berth"
        let awslogs = try AWSLogsTarget.of(c, taskId: layout.taskId, runtimeId: TaskPlan.runtimeId(task: layout.taskId, container: name), region: awslogsRegion, path: path)

        var process = Spec.Process(args: try args(c, image, path), cwd: c.workingDirectory ?? image.WorkingDir.nonEmpty ?? "/")
        process.env = try environment(c, image, hostname, path, secrets: index < secretEnvironment.count ? secretEnvironment[index] : [])
        process.user = try user(c.user ?? image.User, "\(path).user")
        process.capabilities = try capabilities(c.linuxParameters?.capabilities, "\(path).linuxParameters.capabilities")
        process.rlimits = rlimits(c.ulimits)
        process.noNewPrivileges = try SecurityOptions.noNewPrivileges(c.dockerSecurityOptions, "\(path).dockerSecurityOptions") ? true : nil
        if c.linuxParameters?.initProcessEnabled == true {
            guard initBinary != nil else {
                throw TranslationError("\(path).linuxParameters.initProcessEnabled", "no init binary (berth-reaper) was found next to berth; build it with `swift build`")
            }
            process.args = [Self.initPathInContainer, "--"] + process.args
        }

        var files: [String: String] = [:]
        files[layout.etcFile(name, "hosts")] = hostsFile(hostname, c.extraHosts)
        files[layout.etcFile(name, "hostname")] = hostname + "\n"
        files[layout.etcFile(name, "resolv.conf")] = resolvConf(c)

        var mounts = DockerDefaults.mounts(shmMiB: c.linuxParameters?.sharedMemorySize)
        for file in ["hosts", "hostname", "resolv.conf"] {
            mounts.append(Spec.Mount(destination: "/etc/\(file)", type: "bind", source: layout.etcFile(name, file), options: ["rbind", "rw"]))
        }
        var directories: [String] = []
        try volumeMounts(c, index, &mounts, &directories)
        for (i, t) in (c.linuxParameters?.tmpfs ?? []).enumerated() {
            guard let dest = t.containerPath, let size = t.size else { continue }
            guard dest.hasPrefix("/") else { throw TranslationError("\(path).linuxParameters.tmpfs[\(i)].containerPath", "must be an absolute path") }
            mounts.append(Spec.Mount(destination: dest, type: "tmpfs", source: "tmpfs", options: (t.mountOptions ?? []) + ["size=\(size)m"]))
        }
        var copies: [String: String] = [:]
        if let initBinary, c.linuxParameters?.initProcessEnabled == true {
            let copy = layout.containerDir(name) + "/berth-reaper"
            copies[copy] = initBinary
            mounts.append(Spec.Mount(destination: Self.initPathInContainer, type: "bind", source: copy, options: ["bind", "ro"]))
        }

        var linux = Spec.Linux(namespaces: namespaces(disableNetworking: c.disableNetworking == true), resources: resources(c), cgroupsPath: layout.cgroup(name),
                               maskedPaths: DockerDefaults.maskedPaths, readonlyPaths: DockerDefaults.readonlyPaths)
        linux.seccomp = DockerSeccomp.profile(bounding: process.capabilities?.bounding ?? [], host: seccompHost)
        let sysctl = Dictionary((c.systemControls ?? []).compactMap { s in s.namespace.map { ($0, s.value ?? "") } }, uniquingKeysWith: { $1 })
        if !sysctl.isEmpty { linux.sysctl = sysctl }
        let devices = try devices(c, path)
        if !devices.nodes.isEmpty {
            linux.devices = devices.nodes
            linux.resources?.devices = [Spec.DeviceCgroup(DeviceRule.denyAll)] + devices.rules + Spec.DeviceCgroup.dockerDefaults.dropFirst()
        }

        var annotations = c.dockerLabels ?? [:]
        annotations["com.amazonaws.ecs.container-name"] = name
        annotations["com.amazonaws.ecs.task-definition-family"] = task.family ?? ""
        annotations["com.amazonaws.ecs.task-id"] = layout.taskId

        let spec = Spec(process: process, root: Spec.Root(path: layout.rootfs(name), readonly: c.readonlyRootFilesystem == true),
                        hostname: hostname, mounts: mounts, linux: linux, annotations: annotations)
        let plan = TaskContainer(
            name: name, essential: c.isEssential,
            dependsOn: (c.dependsOn ?? []).compactMap { d in
                guard let n = d.containerName, let cond = d.condition else { return nil }
                return Dependency(containerName: n, condition: DependencyCondition(rawValue: cond.rawValue) ?? .start)
            },
            startTimeout: c.startTimeout.map(Double.init), stopTimeout: Double(c.stopTimeout.flatMap { $0 > 0 ? $0 : nil } ?? 30),
            healthCheck: c.healthCheck.flatMap { hc in
                guard let cmd = hc.command, !cmd.isEmpty else { return nil }
                return HealthCheckPlan(args: HealthCheckPlan.argv(fromECSCommand: cmd), interval: Double(hc.effectiveInterval),
                                       timeout: Double(hc.effectiveTimeout), retries: hc.effectiveRetries,
                                       startPeriod: Double(hc.effectiveStartPeriod))
            },
            restartPolicy: c.restartPolicy.map {
                RestartPolicyPlan(enabled: $0.enabled ?? false, ignoredExitCodes: ($0.ignoredExitCodes ?? []).map { Int32(truncatingIfNeeded: $0) },
                                  restartAttemptPeriod: Double($0.effectiveRestartAttemptPeriod))
            },
            spec: spec, bundle: layout.containerDir(name),
            // awslogs output is kept whole, like CloudWatch: never rotated.
            stdio: .logFiles(stdout: layout.stdoutLog(name), stderr: layout.stderrLog(name), maxBytes: awslogs == nil ? 10 << 20 : 0, maxFiles: awslogs == nil ? 3 : 1))
        var withSignal = plan
        if let raw = image.StopSignal, !raw.isEmpty {
            guard let sig = SignalNames.parse(raw) else {
                throw TranslationError("\(path).image", "image \(c.image ?? "") has an unknown StopSignal \(raw.debugDescription)", kind: .image)
            }
            withSignal.stopSignal = sig
        }
        return ContainerPrep(plan: withSignal, files: files, directories: directories, lowerDirs: lowerDirs, copies: copies, awslogs: awslogs)
    }

    // MARK: process

    func args(_ c: ContainerDefinition, _ image: ImageConfig, _ path: String) throws(TranslationError) -> [String] {
        let command = c.command
        let argv: [String]
        if let entry = c.entryPoint, !entry.isEmpty {
            argv = entry + (command ?? [])
        } else {
            argv = (image.Entrypoint ?? []) + (command ?? image.Cmd ?? [])
        }
        guard !argv.isEmpty else {
            throw TranslationError("\(path).command", "no command specified: neither the container definition nor image \(c.image ?? "") has an entryPoint or command")
        }
        return argv
    }

    func environment(_ c: ContainerDefinition, _ image: ImageConfig, _ hostname: String, _ path: String,
                     secrets: [(name: String, value: String)] = []) throws(TranslationError) -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        func set(_ k: String, _ v: String) {
            if values[k] == nil { order.append(k) }
            values[k] = v
        }
        for kv in image.Env ?? [ImageConfig.defaultPath] {
            let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        if values["PATH"] == nil { set("PATH", String(ImageConfig.defaultPath.dropFirst(5))) }
        set("HOSTNAME", hostname)
        for kv in extraEnvironment[c.name ?? ""] ?? [] { set(kv.name, kv.value) }
        for (i, f) in (c.environmentFiles ?? []).enumerated() {
            guard let local = f.localPath else {
                throw TranslationError("\(path).environmentFiles[\(i)].value", "S3 environment files are not available locally; use an absolute path or file:// URL of a local .env file")
            }
            let text: String
            do { text = try readFile(local) } catch {
                throw TranslationError("\(path).environmentFiles[\(i)].value", "cannot read \(local): \(error)")
            }
            for line in text.split(separator: "\n") {
                let t = line.trimmingCharacters(in: " \t\r")
                guard !t.isEmpty, !t.hasPrefix("#"), let eq = t.firstIndex(of: "=") else { continue }
                set(String(t[..<eq]), String(t[t.index(after: eq)...]))
            }
        }
        for kv in c.environment ?? [] { if let k = kv.name { set(k, kv.value ?? "") } }
        for s in secrets { set(s.name, s.value) }
        if values["AWS_EXECUTION_ENV"] == nil { set("AWS_EXECUTION_ENV", "AWS_ECS_EC2") }
        return order.map { "\($0)=\(values[$0]!)" }
    }

    /// `uid`, `uid:gid` → numbers; anything with a name → resolved by init in the rootfs.
    func user(_ raw: String?, _ path: String) throws(TranslationError) -> Spec.User {
        guard let raw, !raw.isEmpty else { return Spec.User() }
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts.contains(where: \.isEmpty) else {
            throw TranslationError(path, "\(raw.debugDescription) is not user, user:group, uid or uid:gid")
        }
        if let uid = UInt32(parts[0]), parts.count == 1 { return Spec.User(uid: uid, gid: 0, username: nil) }
        if let uid = UInt32(parts[0]), let gid = UInt32(parts[1]) { return Spec.User(uid: uid, gid: gid) }
        return Spec.User(username: raw)
    }

    func capabilities(_ caps: KernelCapabilities?, _ path: String) throws(TranslationError) -> Spec.Capabilities {
        var set = Capabilities.dockerDefault
        func normalise(_ name: String, _ field: String) throws(TranslationError) -> [String] {
            if name.uppercased() == "ALL" { return Capabilities.all }
            guard let full = Capabilities.canonical(name) else { throw TranslationError(field, "unknown capability \(name.debugDescription)") }
            return [full]
        }
        for (i, cap) in (caps?.add ?? []).enumerated() {
            for c in try normalise(cap, "\(path).add[\(i)]") where !set.contains(c) { set.append(c) }
        }
        for (i, cap) in (caps?.drop ?? []).enumerated() {
            let drop = try normalise(cap, "\(path).drop[\(i)]")
            set.removeAll { drop.contains($0) }
        }
        return Spec.Capabilities(bounding: set, effective: set, inheritable: nil, permitted: set, ambient: nil)
    }

    func rlimits(_ ulimits: [Ulimit]?) -> [Spec.Rlimit] {
        var out = (ulimits ?? []).compactMap { u -> Spec.Rlimit? in
            guard let n = u.name else { return nil }
            return Spec.Rlimit(type: DockerDefaults.rlimitName(n.rawValue), soft: UInt64(max(0, u.softLimit ?? 0)), hard: UInt64(max(0, u.hardLimit ?? 0)))
        }
        if !out.contains(where: { $0.type == "RLIMIT_NOFILE" }) { out.append(DockerDefaults.nofile) }
        return out
    }

    // MARK: files

    func hostsFile(_ hostname: String, _ extra: [HostEntry]?) -> String {
        var lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "127.0.1.1\t\(hostname)"]
        for h in extra ?? [] { if let ip = h.ipAddress, let name = h.hostname { lines.append("\(ip)\t\(name)") } }
        return lines.joined(separator: "\n") + "\n"
    }

    func resolvConf(_ c: ContainerDefinition) -> String {
        var lines: [String] = []
        if let servers = c.dnsServers, !servers.isEmpty {
            lines += servers.map { "nameserver \($0)" }
        } else if let resolver = taskNameserver, task.effectiveNetworkMode == .awsvpc || task.effectiveNetworkMode == .bridge,
                  c.disableNetworking != true {
            lines.append("nameserver \(resolver)")
        } else if let host = try? readFile("/etc/resolv.conf") {
            lines += host.split(separator: "\n").map(String.init).filter { $0.hasPrefix("nameserver") && !$0.contains("127.") }
        }
        if let search = c.dnsSearchDomains, !search.isEmpty { lines.append("search " + search.joined(separator: " ")) }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    // MARK: volumes

    func volumeMounts(_ c: ContainerDefinition, _ index: Int, _ mounts: inout [Spec.Mount], _ dirs: inout [String]) throws(TranslationError) {
        var points: [(MountPoint, String, Bool)] = (c.mountPoints ?? []).enumerated().map { ($1, "containerDefinitions[\(index)].mountPoints[\($0)]", false) }
        for (i, vf) in (c.volumesFrom ?? []).enumerated() {
            guard let src = task.containers.first(where: { $0.name == vf.sourceContainer }) else {
                throw TranslationError("containerDefinitions[\(index)].volumesFrom[\(i)].sourceContainer", "no container named \((vf.sourceContainer ?? "").debugDescription) in this task definition")
            }
            points += (src.mountPoints ?? []).map { ($0, "containerDefinitions[\(index)].volumesFrom[\(i)]", vf.readOnly == true) }
        }
        for (mp, path, forceRO) in points {
            guard let volName = mp.sourceVolume, let dest = mp.containerPath else { continue }
            guard let vol = task.volume(named: volName) else {
                throw TranslationError("\(path).sourceVolume", "no volume named \(volName.debugDescription) in the task definition's volumes")
            }
            let source: String
            switch vol.kind {
            case .hostPath(let p): source = p
            case .taskScoped: source = layout.volumeDir(volName); dirs.append(source)
            case .shared: source = layout.sharedVolumeDir(volName); dirs.append(source)
            case .cloudOnly: throw TranslationError("\(path).sourceVolume", "volume \(volName.debugDescription) is an EFS/FSx/S3/EBS volume, which cannot be mounted on one host")
            }
            let ro = mp.readOnly == true || forceRO
            mounts.append(Spec.Mount(destination: dest, type: "bind", source: source, options: ["rbind", ro ? "ro" : "rw"]))
        }
    }

    // MARK: namespaces and resources

    /// Network: the task's namespace (awsvpc, bridge, none), the host's (host), or a private one
    /// with only loopback (`disableNetworking`, Docker's NetworkDisabled).
    func namespaces(disableNetworking: Bool) -> [Spec.Namespace] {
        var ns = [Spec.Namespace(type: "mount"), Spec.Namespace(type: "uts")]
        if task.pidMode != .host { ns.append(Spec.Namespace(type: "pid")) }
        if task.ipcMode != .host { ns.append(Spec.Namespace(type: "ipc")) }
        if disableNetworking {
            ns.append(Spec.Namespace(type: "network"))
        } else if task.effectiveNetworkMode != .host {
            ns.append(Spec.Namespace(type: "network", path: layout.netnsPath))
        }
        return ns
    }

    /// Container `cpu` → CPU shares (ECS agent: unset/0/1 → 2, capped at 262144); `memory` → hard
    /// limit, `memoryReservation` → soft limit (MiB); the host's `pidsLimit` → pids.max; Docker's
    /// device list (`DockerDefaults.devices`).
    func resources(_ c: ContainerDefinition) -> Spec.Resources {
        let shares = UInt64(min(max(c.cpu ?? 0, 2), 262144))
        return Spec.Resources(memory: Spec.Memory(limit: c.memory.map { Int64($0) << 20 }, reservation: c.memoryReservation.map { Int64($0) << 20 }),
                              cpu: Spec.CPU(shares: shares), pids: Spec.Pids(limit: pidsLimit), devices: DockerDefaults.devices)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension Optional where Wrapped == String {
    var nonEmpty: String? { self?.isEmpty == false ? self : nil }
}

import BerthJSON

/// Task-level rules: family, container count and names, volumes, tags, placement, platform.
enum TaskRules {
    static func check(_ ctx: ValidationContext) {
        let input = ctx.input
        if let family = input.family, !Names.isValidName(family) {
            ctx.error(ctx.path("family"), family.isEmpty
                ? "Family should not be null or empty."
                : "Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed.")
        }
        if let containers = input.containerDefinitions {
            if containers.isEmpty {
                ctx.error(ctx.path("containerDefinitions"), "A task definition must have at least one container definition.")
            } else if containers.count > 10 {
                ctx.error(ctx.path("containerDefinitions"), "Too many containers. A task definition can have at most 10 containers (this one has \(containers.count)).")
            }
            checkUniqueNames(ctx, containers)
            if !containers.isEmpty, !containers.contains(where: \.isEssential) {
                ctx.error(ctx.path("containerDefinitions"), "A task definition must have at least one essential container.")
            }
        }
        checkVolumes(ctx)
        checkTags(ctx)
        if let proxy = input.proxyConfiguration?.containerName, !proxy.isEmpty, input.container(named: proxy) == nil {
            ctx.error(ctx.path("proxyConfiguration") / "containerName", "proxyConfiguration containerName \(quoted(proxy)) is not a container of this task definition.")
        }
        checkPlacement(ctx)
        checkPlatform(ctx)
        if let secretsUser = input.containers.firstIndex(where: { !($0.secrets ?? []).isEmpty || !($0.logConfiguration?.secretOptions ?? []).isEmpty }),
            (input.executionRoleArn ?? "").isEmpty
        {
            ctx.error(ctx.base / "containerDefinitions" / secretsUser / "secrets",
                "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'")
        }
    }

    private static func checkUniqueNames(_ ctx: ValidationContext, _ containers: [ContainerDefinition]) {
        var seen: Set<String> = []
        for (i, c) in containers.enumerated() {
            guard let name = c.name, !name.isEmpty else { continue }
            if !seen.insert(name).inserted {
                ctx.error(ctx.base / "containerDefinitions" / i / "name", "Container names must be unique within a Task Definition.")
            }
        }
    }

    private static func checkVolumes(_ ctx: ValidationContext) {
        var names: Set<String> = []
        var launchConfigured = 0
        for (i, volume) in (ctx.input.volumes ?? []).enumerated() {
            let p = ctx.base / "volumes" / i
            if let name = volume.name {
                if !Names.isValidName(name) {
                    ctx.error(p / "name", "Volume name \(quoted(name)) is invalid: use 1-255 letters, numbers, hyphens and underscores.")
                } else if !names.insert(name).inserted {
                    ctx.error(p / "name", "Volume names must be unique within a Task Definition: \(quoted(name)) is repeated.")
                }
            } else if volume.efsVolumeConfiguration != nil || volume.configuredAtLaunch == true || volume.s3filesVolumeConfiguration != nil {
                ctx.error(p / "name", "Volume name is required for this volume type.")
            }
            let kinds = [volume.host != nil, volume.dockerVolumeConfiguration != nil, volume.efsVolumeConfiguration != nil,
                         volume.fsxWindowsFileServerVolumeConfiguration != nil, volume.s3filesVolumeConfiguration != nil]
            if kinds.filter({ $0 }).count > 1 {
                ctx.error(p, "A volume can only have one of host, dockerVolumeConfiguration, efsVolumeConfiguration, fsxWindowsFileServerVolumeConfiguration, s3filesVolumeConfiguration.")
            }
            if volume.configuredAtLaunch == true { launchConfigured += 1 }
            if let path = volume.host?.sourcePath, !path.isEmpty { checkSourcePath(ctx, path, at: p / "host" / "sourcePath") }
            if let dvc = volume.dockerVolumeConfiguration, dvc.autoprovision == true, dvc.scope != .shared {
                ctx.error(p / "dockerVolumeConfiguration" / "autoprovision", "autoprovision can only be true when scope is 'shared'.")
            }
            if let efs = volume.efsVolumeConfiguration, let port = efs.transitEncryptionPort, !(0...65535).contains(port) {
                ctx.error(p / "efsVolumeConfiguration" / "transitEncryptionPort", "transitEncryptionPort must be 0-65535, got \(port).")
            }
        }
        if launchConfigured > 1 {
            ctx.error(ctx.path("volumes"), "At most one volume can be configured at launch (configuredAtLaunch); this task definition has \(launchConfigured).")
        }
    }

    /// Absolute, as a Docker bind-mount source must be; `.` and `..` are cleaned lexically as
    /// Docker does, and the warning shows the path that is mounted.
    private static func checkSourcePath(_ ctx: ValidationContext, _ path: String, at p: JSONPath) {
        guard path.hasPrefix("/") else {
            ctx.error(p, "host.sourcePath must be an absolute path, got \(quoted(path)).")
            return
        }
        if HostPath.hasDotComponents(path) {
            ctx.diag.warning(p, "host.sourcePath \(quoted(path)) has '.' or '..' components; like Docker, Berth cleans it lexically and bind-mounts \(quoted(HostPath.clean(path))).")
        }
    }

    private static func checkTags(_ ctx: ValidationContext) {
        if let tags = ctx.input.tags { TagRules.check(tags, at: ctx.path("tags"), ctx.diag) }
    }

    private static func checkPlacement(_ ctx: ValidationContext) {
        guard let constraints = ctx.input.placementConstraints else { return }
        if constraints.count > 10 {
            ctx.error(ctx.path("placementConstraints"), "Too many placement constraints: at most 10 are allowed, got \(constraints.count).")
        }
    }

    private static func checkPlatform(_ ctx: ValidationContext) {
        guard let platform = ctx.input.runtimePlatform else { return }
        let p = ctx.path("runtimePlatform")
        if let os = platform.operatingSystemFamily, os != .linux {
            ctx.error(p / "operatingSystemFamily", "Berth runs Linux containers only; operatingSystemFamily \(os.rawValue) cannot run on this host.")
        }
        if let arch = platform.cpuArchitecture, arch != ctx.host.cpuArchitecture {
            ctx.error(p / "cpuArchitecture", "This host is \(ctx.host.cpuArchitecture.rawValue) and Berth does not emulate other architectures; cpuArchitecture \(arch.rawValue) cannot run here.")
        }
    }
}

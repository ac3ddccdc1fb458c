import BerthJSON

/// Per-container rules: identity, process settings, storage, restart policy, timeouts.
enum ContainerRules {
    static func check(_ c: ContainerContext) {
        checkIdentity(c)
        checkProcess(c)
        checkStorage(c)
        checkRestartPolicy(c)
        checkTimeouts(c)
        if c.container.privileged == true, !c.task.fargate {
            c.error(c.path("privileged"), "Berth does not run privileged containers (full access to host devices and kernel settings); remove 'privileged' and add only the capabilities the container needs in linuxParameters.capabilities.add.")
        }
    }

    private static func checkIdentity(_ c: ContainerContext) {
        let d = c.container
        switch d.name {
        case nil, "": c.error(c.path("name"), "Container.name should not be null or empty.")
        case let name?:
            if !Names.isValidName(name) { c.error(c.path("name"), "Container.name contains invalid characters.") }
        }
        switch d.image {
        case nil: c.error(c.path("image"), "Container.image should not be null or empty.")
        case let image?:
            if image.trimmingWhitespace().isEmpty {
                c.error(c.path("image"), "Container.image should not be null or empty.")
            } else if !Names.isValidImage(image) {
                c.error(c.path("image"), "Container.image contains invalid characters.")
            }
        }
    }

    private static func checkProcess(_ c: ContainerContext) {
        let d = c.container
        var names: Set<String> = []
        for (i, kv) in (d.environment ?? []).enumerated() {
            let p = c.path("environment") / i
            guard let name = kv.name, !name.isEmpty else {
                c.error(p / "name", "Environment variable name should not be null or empty.")
                continue
            }
            if name.contains("=") || name.contains("\0") {
                c.error(p / "name", "Environment variable name \(quoted(name)) must not contain '=' or NUL.")
            }
            if !names.insert(name).inserted {
                c.task.diag.warning(p / "name", "Environment variable \(quoted(name)) is defined more than once in container \(c.label); the last value wins.")
            }
        }
        if let files = d.environmentFiles, files.count > 10 {
            c.error(c.path("environmentFiles"), "At most 10 environment files are allowed, got \(files.count).")
        }
        for (i, file) in (d.environmentFiles ?? []).enumerated() {
            guard let value = file.value, file.localPath == nil else { continue }
            if !value.hasPrefix("arn:") || !value.hasSuffix(".env") {
                c.error(c.path("environmentFiles") / i / "value", "Environment file \(quoted(value)) must be an S3 object ARN ending in .env, or (Berth extension) an absolute local path.")
            }
        }
        for (i, req) in (d.resourceRequirements ?? []).enumerated() where req.type == .gpu {
            if let value = req.value, (Int(value) ?? 0) < 1 {
                c.error(c.path("resourceRequirements") / i / "value", "The GPU resource requirement must be a whole number of GPUs (1 or more), got \(quoted(value)).")
            }
        }
        for (i, s) in (d.secrets ?? []).enumerated() {
            if let name = s.name, name.isEmpty || name.contains("=") {
                c.error(c.path("secrets") / i / "name", "Secret name \(quoted(name)) is not a valid environment variable name.")
            }
        }
        if let user = d.user, !isValidUser(user) {
            c.error(c.path("user"), "Invalid user \(quoted(user)): use user, user:group, uid, uid:gid, user:gid or uid:group.")
        }
        if let dir = d.workingDirectory, !dir.hasPrefix("/") {
            c.error(c.path("workingDirectory"), "workingDirectory must be an absolute path, got \(quoted(dir)).")
        }
        for key in ["entryPoint", "command"] {
            if let list = key == "entryPoint" ? d.entryPoint : d.command, list.contains(where: { $0.contains("\0") }) {
                c.error(c.path(key), "\(key) arguments must not contain NUL characters.")
            }
        }
    }

    static func isValidUser(_ user: String) -> Bool {
        let parts = user.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && !p.contains(where: { $0.isWhitespace || $0 == "/" }) && (!p.allSatisfy(\.isASCIIDigit) || Int(p) != nil)
        }
    }

    private static func checkStorage(_ c: ContainerContext) {
        let d = c.container
        var paths: Set<String> = []
        for (i, m) in (d.mountPoints ?? []).enumerated() {
            let p = c.path("mountPoints") / i
            if let source = m.sourceVolume {
                if c.task.input.volume(named: source) == nil {
                    c.error(p / "sourceVolume", "Invalid 'sourceVolume' \(quoted(source)) for container \(c.label): no task volume has this name.")
                }
            } else {
                c.error(p / "sourceVolume", "Mount point sourceVolume should not be null or empty.")
            }
            if let target = m.containerPath {
                if !target.hasPrefix("/") {
                    c.error(p / "containerPath", "Mount point containerPath must be an absolute path, got \(quoted(target)).")
                } else if !paths.insert(target).inserted {
                    c.error(p / "containerPath", "Container \(c.label) mounts more than one volume at \(quoted(target)).")
                }
            } else {
                c.error(p / "containerPath", "Mount point containerPath should not be null or empty.")
            }
        }
        for (i, v) in (d.volumesFrom ?? []).enumerated() {
            let p = c.path("volumesFrom") / i / "sourceContainer"
            guard let source = v.sourceContainer, !source.isEmpty else {
                c.error(p, "volumesFrom sourceContainer should not be null or empty.")
                continue
            }
            if source == d.name {
                c.error(p, "Container \(c.label) cannot mount volumes from itself.")
            } else if c.task.input.container(named: source) == nil {
                c.error(p, "Invalid volumesFrom: container \(quoted(source)) does not exist in this task definition.")
            }
        }
    }

    private static func checkRestartPolicy(_ c: ContainerContext) {
        guard let policy = c.container.restartPolicy else { return }
        let p = c.path("restartPolicy")
        if let period = policy.restartAttemptPeriod, !(60...1800).contains(period) {
            c.error(p / "restartAttemptPeriod", "restartAttemptPeriod must be between 60 and 1800 seconds, got \(period).")
        }
        if let codes = policy.ignoredExitCodes, codes.count > 50 {
            c.error(p / "ignoredExitCodes", "ignoredExitCodes can list at most 50 exit codes, got \(codes.count).")
        }
    }

    private static func checkTimeouts(_ c: ContainerContext) {
        guard !c.task.fargate else { return }   // FargateRules checks 2-120
        if let v = c.container.startTimeout, v < 0 {
            c.error(c.path("startTimeout"), "startTimeout must not be negative, got \(v).")
        }
        if let v = c.container.stopTimeout, v < 0 {
            c.error(c.path("stopTimeout"), "stopTimeout must not be negative, got \(v).")
        }
    }
}

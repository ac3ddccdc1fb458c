import BerthJSON

/// Warnings for what Berth stores but does not apply, or emulates locally (Docs/support-matrix.md).
/// One warning per kind, listing the other places that use it.
enum LocalSupport {
    static func check(_ ctx: ValidationContext) {
        checkTask(ctx)
        checkVolumes(ctx)
        for (i, c) in ctx.input.containers.enumerated() { checkContainer(ContainerContext(task: ctx, container: c, index: i)) }
    }

    private static func checkTask(_ ctx: ValidationContext) {
        let input = ctx.input
        let n = ctx.notices
        if input.taskRoleArn != nil {
            n.add("taskRole", ctx.path("taskRoleArn"), "the containers get this role's credentials from the task metadata endpoint when --task-role-credentials (of berth agent or berth run) maps it (none otherwise).")
        }
        if input.executionRoleArn != nil {
            n.add("executionRole", ctx.path("executionRoleArn"), "executionRoleArn is stored and returned but has no effect: Berth pulls images and writes logs with its own local configuration.")
        }
        if !(input.placementConstraints ?? []).isEmpty {
            n.add("placement", ctx.path("placementConstraints"), "placementConstraints are stored but not evaluated: every task runs on this one host.")
        }
        if input.proxyConfiguration != nil {
            n.add("proxy", ctx.path("proxyConfiguration"), "proxyConfiguration (App Mesh) is stored but ignored: no traffic redirection is set up for the task.")
        }
        if !(input.inferenceAccelerators ?? []).isEmpty {
            n.add("accelerators", ctx.path("inferenceAccelerators"), "inferenceAccelerators are stored but ignored: no accelerator is attached.")
        }
        if input.ephemeralStorage != nil {
            n.add("ephemeral", ctx.path("ephemeralStorage"), "ephemeralStorage is stored but not enforced: task storage is limited only by the host's disk.")
        }
        if input.enableFaultInjection == true {
            n.add("faults", ctx.path("enableFaultInjection"), "enableFaultInjection is stored but ignored: Berth has no fault injection endpoints.")
        }
    }

    private static func checkVolumes(_ ctx: ValidationContext) {
        for (i, v) in (ctx.input.volumes ?? []).enumerated() {
            let p = ctx.base / "volumes" / i
            let instead = "Berth mounts an empty directory that lives as long as the task instead."
            if v.efsVolumeConfiguration != nil {
                ctx.notices.add("efs", p / "efsVolumeConfiguration", "EFS volumes are not available on this host; " + instead)
            }
            if v.fsxWindowsFileServerVolumeConfiguration != nil {
                ctx.notices.add("fsx", p / "fsxWindowsFileServerVolumeConfiguration", "FSx for Windows File Server volumes are not available on this host; " + instead)
            }
            if v.s3filesVolumeConfiguration != nil {
                ctx.notices.add("s3files", p / "s3filesVolumeConfiguration", "S3 Files volumes are not available on this host; " + instead)
            }
            if v.configuredAtLaunch == true {
                ctx.notices.add("ebs", p / "configuredAtLaunch", "Volumes configured at launch (EBS) are not available on this host; " + instead)
            }
            if let dvc = v.dockerVolumeConfiguration {
                if let driver = dvc.driver, driver != "local" {
                    ctx.notices.add("driver", p / "dockerVolumeConfiguration" / "driver", "Docker volume drivers other than 'local' are not available; Berth uses a local directory (driver \(quoted(driver)) ignored).")
                }
                if !(dvc.driverOpts ?? [:]).isEmpty || !(dvc.labels ?? [:]).isEmpty {
                    ctx.notices.add("driverOpts", p / "dockerVolumeConfiguration", "dockerVolumeConfiguration driverOpts and labels are ignored: Berth volumes are plain local directories.")
                }
            }
        }
    }

    private static func checkContainer(_ c: ContainerContext) {
        let d = c.container
        let n = c.task.notices
        if d.repositoryCredentials != nil {
            n.add("repoCreds", c.path("repositoryCredentials"), "repositoryCredentials.credentialsParameter names a secret of the agent's local Secrets Manager ({\"username\", \"password\"}) or, when there is none of that name, a registry credential stored with `berth image login --name`.")
        }
        if !(d.links ?? []).isEmpty, c.task.networkMode == .bridge {
            n.add("links", c.path("links"), "links are emulated: the task's containers share one network namespace, so each linked name and alias resolves to 127.0.0.1 through /etc/hosts.")
        }
        if (d.environmentFiles ?? []).contains(where: { $0.localPath == nil }) {
            n.add("envFiles", c.path("environmentFiles"), "environmentFiles in S3 are not fetched, so their variables will not be set; give an absolute local path (Berth extension) to have the file read.")
        }
        if !(d.logConfiguration?.secretOptions ?? []).isEmpty {
            n.add("secretOptions", c.path("logConfiguration") / "secretOptions", "logConfiguration.secretOptions are resolved from the local Secrets Manager / Parameter Store when the task starts (a missing one fails it), but, like other log driver options, not used: output goes to Berth's local log files.")
        }
        if let log = d.logConfiguration, let driver = log.logDriver {
            switch driver {
            case .awslogs:
                n.add("awslogs", c.path("logConfiguration"), "awslogs is emulated: output goes to the agent's local CloudWatch Logs (read with `aws logs --endpoint-url` or `berth task logs`), stream awslogs-stream-prefix/container-name/task-id under <state-dir>/awslogs; awslogs-datetime-format and awslogs-multiline-pattern are refused when the task starts.")
            case .jsonFile:
                if !(log.options ?? [:]).isEmpty {
                    n.add("jsonfile", c.path("logConfiguration") / "options", "json-file options are ignored: Berth keeps container output in its own local log files.")
                }
            default:
                n.add("logdriver-\(driver.rawValue)", c.path("logConfiguration") / "logDriver", "log driver \(quoted(driver.rawValue)) is not available: output goes to Berth's local log files and its options are ignored.")
            }
        }
        if d.firelensConfiguration != nil {
            n.add("firelens", c.path("firelensConfiguration"), "firelensConfiguration is ignored: no log routing is configured; the container runs as an ordinary container.")
        }
        if !(d.credentialSpecs ?? []).isEmpty {
            n.add("credspecs", c.path("credentialSpecs"), "credentialSpecs (Active Directory gMSA) are ignored.")
        }
        if (d.dockerSecurityOptions ?? []).contains(where: { !$0.hasPrefix("no-new-privileges") }) {
            n.add("secopts", c.path("dockerSecurityOptions"), "only no-new-privileges is applied: a task with apparmor:, label:, credentialspec: or any other security option fails to start (Berth has no AppArmor, SELinux or gMSA; every container runs under Docker's default seccomp profile).")
        }
        if !(d.resourceRequirements ?? []).isEmpty {
            n.add("gpu", c.path("resourceRequirements"), "resourceRequirements are ignored: Berth does not assign GPUs or inference accelerators, so the container will see none.")
        }
        if let lin = d.linuxParameters {
            if lin.maxSwap != nil || lin.swappiness != nil {
                n.add("swap", c.path("linuxParameters"), "linuxParameters.maxSwap and swappiness are ignored: Berth sets no swap limit.")
            }
        }
        if d.interactive == true || d.pseudoTerminal == true {
            n.add("tty", c.path(d.interactive == true ? "interactive" : "pseudoTerminal"), "interactive and pseudoTerminal are ignored: containers run without a terminal and with stdin from /dev/null.")
        }
        if d.versionConsistency != nil {
            n.add("version", c.path("versionConsistency"), "versionConsistency is stored but ignored: the image is looked up in the local image store each time a task starts.")
        }
        if (d.portMappings ?? []).contains(where: { $0.appProtocol != nil }) {
            n.add("appProtocol", c.path("portMappings"), "portMappings appProtocol (Service Connect) is stored but ignored: Berth has no Service Connect proxy.")
        }
    }
}

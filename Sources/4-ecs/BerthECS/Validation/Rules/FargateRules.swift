import BerthJSON

/// Rules that apply when requiresCompatibilities contains FARGATE (§1.6, §1.8).
enum FargateRules {
    static func check(_ ctx: ValidationContext) {
        guard ctx.fargate else {
            if ctx.input.ephemeralStorage != nil {
                ctx.error(ctx.path("ephemeralStorage"), "ephemeralStorage is only supported for task definitions that require FARGATE.")
            }
            return
        }
        let input = ctx.input
        if input.cpu == nil { ctx.error(ctx.path("cpu"), "Fargate requires that 'cpu' be defined at the task level.") }
        if input.memory == nil { ctx.error(ctx.path("memory"), "Fargate requires that 'memory' be defined at the task level.") }
        if let cpu = ctx.taskCPU, let memory = ctx.taskMemory, !FargateSizes.isValid(cpu: cpu, memory: memory) {
            var message = "No Fargate configuration exists for given values: \(cpu) CPU, \(memory) memory."
            if let choices = FargateSizes.memoryChoices(cpu: cpu) {
                message += " With \(cpu) CPU units the memory must be \(choices)."
            } else {
                message += " Fargate cpu must be one of \(FargateSizes.table.map { String($0.cpu) }.joined(separator: ", "))."
            }
            ctx.error(ctx.path("memory"), message)
        }
        if input.networkMode != .awsvpc {
            ctx.error(ctx.path("networkMode"), "Fargate only supports network mode 'awsvpc'.")
        }
        if let size = input.ephemeralStorage?.sizeInGiB {
            if size < 21 { ctx.error(ctx.path("ephemeralStorage") / "sizeInGiB", "EphemeralStorage size should be at least 21") }
            if size > 200 { ctx.error(ctx.path("ephemeralStorage") / "sizeInGiB", "EphemeralStorage size should be at most 200") }
        }
        if let pid = input.pidMode, pid != .task {
            ctx.error(ctx.path("pidMode"), "Tasks using the Fargate launch type do not support pidMode '\(pid.rawValue)'. The supported value for pidMode is 'task'.")
        }
        if input.ipcMode != nil { ctx.error(ctx.path("ipcMode"), "Tasks using the Fargate launch type do not support ipcMode.") }
        if !(input.placementConstraints ?? []).isEmpty {
            ctx.error(ctx.path("placementConstraints"), "Task definition placement constraints are not supported by the Fargate launch type.")
        }
        for (i, v) in (input.volumes ?? []).enumerated() {
            if v.dockerVolumeConfiguration != nil {
                ctx.error(ctx.base / "volumes" / i / "dockerVolumeConfiguration", "Docker volumes are not supported by the Fargate launch type.")
            }
            if let path = v.host?.sourcePath, !path.isEmpty {
                ctx.error(ctx.base / "volumes" / i / "host" / "sourcePath", "Host volumes with a sourcePath are not supported by the Fargate launch type.")
            }
        }
        for (i, c) in input.containers.enumerated() { checkContainer(ContainerContext(task: ctx, container: c, index: i)) }
    }

    private static func checkContainer(_ c: ContainerContext) {
        let d = c.container
        if d.logConfiguration?.logDriver == .awslogs, (c.task.input.executionRoleArn ?? "").isEmpty {
            c.error(c.path("logConfiguration"), "Fargate requires task definition to have execution role ARN to support log driver awslogs.")
        }
        if d.privileged == true { c.error(c.path("privileged"), "Privileged mode is not supported by the Fargate launch type.") }
        for key in ["startTimeout", "stopTimeout"] {
            if let v = key == "startTimeout" ? d.startTimeout : d.stopTimeout, !(2...120).contains(v) {
                c.error(c.path(key), "Fargate requires '\(key)' to be between 2 and 120 seconds, got \(v).")
            }
        }
        let lp = c.path("linuxParameters")
        if let lin = d.linuxParameters {
            if !(lin.devices ?? []).isEmpty { c.error(lp / "devices", "Devices are not supported by the Fargate launch type.") }
            if lin.sharedMemorySize != nil { c.error(lp / "sharedMemorySize", "sharedMemorySize is not supported by the Fargate launch type.") }
            if lin.maxSwap != nil { c.error(lp / "maxSwap", "maxSwap is not supported by the Fargate launch type.") }
            if lin.swappiness != nil { c.error(lp / "swappiness", "swappiness is not supported by the Fargate launch type.") }
            if let add = lin.capabilities?.add, add.contains(where: { $0 != "SYS_PTRACE" }) {
                c.error(lp / "capabilities" / "add", "Fargate only supports adding the SYS_PTRACE kernel capability.")
            }
        }
        if !(d.dockerSecurityOptions ?? []).isEmpty {
            c.error(c.path("dockerSecurityOptions"), "dockerSecurityOptions are not supported by the Fargate launch type.")
        }
    }
}

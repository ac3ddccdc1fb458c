/// Task and container cpu/memory (§1.5, §1.7, §1.8).
enum ResourceRules {
    static func check(_ ctx: ValidationContext) {
        checkTaskValues(ctx)
        var cpuSum = 0
        var reservationSum = 0
        for (i, c) in ctx.input.containers.enumerated() {
            let cc = ContainerContext(task: ctx, container: c, index: i)
            cpuSum += max(c.cpu ?? 0, 0)
            reservationSum += max(c.memoryReservation ?? 0, 0)
            checkContainer(cc)
        }
        if let taskCPU = ctx.taskCPU, cpuSum > taskCPU {
            ctx.error(ctx.path("cpu"), "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")
        }
        if let taskMemory = ctx.taskMemory, reservationSum > taskMemory {
            ctx.error(ctx.path("memory"), "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.")
        }
    }

    private static func checkTaskValues(_ ctx: ValidationContext) {
        if let cpu = ctx.input.cpu {
            switch ResourceUnits.cpuUnits(cpu) {
            case .failure(let e):
                ctx.error(ctx.path("cpu"), "Invalid 'cpu' setting for task. \(e): use CPU units (\"256\", \"1024\") or vCPUs (\"0.25 vCPU\", \"1 vCPU\").")
            case .success(let units):
                if !ctx.fargate, !(128...196_608).contains(units) {
                    ctx.error(ctx.path("cpu"), "Invalid 'cpu' setting for task. Task cpu must be between 128 and 196608 CPU units, got \(units).")
                }
            }
        }
        if let memory = ctx.input.memory {
            switch ResourceUnits.memoryMiB(memory) {
            case .failure(let e):
                ctx.error(ctx.path("memory"), "Invalid 'memory' setting for task. \(e): use MiB (\"512\", \"2048\") or GB (\"0.5 GB\", \"2 GB\").")
            case .success(let mib):
                if mib < 6 {
                    ctx.error(ctx.path("memory"), "Invalid 'memory' setting for task. Task memory must be at least 6 MiB, got \(mib).")
                }
            }
        }
    }

    private static func checkContainer(_ c: ContainerContext) {
        let d = c.container
        if let cpu = d.cpu, cpu < 0 || cpu > 262_144 {
            c.error(c.path("cpu"), "Invalid 'cpu' setting for container \(c.label). Container cpu must be 0-262144 CPU units, got \(cpu).")
        }
        if let memory = d.memory, memory < 6 {
            c.error(c.path("memory"), "Invalid 'memory' setting for container \(c.label). The minimum is 6 MiB, got \(memory).")
        }
        if let reservation = d.memoryReservation, reservation < 6 {
            c.error(c.path("memoryReservation"), "Invalid 'memoryReservation' setting for container \(c.label). The minimum is 6 MiB, got \(reservation).")
        }
        if d.memory == nil, d.memoryReservation == nil, c.task.input.memory == nil {
            c.error(c.path, "Invalid setting for container '\(c.name)'. At least one of 'memory' or 'memoryReservation' must be specified.")
        }
        if let memory = d.memory, let reservation = d.memoryReservation, memory < reservation {
            c.error(c.path("memoryReservation"), "Invalid setting for container '\(c.name)'. 'memory' (\(memory)) must be greater than or equal to 'memoryReservation' (\(reservation)).")
        }
        if let memory = d.memory, let taskMemory = c.task.taskMemory, memory > taskMemory {
            c.error(c.path("memory"), "The 'memory' setting for container '\(c.name)' is greater than for the task.")
        }
    }
}

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

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

/// ECS service utilization (CloudWatch AWS/ECS): per task, the cgroup's usage against the
/// task's reservation, in percent (may exceed 100 when a task bursts above its reservation),
/// averaged over the service's running tasks.
public struct TaskUsage: Sendable, Equatable {
    /// CPU time the task used over the interval, in CPU-seconds.
    public var cpuSeconds: Double
    /// Wall time of that interval.
    public var interval: Seconds
    /// The task's CPU reservation in CPU units (1024 = one vCPU).
    public var cpuUnits: Double
    public var memoryBytes: Double
    /// The task's memory reservation in MiB.
    public var memoryMiB: Double
    public init(cpuSeconds: Double, interval: Seconds, cpuUnits: Double, memoryBytes: Double, memoryMiB: Double) {
        self.cpuSeconds = cpuSeconds
        self.interval = interval
        self.cpuUnits = cpuUnits
        self.memoryBytes = memoryBytes
        self.memoryMiB = memoryMiB
    }

    public var cpuPercent: Double? {
        guard interval > 0, cpuUnits > 0 else { return nil }
        return 100 * (cpuSeconds / interval) / (cpuUnits / 1024)
    }

    public var memoryPercent: Double? {
        guard memoryMiB > 0 else { return nil }
        return 100 * memoryBytes / (memoryMiB * 1_048_576)
    }
}

/// The service's (CPUUtilization, MemoryUtilization), nil for a metric none of the tasks gives.
public func serviceUtilization(_ tasks: [TaskUsage]) -> (cpu: Double?, memory: Double?) {
    func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
    return (mean(tasks.compactMap(\.cpuPercent)), mean(tasks.compactMap(\.memoryPercent)))
}

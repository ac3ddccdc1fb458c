import BerthECS
import BerthJSON
import BerthSys

/// The task metadata v4 (and v3) documents, as the ECS agent writes them
/// (`ecs-agent/tmds/handlers/v4`): pure functions of the agent's record and the engine's stats.
public enum TaskMetadataJSON {
    static func time(_ t: Double?) -> JSONValue? { t.map { .string(UTC.rfc3339(nanos: Int64($0 * 1e9))) } }

    static func networkMode(_ plan: TaskLaunchPlan) -> String {
        plan.taskDefinition["networkMode"]?.stringValue ?? "bridge"
    }

    static func definition(_ plan: TaskLaunchPlan, _ name: String) -> JSONValue? {
        plan.taskDefinition["containerDefinitions"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    static func revision(_ view: TaskMetadataView) -> String {
        String(view.plan.taskDefinitionArn.split(separator: ":").last ?? "")
    }

    /// One container (`/v4/<id>` and each of `/task`'s Containers).
    public static func container(_ view: TaskMetadataView, _ c: ECSContainer, address: String?, v4: Bool = true) -> JSONValue {
        let plan = view.plan
        let def = definition(plan, c.name)
        let id = TaskMetadataIdentity.containerId(taskId: plan.taskId, name: c.name)
        var labels: [(String, JSONValue?)] = [
            ("com.amazonaws.ecs.cluster", .string(plan.clusterArn)), ("com.amazonaws.ecs.container-name", .string(c.name)),
            ("com.amazonaws.ecs.task-arn", .string(plan.taskArn)), ("com.amazonaws.ecs.task-definition-family", .string(plan.family)),
            ("com.amazonaws.ecs.task-definition-version", .string(revision(view))),
        ]
        for (k, v) in def?["dockerLabels"]?.objectValue ?? JSONObject() { labels.append((k, v)) }
        let mode = networkMode(plan)
        var network: [(String, JSONValue?)] = [("NetworkMode", .string(mode)), ("IPv4Addresses", .array(address.map { [.string($0)] } ?? []))]
        if v4, mode == "awsvpc" {
            network += [("AttachmentIndex", .int(0)), ("MACAddress", ""), ("IPv4SubnetCIDRBlock", address.map { .string($0 + "/32") }),
                        ("DomainNameServers", []), ("DomainNameSearchList", []), ("PrivateDNSName", ""), ("SubnetGatewayIpv4Address", "")]
        }
        let log = def?["logConfiguration"]
        var members: [(String, JSONValue?)] = [
            ("DockerId", .string(id)), ("Name", .string(c.name)), ("DockerName", .string("ecs-\(plan.family)-\(revision(view))-\(c.name)")),
            ("Image", c.image.map(JSONValue.string) ?? def?["image"]), ("ImageID", c.imageDigest.map(JSONValue.string)),
            ("Labels", .obj(labels)), ("DesiredStatus", .string(view.task.desiredStatus.rawValue)), ("KnownStatus", .string(c.lastStatus.rawValue)),
            ("Limits", .obj([("CPU", .int(def?["cpu"]?.intValue ?? 0)), ("Memory", (def?["memory"] ?? def?["memoryReservation"]).flatMap { $0.intValue }.map(JSONValue.int))])),
            ("CreatedAt", time(view.task.createdAt)), ("StartedAt", time(view.task.startedAt)),
            ("FinishedAt", c.exitCode != nil ? time(view.task.executionStoppedAt ?? view.task.stoppedAt) : nil),
            ("Type", "NORMAL"), ("ExitCode", c.exitCode.map(JSONValue.int)),
            ("Networks", .array([.obj(network)])),
        ]
        if v4 {
            members += [("LogDriver", log?["logDriver"]), ("LogOptions", log?["options"]), ("ContainerARN", .string(c.containerArn)),
                        ("Snapshotter", "overlayfs"), ("RestartCount", .int(0))]
        }
        return .obj(members)
    }

    /// The task (`/task`, `/taskWithTags` with `withTags`).
    public static func task(_ view: TaskMetadataView, address: String?, withTags: Bool = false, v4: Bool = true, now: Double) -> JSONValue {
        let t = view.task, plan = view.plan
        let cpu = (plan.overrides?.cpu ?? plan.taskDefinition["cpu"]?.stringValue).flatMap(Double.init)
        let memory = (plan.overrides?.memory ?? plan.taskDefinition["memory"]?.stringValue).flatMap(Int.init)
        var members: [(String, JSONValue?)] = [
            ("Cluster", .string(plan.clusterArn)), ("TaskARN", .string(plan.taskArn)), ("Family", .string(plan.family)),
            ("Revision", .string(revision(view))), ("DesiredStatus", .string(t.desiredStatus.rawValue)), ("KnownStatus", .string(t.lastStatus.rawValue)),
            ("Limits", .obj([("CPU", cpu.map { .double($0 / 1024) }), ("Memory", memory.map(JSONValue.int))])),
            ("PullStartedAt", time(t.pullStartedAt)), ("PullStoppedAt", time(t.pullStoppedAt)),
            ("ExecutionStoppedAt", time(t.executionStoppedAt)),
            ("AvailabilityZone", .string(t.availabilityZone ?? plan.region + "a")), ("LaunchType", .string(t.launchType ?? "EC2")),
            ("Containers", .array(t.containers.map { container(view, $0, address: address, v4: v4) })),
        ]
        if let group = t.group, group.hasPrefix("service:") { members.append(("ServiceName", .string(String(group.dropFirst(8))))) }
        if v4 {
            members += [
                ("ClockDrift", .obj([("ClockErrorBound", .double(0)), ("ReferenceTimestamp", time(now)), ("ClockSynchronizationStatus", "SYNCHRONIZED")])),
                ("EphemeralStorageMetrics", .obj([("Utilized", .int(0)), ("Reserved", .int((t.ephemeralStorage?.sizeInGiB ?? 20) * 1024))])),
                ("FaultInjectionEnabled", false),
            ]
        }
        if withTags {
            members.append(("TaskTags", .obj(view.tags.map { ($0.0, .string($0.1)) })))
            members.append(("ContainerInstanceTags", .obj([])))
        }
        return .obj(members)
    }

    /// One sample of a container, kept to answer `precpu_stats` next time.
    public struct Sample: Sendable {
        var read: Double
        var cpu: ContainerStats
        var system: UInt64
        var rx: UInt64
        var tx: UInt64
    }

    static func cpuStats(_ c: ContainerStats?, system: UInt64?, online: Int) -> JSONValue {
        guard let c else { return .obj([("cpu_usage", .obj([("total_usage", .int(0))])), ("throttling_data", .obj([]))]) }
        return .obj([
            ("cpu_usage", .obj([("total_usage", .int(Int(clamping: c.cpuUsageNanos))),
                                ("usage_in_kernelmode", c.cpuSystemNanos.map { .int(Int(clamping: $0)) }),
                                ("usage_in_usermode", c.cpuUserNanos.map { .int(Int(clamping: $0)) })])),
            ("system_cpu_usage", system.map { .int(Int(clamping: $0)) }), ("online_cpus", .int(online)),
            ("throttling_data", .obj([("periods", .int(Int(clamping: c.cpuPeriods ?? 0))), ("throttled_periods", .int(Int(clamping: c.cpuThrottledPeriods ?? 0))),
                                      ("throttled_time", .int(Int(clamping: c.cpuThrottledNanos ?? 0)))])),
        ])
    }

    /// Docker's StatsJSON for one container plus ECS's `network_rate_stats`.
    public static func stats(id: String, name: String, _ c: ContainerStats, task s: TaskStats, previous: Sample?) -> (JSONValue, Sample) {
        let rx = s.networks.reduce(UInt64(0)) { $0 + $1.rxBytes }, tx = s.networks.reduce(UInt64(0)) { $0 + $1.txBytes }
        let sample = Sample(read: s.timestamp, cpu: c, system: s.systemCpuNanos ?? 0, rx: rx, tx: tx)
        var rates: JSONValue?
        if let p = previous, s.timestamp > p.read {
            let dt = s.timestamp - p.read
            rates = .obj([("rx_bytes_per_sec", .double((Double(rx) - Double(p.rx)) / dt)), ("tx_bytes_per_sec", .double((Double(tx) - Double(p.tx)) / dt))])
        }
        let networks: [(String, JSONValue?)] = s.networks.map { n in
            (n.name, .obj([("rx_bytes", .int(Int(clamping: n.rxBytes))), ("rx_packets", .int(Int(clamping: n.rxPackets))),
                           ("rx_errors", .int(Int(clamping: n.rxErrors))), ("rx_dropped", .int(Int(clamping: n.rxDropped))),
                           ("tx_bytes", .int(Int(clamping: n.txBytes))), ("tx_packets", .int(Int(clamping: n.txPackets))),
                           ("tx_errors", .int(Int(clamping: n.txErrors))), ("tx_dropped", .int(Int(clamping: n.txDropped)))]))
        }
        let json = JSONValue.obj([
            ("read", time(s.timestamp)), ("preread", time(previous?.read) ?? "0001-01-01T00:00:00Z"),
            ("pids_stats", .obj([("current", .int(c.pids)), ("limit", c.pidsLimit.map { .int(Int(clamping: $0)) })])),
            ("blkio_stats", .obj([("io_service_bytes_recursive", .null), ("io_serviced_recursive", .null), ("io_queue_recursive", .null),
                                  ("io_service_time_recursive", .null), ("io_wait_time_recursive", .null), ("io_merged_recursive", .null),
                                  ("io_time_recursive", .null), ("sectors_recursive", .null)])),
            ("num_procs", .int(0)), ("storage_stats", .obj([])),
            ("cpu_stats", cpuStats(c, system: s.systemCpuNanos, online: s.onlineCpus ?? 1)),
            ("precpu_stats", cpuStats(previous?.cpu, system: previous?.system, online: s.onlineCpus ?? 1)),
            ("memory_stats", .obj([("usage", .int(Int(clamping: c.memoryBytes))), ("max_usage", c.memoryPeakBytes.map { .int(Int(clamping: $0)) }),
                                   ("stats", .obj(c.memoryDetail.map { ($0.0, .int(Int(clamping: $0.1))) })),
                                   ("limit", .int(Int(clamping: c.memoryLimitBytes ?? s.hostMemoryBytes ?? 0)))])),
            ("name", .string("/" + name)), ("id", .string(id)),
            ("networks", s.networks.isEmpty ? nil : .obj(networks)),
            ("network_rate_stats", rates ?? .obj([("rx_bytes_per_sec", .double(0)), ("tx_bytes_per_sec", .double(0))])),
        ])
        return (json, sample)
    }
}

import BerthController
import BerthJSON
import BerthScaling
import Foundation

/// Service metrics and scaling decisions, run by the service loop before each reconcile:
/// every `metricSampleInterval` the running tasks of every service are sampled (cgroup CPU and
/// memory against the task's reservation, `serviceUtilization`), then every scalable target
/// is decided by `BerthScaling.decide` and a changed desiredCount goes through
/// `BerthController.updateService`, as UpdateService does.
extension ECSBackend {
    /// ECS publishes service metrics from samples every few seconds: 5 s × timeScale here, at
    /// least 0.1 s (each sample reads every running service task's cgroup).
    public var metricSampleInterval: Double { max(0.1, 5 * config.controller.timeScale) }

    /// One task's reservation: task-level cpu/memory, else the sum over its containers.
    static func reservation(_ td: JSONValue) -> (cpuUnits: Double, memoryMiB: Double) {
        func number(_ v: JSONValue?) -> Double? { v?.doubleValue ?? v?.stringValue.flatMap(Double.init) }
        let containers = td["containerDefinitions"]?.arrayValue ?? []
        let cpu = number(td["cpu"]) ?? containers.compactMap { number($0["cpu"]) }.reduce(0, +)
        let memory = number(td["memory"]) ?? containers.compactMap { number($0["memory"]) ?? number($0["memoryReservation"]) }.reduce(0, +)
        return (cpu, memory)
    }

    /// Samples the running tasks of every active service if a sample is due.
    public func sampleServiceMetrics() {
        lock.lock()
        let now = clock()
        guard now - lastMetricSample >= metricSampleInterval else { lock.unlock(); return }
        lastMetricSample = now
        var work: [(cluster: String, service: String, tasks: [(arn: String, cpu: Double, memory: Double)])] = []
        for r in services.values where r.state.status == .active {
            let group = "service:\(r.name)"
            let running = tasks.values.filter { $0.cluster == r.cluster && $0.task.group == group && $0.lastStatus == .running }
            let list = running.map { t in
                let res = Self.reservation(t.plan.taskDefinition)
                return (arn: t.arn, cpu: Double(t.plan.overrides?.cpu ?? "") ?? res.cpuUnits, memory: Double(t.plan.overrides?.memory ?? "") ?? res.memoryMiB)
            }
            work.append((r.cluster, r.name, list))
        }
        lock.unlock()
        sampleLoadBalancerMetrics(now: now)
        var seen = Set<String>()
        for s in work {
            var usages: [TaskUsage] = []
            for t in s.tasks {
                seen.insert(t.arn)
                guard let stats = try? engine.stats(taskArn: t.arn) else { continue }
                let cpuNanos = stats.containers.reduce(UInt64(0)) { $0 + $1.cpuUsageNanos }
                let memory = stats.containers.reduce(UInt64(0)) { $0 + $1.memoryBytes }
                let previous = lock.withLock { () -> (Double, UInt64)? in
                    defer { cpuBaselines[t.arn] = (stats.timestamp, cpuNanos) }
                    return cpuBaselines[t.arn]
                }
                guard let (then, nanos) = previous, stats.timestamp > then, cpuNanos >= nanos else { continue }
                usages.append(TaskUsage(cpuSeconds: Double(cpuNanos - nanos) / 1e9, interval: stats.timestamp - then,
                                        cpuUnits: t.cpu, memoryBytes: Double(memory), memoryMiB: t.memory))
            }
            let u = serviceUtilization(usages)
            if let cpu = u.cpu { metrics.record(MetricKey("CPUUtilization", cluster: s.cluster, service: s.service), MetricSample(time: now, value: cpu)) }
            if let memory = u.memory { metrics.record(MetricKey("MemoryUtilization", cluster: s.cluster, service: s.service), MetricSample(time: now, value: memory)) }
        }
        lock.withLock { cpuBaselines = cpuBaselines.filter { seen.contains($0.key) } }
    }

    /// Decides every scalable target; call before `tickServices`.
    public func tickScaling() {
        lock.lock()
        defer { lock.unlock() }
        let now = clock(), scale = config.controller.timeScale
        for id in scaling.keys.sorted() {
            guard var r = scaling[id], let (cluster, name) = ScalingRecord.parse(resourceId: id) else { continue }
            guard var service = services[ServiceRecord.key(cluster: cluster, name: name)], service.state.status == .active else { continue }
            var points: [String: [Datapoint]] = [:]
            for metricName in ["CPUUtilization", "MemoryUtilization"] {
                for period in [60.0, 20.0] {
                    points[metricsKey(metricName, period: period)] = metrics.datapoints(
                        MetricKey(metricName, cluster: cluster, service: name), period: period * scale, from: now - 20 * period * scale, to: now)
                }
            }
            for policy in r.policies {
                guard case .targetTracking(let c) = policy.configuration, let label = c.resourceLabel,
                      let (_, tg) = ELBMetrics.splitResourceLabel(label) else { continue }
                let period = c.metric.period
                points[metricsKey(c.seriesName, period: period)] = metrics.datapoints(
                    ELBMetrics.requestCountPerTargetKey(targetGroup: tg), period: period * scale, from: now - 20 * period * scale, to: now)
            }
            let alarms = cloudWatchAlarms.values.filter { $0.cluster == cluster && $0.service == name }.map(\.alarm)
            let input = ScalingInput(target: r.target, policies: r.policies, alarms: alarms, scheduledActions: r.actions,
                                     capacity: service.state.desiredCount, deploymentInProgress: service.state.deployments.count > 1,
                                     metrics: points, state: r.state, now: now, timeScale: scale)
            let out = decide(input) { UUIDs.random() }
            r.alarmStates = out.alarmStates
            let changed = out.target != r.target || out.state.scaleInCooldownUntil != r.state.scaleInCooldownUntil
                || out.state.scaleOutCooldownUntil != r.state.scaleOutCooldownUntil || !out.activities.isEmpty
            r.target = out.target
            r.state = out.state
            r.record(out.activities)
            if let desired = out.desiredCount {
                do {
                    service.state = try BerthController.updateService(service.state, UpdateServiceInput(desiredCount: desired), now: now)
                    let message = "(service \(name)) was scaled to \(desired) tasks by Application Auto Scaling: \(out.activities.last?.cause ?? "")"
                    service.state.events.insert(ServiceEvent(id: UUIDs.random(), createdAt: now, message: message), at: 0)
                    if service.state.events.count > config.controller.maxEvents { service.state.events.removeLast(service.state.events.count - config.controller.maxEvents) }
                    save(service: service)
                    log("service \(cluster)/\(name): desiredCount \(desired) by Application Auto Scaling")
                } catch {
                    log("service \(cluster)/\(name): Application Auto Scaling could not set desiredCount \(desired): \(error)")
                }
            }
            if changed { persist(scaling: r) } else { scaling[id] = r }
        }
    }
}

enum UUIDs {
    static func random() -> String { Foundation.UUID().uuidString.lowercased() }
}

extension ECSBackend {
    /// `Berth.DescribeServiceScaling` (for `berth service describe`): a service's scalable
    /// target, policies, scheduled actions, latest one-minute metric values, alarm states and
    /// most recent activities. `ScalableTarget` is absent when the service is not registered.
    func describeServiceScaling(_ p: Params) throws(APIError) -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let cluster = try requireCluster(p)
        let service = try requireService(p, key: "service", cluster: cluster.name)
        let scale = config.controller.timeScale, now = clock()
        var metricValues: [(String, JSONValue?)] = []
        for name in Self.metricNames {
            let points = metrics.datapoints(MetricKey(name, cluster: cluster.name, service: service.name), period: 60 * scale, from: now - 120 * scale, to: now)
            metricValues.append((name, points.last.map { .double(($0.average * 10).rounded() / 10) }))
        }
        guard let r = scaling["service/\(cluster.name)/\(service.name)"] else { return ["Metrics": .obj(metricValues)] }
        // ALBRequestCountPerTarget: the last complete minute's Sum.
        for p in r.policies {
            guard case .targetTracking(let c) = p.configuration, let label = c.resourceLabel, let (_, tg) = ELBMetrics.splitResourceLabel(label) else { continue }
            let period = 60 * scale, last = periodStart(now, period: period) - period
            let points = metrics.datapoints(ELBMetrics.requestCountPerTargetKey(targetGroup: tg), period: period, from: last, to: last + period)
            metricValues.append(("RequestCountPerTarget", points.last.map { .double(($0.sum * 10).rounded() / 10) } ?? .double(0)))
            break
        }
        return .obj([
            ("ScalableTarget", ScalingShapes.targetJSON(r.target)),
            ("ScalingPolicies", .array(r.policies.map { ScalingShapes.policyJSON($0) })),
            ("ScheduledActions", .array(r.actions.map(ScalingShapes.actionJSON))),
            ("Metrics", .obj(metricValues)),
            ("Alarms", .array(r.alarmStates.keys.sorted().map { ["AlarmName": .string($0), "StateValue": .string(r.alarmStates[$0]!.rawValue)] })),
            ("ScalingActivities", .array(r.activities.prefix(5).map(ScalingShapes.activityJSON))),
        ])
    }
}

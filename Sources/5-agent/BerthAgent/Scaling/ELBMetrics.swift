import BerthScaling
import Foundation

/// The load balancers' CloudWatch metrics (AWS/ApplicationELB, AWS/NetworkELB), made from the
/// growth of the data plane's counters between two samples and the targets' health.
enum ELBMetrics {
    static let application = "AWS/ApplicationELB"
    static let network = "AWS/NetworkELB"

    /// `app/<name>/<id>` (or `net/...`) of a load balancer ARN, as the LoadBalancer dimension names it.
    static func loadBalancerDimension(_ arn: String) -> String? {
        arn.range(of: ":loadbalancer/").map { String(arn[$0.upperBound...]) }
    }

    /// `targetgroup/<name>/<id>` of a target group ARN.
    static func targetGroupDimension(_ arn: String) -> String? {
        arn.range(of: ":targetgroup/").map { "targetgroup/" + arn[$0.upperBound...] }
    }

    /// `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>` → (LoadBalancer, TargetGroup) dimensions.
    static func splitResourceLabel(_ label: String) -> (loadBalancer: String, targetGroup: String)? {
        let parts = label.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "app", parts[3] == "targetgroup", !parts.contains(where: \.isEmpty) else { return nil }
        return (parts[0...2].joined(separator: "/"), parts[3...5].joined(separator: "/"))
    }

    /// The metric target tracking reads for ALBRequestCountPerTarget.
    static func requestCountPerTargetKey(targetGroup: String) -> MetricKey {
        MetricKey(namespace: application, metricName: "RequestCountPerTarget", dimensions: [MetricDimension("TargetGroup", targetGroup)])
    }

    /// CloudWatch's unit of each metric Berth publishes.
    static func unit(_ metricName: String) -> String {
        switch metricName {
        case "CPUUtilization", "MemoryUtilization": "Percent"
        case "TargetResponseTime": "Seconds"
        default: "Count"
        }
    }

    /// `current - previous`, or `current` after the counter started again (its group or
    /// listener was made anew).
    static func growth(_ current: UInt64, _ previous: UInt64?) -> Double {
        guard let previous, current >= previous else { return Double(current) }
        return Double(current - previous)
    }

    /// Samples at `now` for every load balancer and the target groups it forwards to.
    /// Request and flow counts are published every sample, zero included (a quiet load
    /// balancer reads 0 rather than missing, so target tracking can scale in); response codes
    /// and response time only when there were responses. RequestCountPerTarget is the
    /// group's requests divided by its healthy targets (all registered targets when none is
    /// healthy, as ALB then fails open).
    static func samples(previous: DataPlaneCounters, current: DataPlaneCounters, resources: ELBResources,
                        health: [String: [TargetAddress: TargetHealthReport]], now: Double) -> [(MetricKey, MetricSample)] {
        var out: [(MetricKey, MetricSample)] = []
        func add(_ ns: String, _ name: String, _ dims: [MetricDimension], _ value: Double, weight: Double = 1) {
            out.append((MetricKey(namespace: ns, metricName: name, dimensions: dims), MetricSample(time: now, value: value, weight: weight)))
        }
        for lb in resources.loadBalancers {
            guard let lbDim = loadBalancerDimension(lb.arn) else { continue }
            let network = lb.type == "network"
            let ns = network ? Self.network : Self.application
            let lbD = MetricDimension("LoadBalancer", lbDim)
            let listeners = resources.listeners.filter { $0.loadBalancerArn == lb.arn }
            var requests = 0.0, flows = 0.0, elb4xx = 0.0, elb5xx = 0.0
            for l in listeners {
                let c = current.listeners[l.arn] ?? ListenerCounters(), p = previous.listeners[l.arn]
                requests += growth(c.requests, p?.requests)
                flows += growth(c.newFlows, p?.newFlows)
                elb4xx += growth(c.elb4xx, p?.elb4xx)
                elb5xx += growth(c.elb5xx, p?.elb5xx)
            }
            if network {
                add(ns, "NewFlowCount", [lbD], flows)
            } else {
                add(ns, "RequestCount", [lbD], requests)
                if elb4xx > 0 { add(ns, "HTTPCode_ELB_4XX_Count", [lbD], elb4xx) }
                if elb5xx > 0 { add(ns, "HTTPCode_ELB_5XX_Count", [lbD], elb5xx) }
            }
            var lbCodes = [0.0, 0.0, 0.0, 0.0], lbTimeSum = 0.0, lbTimeCount = 0.0
            for g in resources.targetGroups where resources.loadBalancerArns(of: g.arn).contains(lb.arn) {
                guard let tgDim = targetGroupDimension(g.arn) else { continue }
                let both = [lbD, MetricDimension("TargetGroup", tgDim)]
                let c = current.groups[g.arn] ?? GroupCounters(), p = previous.groups[g.arn]
                let reports = health[g.arn] ?? [:]
                let registered = Set(g.targets.map(\.address))
                let healthy = registered.filter { reports[$0]?.state == .healthy }.count
                let unhealthy = registered.filter { reports[$0]?.state == .unhealthy }.count
                add(ns, "HealthyHostCount", both, Double(healthy))
                add(ns, "UnHealthyHostCount", both, Double(unhealthy))
                if network {
                    add(ns, "NewFlowCount", both, growth(c.newFlows, p?.newFlows))
                    continue
                }
                let groupRequests = growth(c.requests, p?.requests)
                add(ns, "RequestCount", both, groupRequests)
                let divisor = Double(healthy > 0 ? healthy : max(registered.count, 1))
                add(ns, "RequestCountPerTarget", both, groupRequests / divisor)
                add(ns, "RequestCountPerTarget", [MetricDimension("TargetGroup", tgDim)], groupRequests / divisor)
                for (i, cls) in ["2XX", "3XX", "4XX", "5XX"].enumerated() {
                    let n = growth(c.targetCodes[i], p?.targetCodes[i])
                    lbCodes[i] += n
                    if n > 0 { add(ns, "HTTPCode_Target_\(cls)_Count", both, n) }
                }
                let count = growth(c.responseTimeCount, p?.responseTimeCount)
                let sum = c.responseTimeCount >= (p?.responseTimeCount ?? 0) ? c.responseTimeSum - (p?.responseTimeSum ?? 0) : c.responseTimeSum
                if count > 0 {
                    add(ns, "TargetResponseTime", both, max(0, sum) / count, weight: count)
                    lbTimeSum += max(0, sum)
                    lbTimeCount += count
                }
            }
            if !network {
                for (i, cls) in ["2XX", "3XX", "4XX", "5XX"].enumerated() where lbCodes[i] > 0 {
                    add(ns, "HTTPCode_Target_\(cls)_Count", [lbD], lbCodes[i])
                }
                if lbTimeCount > 0 { add(ns, "TargetResponseTime", [lbD], lbTimeSum / lbTimeCount, weight: lbTimeCount) }
            }
        }
        return out
    }

}

extension ECSBackend {
    /// One sample of the load balancers' metrics (called with the service metrics, without the lock).
    func sampleLoadBalancerMetrics(now: Double) {
        guard let elb = loadBalancing else { return }
        guard let resources = try? elb.read({ r throws(APIError) in r }) else { return }
        let current = elb.dataPlane.counters()
        let health = elb.dataPlane.health()
        let previous = lock.withLock { () -> DataPlaneCounters in
            defer { elbCounterBaseline = current }
            return elbCounterBaseline
        }
        for (key, sample) in ELBMetrics.samples(previous: previous, current: current, resources: resources, health: health, now: now) {
            metrics.record(key, sample)
        }
    }
}

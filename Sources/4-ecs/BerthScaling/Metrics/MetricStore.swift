import Foundation

/// A CloudWatch metric of the AWS/ECS namespace: `CPUUtilization` or `MemoryUtilization` of
/// one service (dimensions ClusterName, ServiceName).
public struct MetricKey: Hashable, Sendable, Comparable {
    public var metricName: String
    public var clusterName: String
    public var serviceName: String
    public init(_ metricName: String, cluster: String, service: String) {
        self.metricName = metricName
        self.clusterName = cluster
        self.serviceName = service
    }
    public var resourceId: String { "service/\(clusterName)/\(serviceName)" }
    public static func < (a: MetricKey, b: MetricKey) -> Bool {
        (a.clusterName, a.serviceName, a.metricName) < (b.clusterName, b.serviceName, b.metricName)
    }
}

/// Raw samples in memory, at most `maxSamples` per metric (the oldest go first); datapoints are
/// aggregated from them on demand. Thread-safe.
public final class MetricStore: @unchecked Sendable {
    private let lock = NSLock()
    private var series: [MetricKey: [MetricSample]] = [:]
    public let maxSamples: Int

    public init(maxSamples: Int = 8_192) {
        precondition(maxSamples > 0)
        self.maxSamples = maxSamples
    }

    public func record(_ key: MetricKey, _ sample: MetricSample) {
        lock.lock()
        defer { lock.unlock() }
        var samples = series[key, default: []]
        samples.append(sample)
        if samples.count > maxSamples { samples.removeFirst(samples.count - maxSamples) }
        series[key] = samples
    }

    public func samples(_ key: MetricKey) -> [MetricSample] {
        lock.lock()
        defer { lock.unlock() }
        return series[key] ?? []
    }

    public var keys: [MetricKey] {
        lock.lock()
        defer { lock.unlock() }
        return series.keys.sorted()
    }

    /// Drops the metrics of a service (after DeleteService).
    public func forget(cluster: String, service: String) {
        lock.lock()
        defer { lock.unlock() }
        series = series.filter { !($0.key.clusterName == cluster && $0.key.serviceName == service) }
    }

    public func datapoints(_ key: MetricKey, period: Seconds, from: Seconds = -.infinity, to: Seconds = .infinity) -> [Datapoint] {
        aggregate(samples(key), period: period, from: from, to: to)
    }
}

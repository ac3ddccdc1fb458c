import Foundation

/// A CloudWatch dimension.
public struct MetricDimension: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A CloudWatch metric: namespace, name and dimensions (kept sorted by name, so that a metric
/// is found whatever order a caller names its dimensions in). AWS/ECS service metrics have
/// ClusterName and ServiceName; the load balancers' LoadBalancer and/or TargetGroup.
public struct MetricKey: Hashable, Sendable, Comparable {
    public var namespace: String
    public var metricName: String
    public private(set) var dimensions: [MetricDimension]

    public init(namespace: String, metricName: String, dimensions: [MetricDimension]) {
        self.namespace = namespace
        self.metricName = metricName
        self.dimensions = dimensions.sorted { $0.name < $1.name }
    }

    /// `CPUUtilization` or `MemoryUtilization` of one ECS service.
    public init(_ metricName: String, cluster: String, service: String) {
        self.init(namespace: "AWS/ECS", metricName: metricName, dimensions: [MetricDimension("ClusterName", cluster), MetricDimension("ServiceName", service)])
    }

    public func dimension(_ name: String) -> String? { dimensions.first { $0.name == name }?.value }
    public var clusterName: String { dimension("ClusterName") ?? "" }
    public var serviceName: String { dimension("ServiceName") ?? "" }
    public var resourceId: String { "service/\(clusterName)/\(serviceName)" }

    public static func < (a: MetricKey, b: MetricKey) -> Bool {
        let da = a.dimensions.map(\.value), db = b.dimensions.map(\.value)
        if a.namespace != b.namespace { return a.namespace < b.namespace }
        if da != db { return da.lexicographicallyPrecedes(db) }
        return a.metricName < b.metricName
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
        series = series.filter { !($0.key.namespace == "AWS/ECS" && $0.key.clusterName == cluster && $0.key.serviceName == service) }
    }

    /// Drops the metrics with this dimension (a deleted load balancer or target group).
    public func forget(dimension: MetricDimension) {
        lock.lock()
        defer { lock.unlock() }
        series = series.filter { !$0.key.dimensions.contains(dimension) }
    }

    public func datapoints(_ key: MetricKey, period: Seconds, from: Seconds = -.infinity, to: Seconds = .infinity) -> [Datapoint] {
        aggregate(samples(key), period: period, from: from, to: to)
    }
}

/// One measurement of a metric, taken at `time`. `weight` is how many observations it stands
/// for, `value` being their mean (a sample of TargetResponseTime covers every response of its
/// interval); plain measurements weigh 1.
public struct MetricSample: Sendable, Equatable {
    public var time: Seconds
    public var value: Double
    public var weight: Double
    public init(time: Seconds, value: Double, weight: Double = 1) {
        self.time = time
        self.value = value
        self.weight = weight
    }
}

/// The statistics of the samples of one period, which starts at `timestamp`.
public struct Datapoint: Sendable, Equatable {
    public var timestamp: Seconds
    public var average: Double
    public var minimum: Double
    public var maximum: Double
    public var sum: Double
    public var sampleCount: Double

    public init(timestamp: Seconds, average: Double, minimum: Double, maximum: Double, sum: Double, sampleCount: Double) {
        self.timestamp = timestamp
        self.average = average
        self.minimum = minimum
        self.maximum = maximum
        self.sum = sum
        self.sampleCount = sampleCount
    }

    public func value(_ statistic: Statistic) -> Double {
        switch statistic {
        case .average: average
        case .minimum: minimum
        case .maximum: maximum
        case .sum: sum
        case .sampleCount: sampleCount
        }
    }
}

/// Periods are aligned on multiples of `period` since the epoch, as CloudWatch aligns them
/// (a time within 1/10000 of a period below a boundary counts as on it: time-scaled periods
/// are not exact in binary).
public func periodStart(_ time: Seconds, period: Seconds) -> Seconds {
    (time / period + 1e-4).rounded(.down) * period
}

/// Aggregates samples in [from, to) into datapoints of `period` seconds, oldest first; periods
/// without samples have no datapoint.
public func aggregate(_ samples: [MetricSample], period: Seconds, from: Seconds = -.infinity, to: Seconds = .infinity) -> [Datapoint] {
    precondition(period > 0)
    var buckets: [Seconds: [MetricSample]] = [:]
    for s in samples where s.time >= from && s.time < to && s.weight > 0 {
        buckets[periodStart(s.time, period: period), default: []].append(s)
    }
    return buckets.keys.sorted().map { start in
        let samples = buckets[start]!
        let sum = samples.reduce(0) { $0 + $1.value * $1.weight }, count = samples.reduce(0) { $0 + $1.weight }
        let values = samples.map(\.value)
        return Datapoint(timestamp: start, average: sum / count, minimum: values.min()!, maximum: values.max()!, sum: sum, sampleCount: count)
    }
}

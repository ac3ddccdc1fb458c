/// One measurement of a service metric (percent), taken at `time`.
public struct MetricSample: Sendable, Equatable {
    public var time: Seconds
    public var value: Double
    public init(time: Seconds, value: Double) {
        self.time = time
        self.value = value
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
    var buckets: [Seconds: [Double]] = [:]
    for s in samples where s.time >= from && s.time < to {
        buckets[periodStart(s.time, period: period), default: []].append(s.value)
    }
    return buckets.keys.sorted().map { start in
        let values = buckets[start]!
        let sum = values.reduce(0, +)
        return Datapoint(timestamp: start, average: sum / Double(values.count), minimum: values.min()!, maximum: values.max()!, sum: sum, sampleCount: Double(values.count))
    }
}

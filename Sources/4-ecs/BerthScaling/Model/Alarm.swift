/// CloudWatch statistics of a datapoint.
public enum Statistic: String, Sendable, CaseIterable {
    case average = "Average", minimum = "Minimum", maximum = "Maximum", sum = "Sum", sampleCount = "SampleCount"
}

public enum AlarmState: String, Sendable {
    case ok = "OK", alarm = "ALARM", insufficientData = "INSUFFICIENT_DATA"
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case greaterThanOrEqual = "GreaterThanOrEqualToThreshold"
    case greaterThan = "GreaterThanThreshold"
    case lessThan = "LessThanThreshold"
    case lessThanOrEqual = "LessThanOrEqualToThreshold"

    public func breaches(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greaterThanOrEqual: value >= threshold
        case .greaterThan: value > threshold
        case .lessThan: value < threshold
        case .lessThanOrEqual: value <= threshold
        }
    }
}

/// A metric alarm: M of the last N periods breaching is ALARM; no datapoint at all in the
/// window is INSUFFICIENT_DATA (missing data is treated as missing, not breaching).
public struct MetricAlarm: Sendable, Equatable {
    public var name: String
    public var metricName: String
    public var statistic: Statistic
    public var period: Seconds
    public var evaluationPeriods: Int
    public var datapointsToAlarm: Int
    public var threshold: Double
    public var comparison: ComparisonOperator
    public var actions: [String]
    public init(name: String, metricName: String, statistic: Statistic = .average, period: Seconds = 60, evaluationPeriods: Int, datapointsToAlarm: Int? = nil, threshold: Double, comparison: ComparisonOperator, actions: [String] = []) {
        self.name = name
        self.metricName = metricName
        self.statistic = statistic
        self.period = period
        self.evaluationPeriods = evaluationPeriods
        self.datapointsToAlarm = datapointsToAlarm ?? evaluationPeriods
        self.threshold = threshold
        self.comparison = comparison
        self.actions = actions
    }
}

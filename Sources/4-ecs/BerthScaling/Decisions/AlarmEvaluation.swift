/// The state of `alarm` at `now` over datapoints of its metric aggregated on
/// `alarm.period × timeScale`: the last `evaluationPeriods` complete periods are looked at.
public func evaluate(_ alarm: MetricAlarm, datapoints: [Datapoint], now: Seconds, timeScale: Double) -> (state: AlarmState, latest: Double?) {
    let period = alarm.period * timeScale
    let lastStart = periodStart(now, period: period) - period
    let firstStart = lastStart - Double(alarm.evaluationPeriods - 1) * period
    let window = datapoints.filter { $0.timestamp >= firstStart - period / 2 && $0.timestamp <= lastStart + period / 2 }
    guard let latest = window.last else { return (.insufficientData, nil) }
    let breaching = window.filter { alarm.comparison.breaches($0.value(alarm.statistic), alarm.threshold) }.count
    return (breaching >= alarm.datapointsToAlarm ? .alarm : .ok, latest.value(alarm.statistic))
}

/// The two alarms target tracking manages for a policy: AlarmHigh (3 of 3 periods above the
/// target) and AlarmLow (15 of 15 periods below 90 % of it).
public func managedAlarms(_ policy: ScalingPolicy, _ config: TargetTrackingConfiguration) -> (high: MetricAlarm, low: MetricAlarm) {
    let name = config.metric.metricName, period = config.metric.period, statistic = config.metric.statistic
    let high = MetricAlarm(name: policy.highAlarmName, metricName: name, statistic: statistic, period: period, evaluationPeriods: 3,
                           threshold: config.targetValue, comparison: .greaterThan, actions: [policy.arn])
    let low = MetricAlarm(name: policy.lowAlarmName, metricName: name, statistic: statistic, period: period, evaluationPeriods: 15,
                          threshold: config.targetValue * 0.9, comparison: .lessThan, actions: [policy.arn])
    return (high, low)
}

/// The step that `value` falls into, bounds relative to `threshold`. Above the threshold the
/// lower bound is inclusive and the upper exclusive; below it, the reverse.
public func matchingStep(_ steps: [StepAdjustment], value: Double, threshold: Double) -> StepAdjustment? {
    let delta = value - threshold
    return steps.first { step in
        let lower = step.lowerBound ?? -.infinity, upper = step.upperBound ?? .infinity
        return delta >= 0 ? (lower <= delta && delta < upper) : (lower < delta && delta <= upper)
    }
}

/// The capacity a step adjustment asks for from `current` (before the min/max clamp).
/// PercentChangeInCapacity rounds toward zero but moves at least one unit;
/// MinAdjustmentMagnitude raises a smaller percent change to that magnitude.
public func adjustedCapacity(_ current: Int, _ adjustment: Int, _ type: AdjustmentType, minAdjustmentMagnitude: Int?) -> Int {
    switch type {
    case .exactCapacity: return adjustment
    case .changeInCapacity: return current + adjustment
    case .percentChangeInCapacity:
        let raw = Double(current) * Double(adjustment) / 100
        var change = Int(raw.rounded(.towardZero))
        if change == 0 && raw != 0 { change = raw > 0 ? 1 : -1 }
        if let m = minAdjustmentMagnitude, abs(change) < m, change != 0 { change = change > 0 ? m : -m }
        return current + change
    }
}

/// Validation of step adjustments: ranges must not overlap or leave gaps, and only the first
/// may be open below and the last open above. Returns a message naming the problem.
public func validateSteps(_ steps: [StepAdjustment]) -> String? {
    guard !steps.isEmpty else { return "StepAdjustments must not be empty." }
    let sorted = steps.sorted { ($0.lowerBound ?? -.infinity) < ($1.lowerBound ?? -.infinity) }
    for (i, s) in sorted.enumerated() {
        if let l = s.lowerBound, let u = s.upperBound, l >= u {
            return "Step adjustment \(i): MetricIntervalLowerBound \(l) must be below MetricIntervalUpperBound \(u)."
        }
        if i > 0 && sorted[i - 1].upperBound != s.lowerBound {
            return "Step adjustments overlap or leave a gap between \(sorted[i - 1].upperBound.map { "\($0)" } ?? "+infinity") and \(s.lowerBound.map { "\($0)" } ?? "-infinity")."
        }
    }
    return nil
}

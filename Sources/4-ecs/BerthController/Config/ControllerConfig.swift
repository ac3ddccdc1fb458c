/// Timers and limits of the controller. Every duration is given in real ECS seconds and
/// multiplied by `timeScale` when used, so `timeScale: 0.01` runs a whole deployment story
/// (27-minute throttle cap, 40 s healthy rule, 6 h steady-state cadence, the service's
/// healthCheckGracePeriodSeconds) a hundred times faster.
public struct ControllerConfig: Sendable, Equatable {
    public var timeScale: Double
    /// A task without a health check counts as healthy after RUNNING this long (ECS: 40 s).
    public var healthyAfterRunningSeconds: Double
    public var throttle: ThrottleSchedule
    /// "has reached a steady state." is repeated this often while steady (ECS: 6 h).
    public var steadyStateEventIntervalSeconds: Double
    /// Identical warning events (throttle, configuration deadlock) are not repeated
    /// sooner than this (ECS: 6 h).
    public var duplicateEventIntervalSeconds: Double
    /// A launch order not observed as a task after this long counts as a failed start.
    public var launchTimeoutSeconds: Double
    /// ECS keeps the 100 most recent events.
    public var maxEvents: Int

    public init(
        timeScale: Double = 1, healthyAfterRunningSeconds: Double = 40,
        throttle: ThrottleSchedule = .init(), steadyStateEventIntervalSeconds: Double = 21_600,
        duplicateEventIntervalSeconds: Double = 21_600, launchTimeoutSeconds: Double = 120,
        maxEvents: Int = 100
    ) {
        self.timeScale = timeScale
        self.healthyAfterRunningSeconds = healthyAfterRunningSeconds
        self.throttle = throttle
        self.steadyStateEventIntervalSeconds = steadyStateEventIntervalSeconds
        self.duplicateEventIntervalSeconds = duplicateEventIntervalSeconds
        self.launchTimeoutSeconds = launchTimeoutSeconds
        self.maxEvents = maxEvents
    }

    /// A duration in ECS seconds converted to controller time.
    public func scaled(_ seconds: Double) -> Double { seconds * timeScale }
}

/// Restart back-off. After `failuresBeforeThrottle` consecutive failed tasks, the k-th
/// failure (k ≥ failuresBeforeThrottle) holds launches back for
/// min(maxDelay, baseDelay × multiplier^(k − failuresBeforeThrottle)) seconds (× timeScale).
/// Defaults: 10, 20, 40, 80, 160, 320, 640, 1280, then 1620 s (27 min) for good.
public struct ThrottleSchedule: Sendable, Equatable {
    public var failuresBeforeThrottle: Int
    public var baseDelaySeconds: Double
    public var multiplier: Double
    public var maxDelaySeconds: Double

    public init(
        failuresBeforeThrottle: Int = 3, baseDelaySeconds: Double = 10, multiplier: Double = 2,
        maxDelaySeconds: Double = 1_620
    ) {
        self.failuresBeforeThrottle = failuresBeforeThrottle
        self.baseDelaySeconds = baseDelaySeconds
        self.multiplier = multiplier
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// Delay in ECS seconds after `failures` consecutive failures (0: not throttled).
    public func delay(afterFailures failures: Int) -> Double {
        guard failures >= failuresBeforeThrottle else { return 0 }
        var delay = baseDelaySeconds
        var step = failuresBeforeThrottle
        while step < failures && delay < maxDelaySeconds {
            delay *= multiplier
            step += 1
        }
        return min(delay, maxDelaySeconds)
    }
}

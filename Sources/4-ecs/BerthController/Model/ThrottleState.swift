/// Service restart back-off (ecs-semantics §5.8). See `ThrottleSchedule` for the delays.
public struct ThrottleState: Codable, Sendable, Equatable {
    /// Tasks in a row that stopped before ever becoming healthy (reset by a healthy task
    /// or a new deployment).
    public var consecutiveFailures: Int
    /// No task is launched before this time (nil: not throttled).
    public var nextLaunchAt: Timestamp?
    /// The delay (seconds, already time-scaled) that produced `nextLaunchAt`.
    public var currentDelay: Double
    /// Why: the stoppedReason of the last failed task, for `berth service describe`.
    public var reason: String?
    /// When the "unable to consistently start tasks" event was last emitted.
    public var eventEmittedAt: Timestamp?

    public init() {
        consecutiveFailures = 0
        nextLaunchAt = nil
        currentDelay = 0
        reason = nil
        eventEmittedAt = nil
    }
}

/// What `berth service describe` shows while launches are held back: until when and why.
public struct ThrottleStatus: Sendable, Equatable, CustomStringConvertible {
    public var until: Timestamp
    public var delaySeconds: Double
    public var consecutiveFailures: Int
    public var reason: String

    public var description: String {
        let delay = delaySeconds == delaySeconds.rounded() ? String(Int(delaySeconds)) : String(delaySeconds)
        return "launches held back for \(delay) s after \(consecutiveFailures) consecutive failed tasks (last: \(reason))"
    }
}

extension ServiceState {
    /// Non-nil while the restart throttle holds launches back.
    public func throttleStatus(now: Timestamp) -> ThrottleStatus? {
        guard let until = throttledUntil(now: now) else { return nil }
        return ThrottleStatus(
            until: until, delaySeconds: throttle.currentDelay, consecutiveFailures: throttle.consecutiveFailures,
            reason: throttle.reason ?? "tasks failed to start")
    }
}

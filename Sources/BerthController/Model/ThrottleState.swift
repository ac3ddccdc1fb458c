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

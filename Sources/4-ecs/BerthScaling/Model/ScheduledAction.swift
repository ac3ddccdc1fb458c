import Foundation

/// `at(yyyy-mm-ddThh:mm:ss)`, `rate(N minutes|hours|days)` or
/// `cron(minutes hours day-of-month month day-of-week year)`, in `timezone` (IANA; UTC by
/// default). Rate intervals follow the agent's time scale; at and cron are wall-clock times.
public enum Schedule: Sendable, Equatable {
    case at(Seconds)
    case rate(Seconds)
    case cron(CronExpression)

    public static func parse(_ text: String, timezone: String?) throws(ScheduleError) -> Schedule {
        let tz = try zone(timezone)
        func inner(_ prefix: String) -> String? {
            guard text.hasPrefix(prefix + "("), text.hasSuffix(")") else { return nil }
            return String(text.dropFirst(prefix.count + 1).dropLast())
        }
        if let body = inner("at") {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = tz
            f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
            guard let date = f.date(from: body) else { throw ScheduleError("Schedule \(text): at() needs yyyy-mm-ddThh:mm:ss.") }
            return .at(date.timeIntervalSince1970)
        }
        if let body = inner("rate") {
            let parts = body.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0]), n > 0 else { throw ScheduleError("Schedule \(text): rate() needs a positive number and a unit.") }
            let unit: Double
            switch parts[1] {
            case "minute", "minutes": unit = 60
            case "hour", "hours": unit = 3600
            case "day", "days": unit = 86_400
            default: throw ScheduleError("Schedule \(text): rate unit must be minutes, hours or days.")
            }
            return .rate(Double(n) * unit)
        }
        if let body = inner("cron") { return .cron(try CronExpression(body, timezone: tz)) }
        throw ScheduleError("Schedule \(text) must be at(...), rate(...) or cron(...).")
    }

    static func zone(_ name: String?) throws(ScheduleError) -> TimeZone {
        guard let name, !name.isEmpty else { return TimeZone(identifier: "UTC")! }
        guard let tz = TimeZone(identifier: name) else { throw ScheduleError("Timezone \(name) is not a known IANA time zone.") }
        return tz
    }
}

public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct ScheduledAction: Sendable, Equatable {
    public var name: String
    public var arn: String
    public var resourceId: String
    public var expression: String
    public var schedule: Schedule
    public var timezone: String?
    public var startTime: Seconds?
    public var endTime: Seconds?
    public var minCapacity: Int?
    public var maxCapacity: Int?
    public var createdAt: Seconds
    public init(name: String, arn: String = "", resourceId: String, expression: String, schedule: Schedule, timezone: String? = nil, startTime: Seconds? = nil, endTime: Seconds? = nil, minCapacity: Int? = nil, maxCapacity: Int? = nil, createdAt: Seconds) {
        self.name = name
        self.arn = arn
        self.resourceId = resourceId
        self.expression = expression
        self.schedule = schedule
        self.timezone = timezone
        self.startTime = startTime
        self.endTime = endTime
        self.minCapacity = minCapacity
        self.maxCapacity = maxCapacity
        self.createdAt = createdAt
    }

    /// Whether an occurrence falls in (after, upTo] and inside [startTime, endTime].
    public func fires(after: Seconds, upTo: Seconds, timeScale: Double) -> Bool {
        let lo = max(after, (startTime ?? -.infinity) - 1e-9), hi = min(upTo, endTime ?? .infinity)
        guard hi > lo else { return false }
        switch schedule {
        case .at(let t): return t > lo && t <= hi
        case .rate(let interval):
            let origin = startTime ?? createdAt, step = interval * timeScale
            let k = ((hi - origin) / step).rounded(.down)
            guard k >= 1 else { return false }
            return origin + k * step > lo
        case .cron(let cron):
            guard let next = cron.next(after: lo) else { return false }
            return next <= hi
        }
    }
}

func isoTime(_ t: Seconds) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date(timeIntervalSince1970: t))
}

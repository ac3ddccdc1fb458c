import Foundation

/// An Application Auto Scaling cron expression: minutes hours day-of-month month day-of-week
/// year, with `*`, `?`, lists, ranges and `/` steps; months JAN–DEC, weekdays 1–7 or SUN–SAT.
/// `L`, `W` and `#` are refused.
public struct CronExpression: Sendable, Equatable {
    public var minutes: Set<Int>, hours: Set<Int>, days: Set<Int>?, months: Set<Int>, weekdays: Set<Int>?, years: Set<Int>?
    public var timezone: TimeZone

    public init(_ text: String, timezone: TimeZone) throws(ScheduleError) {
        let f = text.split(separator: " ").map(String.init)
        guard f.count == 6 else { throw ScheduleError("cron(\(text)) needs 6 fields: minutes hours day-of-month month day-of-week year.") }
        minutes = try Self.field(f[0], 0...59, "minutes")!
        hours = try Self.field(f[1], 0...23, "hours")!
        days = try Self.field(f[2], 1...31, "day-of-month")
        months = try Self.field(f[3], 1...12, "month", names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])!
        weekdays = try Self.field(f[4], 1...7, "day-of-week", names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
        years = try Self.field(f[5], 1970...2199, "year")
        self.timezone = timezone
    }

    /// nil for `*` / `?` (any).
    static func field(_ s: String, _ range: ClosedRange<Int>, _ name: String, names: [String] = []) throws(ScheduleError) -> Set<Int>? {
        if s == "*" || s == "?" { return name == "minutes" || name == "hours" || name == "month" ? Set(range) : nil }
        var out = Set<Int>()
        for part in s.split(separator: ",") {
            let pieces = part.split(separator: "/", maxSplits: 1).map(String.init)
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ScheduleError("cron \(name) field \(s): bad step.") }
                step = n
            }
            func value(_ v: String) throws(ScheduleError) -> Int {
                if let i = names.firstIndex(of: v.uppercased()) { return i + range.lowerBound }
                guard let n = Int(v), range.contains(n) else { throw ScheduleError("cron \(name) field \(s): \(v) is not in \(range.lowerBound)-\(range.upperBound).") }
                return n
            }
            var lo = range.lowerBound, hi = range.upperBound
            if pieces[0] != "*" {
                let bounds = pieces[0].split(separator: "-", maxSplits: 1).map(String.init)
                lo = try value(bounds[0])
                hi = bounds.count == 2 ? try value(bounds[1]) : (pieces.count == 2 ? range.upperBound : lo)
            }
            guard lo <= hi else { throw ScheduleError("cron \(name) field \(s): range \(lo)-\(hi) is backwards.") }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }

    /// The first minute strictly after `time` that matches, within five years.
    public func next(after time: Seconds) -> Seconds? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timezone
        let start = Date(timeIntervalSince1970: time)
        var day = cal.startOfDay(for: start)
        for _ in 0..<(366 * 5) {
            let c = cal.dateComponents([.year, .month, .day, .weekday], from: day)
            if months.contains(c.month!), years?.contains(c.year!) ?? true,
               days?.contains(c.day!) ?? true, weekdays?.contains(c.weekday!) ?? true {
                for h in hours.sorted() {
                    for m in minutes.sorted() {
                        guard let t = cal.date(bySettingHour: h, minute: m, second: 0, of: day) else { continue }
                        if t > start { return t.timeIntervalSince1970 }
                    }
                }
            }
            guard let d = cal.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = d
        }
        return nil
    }
}

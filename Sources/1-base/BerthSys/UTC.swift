#if canImport(Glibc)
import Glibc
#endif

/// The UTC calendar in one place: epoch seconds to date strings and back, through Glibc's
/// gmtime_r and timegm (the Embedded monitor keeps its own RFC 3339 writer: it cannot link this).
public enum UTC {
    /// `2026-11-22T20:47:04.123456789Z`: RFC 3339 with nine fractional digits (runc's `created`,
    /// the monitor's log records).
    public static func rfc3339(nanos: Int64) -> String {
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos + 1) / 1_000_000_000 - 1
        let t = fields(seconds)
        return "\(t.date("-"))T\(t.time(":")).\(pad(Int(nanos - seconds * 1_000_000_000), 9))Z"
    }

    /// `2026-11-22T20:47:04Z`: RFC 3339 in whole seconds (image `created`).
    public static func rfc3339(_ epoch: Double) -> String {
        let t = fields(Int64(floor(epoch)))
        return "\(t.date("-"))T\(t.time(":"))Z"
    }

    /// `2026-11-22 20:47:04Z`: for people.
    public static func dateTime(_ epoch: Double) -> String {
        let t = fields(Int64(floor(epoch)))
        return "\(t.date("-")) \(t.time(":"))Z"
    }

    /// `20150830T123600Z`: SigV4's X-Amz-Date.
    public static func amzDate(_ epoch: Double) -> String {
        let t = fields(Int64(floor(epoch)))
        return "\(t.date(""))T\(t.time(""))Z"
    }

    /// `Thu, 01 Jan 1970 00:00:00 GMT`: the HTTP Date header (RFC 9110 5.6.7).
    public static func httpDate(_ epoch: Double) -> String {
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let t = fields(Int64(floor(epoch)))
        return "\(days[Int(t.tm_wday)]), \(pad(Int(t.tm_mday), 2)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) \(t.time(":")) GMT"
    }

    /// `20150830T123600Z` to epoch seconds; nil unless it is that form with fields in range.
    public static func parseAmzDate(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        return epoch(digits(b, 0..<4), digits(b, 4..<6), digits(b, 6..<8), digits(b, 9..<11), digits(b, 11..<13), digits(b, 13..<15))
    }

    /// `2026-11-22T20:47:04.123456789Z` (any number of fractional digits, or none) to epoch seconds.
    public static func parseRFC3339(_ text: String) -> Double? {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A,
              let whole = epoch(digits(u, 0..<4), digits(u, 5..<7), digits(u, 8..<10), digits(u, 11..<13), digits(u, 14..<16), digits(u, 17..<19))
        else { return nil }
        var fraction = 0.0
        if u[19] == 0x2E {
            var scale = 0.1
            for c in u[20...] {
                guard c >= 0x30, c <= 0x39 else { break }
                fraction += Double(c - 0x30) * scale
                scale /= 10
            }
        }
        return whole + fraction
    }

    /// Broken-down UTC time of epoch seconds.
    static func fields(_ seconds: Int64) -> tm {
        var t = time_t(seconds)
        var out = tm()
        gmtime_r(&t, &out)
        return out
    }

    /// Epoch seconds of a UTC date and time; nil if a field is missing or out of range.
    static func epoch(_ year: Int?, _ month: Int?, _ day: Int?, _ hour: Int?, _ minute: Int?, _ second: Int?) -> Double? {
        guard let year, let month, let day, let hour, let minute, let second,
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var t = tm()
        t.tm_year = Int32(year - 1900)
        t.tm_mon = Int32(month - 1)
        t.tm_mday = Int32(day)
        t.tm_hour = Int32(hour)
        t.tm_min = Int32(minute)
        t.tm_sec = Int32(second)
        return Double(timegm(&t))
    }

    /// The decimal number in `bytes[range]`; nil unless every byte is a digit.
    static func digits(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
        var v = 0
        for c in bytes[range] {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension tm {
    fileprivate func date(_ separator: String) -> String {
        "\(UTC.pad(Int(tm_year) + 1900, 4))\(separator)\(UTC.pad(Int(tm_mon) + 1, 2))\(separator)\(UTC.pad(Int(tm_mday), 2))"
    }

    fileprivate func time(_ separator: String) -> String {
        "\(UTC.pad(Int(tm_hour), 2))\(separator)\(UTC.pad(Int(tm_min), 2))\(separator)\(UTC.pad(Int(tm_sec), 2))"
    }
}

import CBerth

/// RFC 3339 timestamps in UTC with nanoseconds, without Foundation.
enum Clock {
    static func now() -> Int64 { berth_realtime_ns() }

    /// `2026-11-22T20:47:04.123456789Z` (always nine fractional digits, so records sort as text).
    static func appendRFC3339(_ nanos: Int64, to out: inout [UInt8]) {
        let seconds = nanos / 1_000_000_000
        let fraction = nanos % 1_000_000_000
        let days = seconds / 86400
        let secondOfDay = seconds % 86400
        let (y, m, d) = civil(fromDays: days)
        Bytes.appendDecimal(y, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Bytes.appendDecimal(m, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        Bytes.appendDecimal(d, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        Bytes.appendDecimal(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Bytes.appendDecimal(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Bytes.appendDecimal(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        Bytes.appendDecimal(fraction, width: 9, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
    /// (Howard Hinnant's civil_from_days).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

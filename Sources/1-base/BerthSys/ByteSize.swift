/// Byte sizes as people type and read them (powers of 1024).
public enum ByteSize {
    /// "1048576", "512k", "64m", "1g", "2t", "64MiB", "64mb", "64 MiB"; nil if not a size or too large.
    public static func parse(_ raw: String) -> Int64? {
        var s = Substring(raw.lowercased().filter { $0 != " " })
        if s.hasSuffix("ib") { s = s.dropLast(2) } else if s.hasSuffix("b") { s = s.dropLast() }
        var shift = 0
        if let last = s.last, let unit = ["k": 10, "m": 20, "g": 30, "t": 40][last] {
            shift = unit
            s = s.dropLast()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(s) else { return nil }
        let (value, overflow) = n.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : value
    }

    /// "50 MiB", "3.2 MiB", "512 B": the largest binary unit, one decimal (rounded) when not exact.
    public static func describe(_ bytes: Int64) -> String {
        for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= Int64(1) << shift {
            let tenths = Int64((Double(bytes) * 10 / Double(Int64(1) << shift)).rounded())
            return tenths % 10 == 0 ? "\(tenths / 10) \(unit)" : "\(tenths / 10).\(tenths % 10) \(unit)"
        }
        return "\(bytes) B"
    }
}

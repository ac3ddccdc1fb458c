import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Facts about processes read from /proc, used to make pids safe against reuse.
public enum Proc {
    /// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or nil if the pid is gone.
    public static func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? Files.readBytes("/proc/\(pid)/stat") else { return nil }
        return startTime(inStat: stat)
    }

    /// Field 22 of /proc/<pid>/stat text, over bytes (on every create's path, twice).
    public static func startTime(inStat stat: [UInt8]) -> UInt64? {
        // The command name (field 2) may contain spaces and parentheses: skip past the last ')'.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); field 22 is fields[19].
        guard fields.count > 19, !fields[19].isEmpty, fields[19].count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in fields[19] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// Field 3 of /proc/<pid>/stat: R, S, D, Z, T, ...
    public static func state(_ pid: Int32) -> Character? {
        guard let stat = try? Files.readBytes("/proc/\(pid)/stat") else { return nil }
        return state(inStat: stat)
    }

    /// Field 3 of /proc/<pid>/stat text (the byte after the last ") ").
    public static func state(inStat stat: [UInt8]) -> Character? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count,
              stat[close + 1] == UInt8(ascii: " ") else { return nil }
        return Character(Unicode.Scalar(stat[close + 2]))
    }

    /// True if `pid` is alive (not a zombie) and still the process that started at `startTime`:
    /// one read of /proc/<pid>/stat for both.
    public static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let stat = try? Files.readBytes("/proc/\(pid)/stat"),
              let now = self.startTime(inStat: stat), now == startTime else { return false }
        return state(inStat: stat) != "Z"
    }

    /// Number of threads of the calling process (namespace creation requires exactly 1).
    public static func threadCount() -> Int {
        guard let status = try? Files.readBytes("/proc/self/status") else { return -1 }
        return threads(inStatus: status)
    }

    /// The `Threads:` value of /proc/<pid>/status text, or -1. Over bytes: splitting the 1.4 KB
    /// as a String by Characters was a fifth of `berth-init`'s start.
    public static func threads(inStatus status: [UInt8]) -> Int {
        let key = Array("\nThreads:".utf8)
        var i = 0
        while i + key.count <= status.count {
            if status[i] == key[0], status[i..<(i + key.count)].elementsEqual(key) {
                var j = i + key.count
                while j < status.count, status[j] == UInt8(ascii: " ") || status[j] == UInt8(ascii: "\t") { j += 1 }
                var value = 0
                var digits = 0
                while j < status.count, status[j] >= UInt8(ascii: "0"), status[j] <= UInt8(ascii: "9"), digits < 18 {
                    value = value * 10 + Int(status[j] - UInt8(ascii: "0"))
                    digits += 1
                    j += 1
                }
                let ended = j == status.count || status[j] == UInt8(ascii: "\n")
                return digits > 0 && ended ? value : -1
            }
            i += 1
        }
        return -1
    }
}

extension StringProtocol {
    /// Trim the given characters from both ends (FoundationEssentials-free).
    public func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}

/// Signal names as images and people write them (`SIGTERM`, `TERM`, `15`).
public enum Signals {
    static let table: [(String, Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("BUS", 7), ("FPE", 8), ("KILL", 9),
        ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14), ("TERM", 15), ("STKFLT", 16), ("CHLD", 17),
        ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25),
        ("VTALRM", 26), ("PROF", 27), ("WINCH", 28), ("IO", 29), ("PWR", 30), ("SYS", 31),
    ]

    public static func number(_ text: String) -> Int32? {
        if let n = Int32(text), (1...64).contains(n) { return n }
        let upper = text.uppercased()
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        return table.first { $0.0 == bare }?.1
    }

    public static func name(_ n: Int32) -> String {
        table.first { $0.1 == n }.map { "SIG" + $0.0 } ?? "signal \(n)"
    }
}

import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// One line of container output.
public struct LogLine: Sendable, Equatable {
    public var container: String
    public var time: String
    public var stream: String
    public var text: String
}

/// Follows the monitor's log files of a task's containers (`<time> <stream> [F|P] <text>`
/// records), across rotation, like `docker compose logs -f`.
public final class LogFollower {
    final class Source {
        let container: String
        let path: String
        var fd: Int32 = -1
        var inode: UInt = 0
        var pending: [UInt8] = []
        /// Text of CRI partial (`P`) records waiting for their final (`F`) record.
        var partial = ""
        init(container: String, path: String) {
            self.container = container
            self.path = path
        }
    }
    private var sources: [Source] = []

    public init(_ files: [(container: String, path: String)]) {
        sources = files.map { Source(container: $0.container, path: $0.path) }
    }

    deinit { for s in sources where s.fd >= 0 { close(s.fd) } }

    /// Everything new since the last call, ordered by time.
    public func poll() -> [LogLine] {
        var out: [LogLine] = []
        for s in sources { out += read(s) }
        return out.sorted { $0.time < $1.time }
    }

    /// The last call once the writers are gone: what `poll` gives, plus text of partial records
    /// that never got their final record (a container killed in the middle of a long line).
    public func finish() -> [LogLine] {
        var out = poll()
        for s in sources where !s.partial.isEmpty {
            out.append(LogLine(container: s.container, time: "", stream: "stdout", text: s.partial))
            s.partial = ""
        }
        return out
    }

    private func read(_ s: Source) -> [LogLine] {
        var lines: [LogLine] = []
        if s.fd < 0 {
            s.fd = open(s.path, O_RDONLY | O_CLOEXEC)
            if s.fd < 0 { return [] }
            var st = stat()
            fstat(s.fd, &st)
            s.inode = UInt(st.st_ino)
        }
        lines += drain(s)
        // Rotated: the path now names a new file. Finish the old one, then switch.
        var st = stat()
        if stat(s.path, &st) == 0 && UInt(st.st_ino) != s.inode {
            lines += drain(s)
            close(s.fd)
            s.fd = -1
            lines += read(s)
        }
        return lines
    }

    private func drain(_ s: Source) -> [LogLine] {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(s.fd, &buf, buf.count)
            if n <= 0 { break }
            s.pending += buf[0..<n]
        }
        var lines: [LogLine] = []
        while let nl = s.pending.firstIndex(of: 10) {
            let record = s.pending[..<nl]
            s.pending.removeSubrange(...nl)
            guard var line = Self.parse(record, container: s.container) else { continue }
            if Self.isPartial(record) {
                s.partial += line.text
                continue
            }
            line.text = s.partial + line.text
            s.partial = ""
            lines.append(line)
        }
        return lines
    }

    static func isPartial(_ record: ArraySlice<UInt8>) -> Bool {
        let parts = record.split(separator: 32, maxSplits: 3, omittingEmptySubsequences: false)
        return parts.count >= 3 && parts[2].elementsEqual([UInt8(ascii: "P")])
    }

    /// `2024-01-01T00:00:00.000000000Z stdout F hello` or without the F/P tag.
    static func parse(_ record: ArraySlice<UInt8>, container: String) -> LogLine? {
        let text = String(decoding: record, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return LogLine(container: container, time: "", stream: "stdout", text: text) }
        var body = parts.count > 2 ? String(parts[2]) : ""
        if body.hasPrefix("F ") || body.hasPrefix("P ") { body.removeFirst(2) } else if body == "F" || body == "P" { body = "" }
        return LogLine(container: container, time: String(parts[0]), stream: String(parts[1]), text: body)
    }
}

/// `name | text` with docker compose's colours when writing to a terminal.
public struct LogPrinter {
    let width: Int
    let color: Bool
    let colors: [String: String]
    static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    public init(containers: [String], color: Bool) {
        width = containers.map(\.count).max() ?? 0
        self.color = color
        var map: [String: String] = [:]
        for (i, c) in containers.enumerated() { map[c] = Self.palette[i % Self.palette.count] }
        colors = map
    }

    public func format(_ line: LogLine) -> String {
        let name = line.container + String(repeating: " ", count: max(0, width - line.container.count))
        if color, let c = colors[line.container] { return "\u{1b}[\(c)m\(name) |\u{1b}[0m \(line.text)" }
        return "\(name) | \(line.text)"
    }
}

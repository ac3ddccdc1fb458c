import CBerth

/// An append-only log file rotated at `maxBytes`, keeping `maxFiles` files in all:
/// `name`, `name.1` (newest rotated) ... `name.<maxFiles-1>`.
struct LogFile {
    let path: String
    let maxBytes: Int64
    let maxFiles: Int
    var fd: Int32 = -1
    var size: Int64 = 0

    init(path: String, maxBytes: Int64, maxFiles: Int) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles < 1 ? 1 : maxFiles
        reopen(truncate: false)
    }

    mutating func reopen(truncate: Bool) {
        if fd >= 0 { close(fd) }
        fd = IO.open(path, O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0), 0o640)
        if fd < 0 { IO.stderr("open \(path): errno \(berth_errno())") }
        var st = stat()
        size = fd >= 0 && fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    mutating func append(_ record: [UInt8]) {
        if maxBytes > 0 && size > 0 && size + Int64(record.count) > maxBytes { rotate() }
        if fd >= 0 && IO.writeAll(fd, record) { size += Int64(record.count) }
    }

    /// name.(n-2) -> name.(n-1), ..., name -> name.1, then a fresh name.
    mutating func rotate() {
        if maxFiles > 1 {
            var k = maxFiles - 1
            while k >= 1 {
                let from = k == 1 ? path : "\(path).\(k - 1)"
                _ = rename(from, "\(path).\(k)")
                k -= 1
            }
        }
        reopen(truncate: true)
    }

    mutating func closeFile() {
        if fd >= 0 {
            _ = libcClose(fd)
            fd = -1
        }
    }
}

/// Turns a byte stream into CRI log records: `<RFC3339Nano UTC> <stream> <F|P> <line>`.
/// A partial line waits for its newline; past `maxLine` bytes it is written as a `P` (partial)
/// record and continued in the next one, as containerd/CRI-O do. The tag keeps a line that
/// itself starts with "F " or "P " unambiguous for readers.
struct LineSplitter {
    let stream: String
    var pending: [UInt8] = []
    static let maxLine = 16 * 1024

    /// Feed a chunk; complete records are passed to `emit`. No record carries more than
    /// `maxLine` bytes of text, wherever the reads happened to split the stream.
    mutating func feed(_ chunk: ArraySlice<UInt8>, emit: (inout [UInt8]) -> Void) {
        var start = chunk.startIndex
        while start < chunk.endIndex {
            let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? chunk.endIndex
            while start < end {
                let take = min(LineSplitter.maxLine - pending.count, end - start)
                pending.append(contentsOf: chunk[start..<(start + take)])
                start += take
                if pending.count == LineSplitter.maxLine && (start < end || newline == nil) { record("P", emit) }
            }
            if let newline {
                record("F", emit)
                start = newline + 1
            }
        }
    }

    /// Write a last partial line, if any.
    mutating func flush(emit: (inout [UInt8]) -> Void) {
        if !pending.isEmpty { record("F", emit) }
    }

    private mutating func record(_ tag: StaticString, _ emit: (inout [UInt8]) -> Void) {
        var out: [UInt8] = []
        out.reserveCapacity(pending.count + 48)
        Clock.appendRFC3339(Clock.now(), to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: stream.utf8)
        out.append(UInt8(ascii: " "))
        out.append(tag.utf8Start.pointee)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: pending)
        out.append(UInt8(ascii: "\n"))
        emit(&out)
        pending.removeAll(keepingCapacity: true)
    }
}

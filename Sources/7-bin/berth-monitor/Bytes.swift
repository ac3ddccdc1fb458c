import CBerth

/// Small byte and string helpers (Embedded Swift has no Foundation).
enum Bytes {
    /// Parse a decimal integer (optional leading '-'); nil if anything else is present.
    static func parseInt(_ bytes: some Collection<UInt8>) -> Int64? {
        var value: Int64 = 0
        var negative = false
        var digits = 0
        for (i, b) in bytes.enumerated() {
            if i == 0 && b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 48 && b <= 57 else { return nil }
            value = value &* 10 &+ Int64(b - 48)
            digits += 1
        }
        return digits > 0 ? (negative ? -value : value) : nil
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Append `n` in decimal, zero-padded to `width`.
    static func appendDecimal(_ n: Int64, width: Int = 0, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var v = n < 0 ? UInt64(bitPattern: 0 &- n) : UInt64(n)
        repeat {
            digits.append(UInt8(48 + v % 10))
            v /= 10
        } while v > 0
        if n < 0 { out.append(UInt8(ascii: "-")) }
        if digits.count < width { out.append(contentsOf: [UInt8](repeating: 48, count: width - digits.count)) }
        out.append(contentsOf: digits.reversed())
    }
}

/// Thin wrappers over libc that retry on EINTR.
enum IO {
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) -> Int32 {
        while true {
            let fd = berth_open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 || berth_errno() != EINTR { return fd }
        }
    }

    /// Write everything; false on a real error.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if berth_errno() == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    @discardableResult
    static func writeAll(_ fd: Int32, _ text: String) -> Bool { writeAll(fd, Array(text.utf8)) }

    /// One read into `buffer`; returns the byte count, 0 at EOF, -1 on error (EINTR retried).
    static func read(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { libcRead(fd, $0.baseAddress!, $0.count) }
            if n >= 0 || berth_errno() != EINTR { return n }
        }
    }

    /// The whole content of a small file, or nil.
    static func readFile(_ path: String, limit: Int = 65536) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 { return nil }
        defer { close(fd) }
        return readAll(fd, limit: limit)
    }

    /// Everything readable from `fd` until EOF (at most `limit` bytes), or nil on a read error.
    static func readAll(_ fd: Int32, limit: Int = 65536) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = read(fd, into: &chunk)
            if n < 0 { return nil }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    static func stderr(_ text: String) { writeAll(2, "berth-monitor: " + text + "\n") }
}

// The C read/close, reachable from inside types whose own methods are called read/close.
@inline(__always)
func libcRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buf, count) }

@inline(__always)
func libcClose(_ fd: Int32) -> Int32 { close(fd) }

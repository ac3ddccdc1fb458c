import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// An owned or borrowed file descriptor with EINTR-safe I/O. Not closed automatically:
/// call `close()` (descriptors cross fork/exec boundaries, so ownership stays explicit).
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SysError) -> FileDescriptor {
        let fd = try Sys.call("open", detail: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(rawValue: fd)
    }

    public static func openAt(_ dir: FileDescriptor, _ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SysError) -> FileDescriptor {
        let fd = try Sys.call("openat", detail: path) { berth_openat(dir.rawValue, path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(rawValue: fd)
    }

    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Write all of `bytes`, looping over short writes.
    public func writeAll(_ bytes: some Collection<UInt8>) throws(SysError) {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = try Sys.call("write", detail: "fd \(rawValue)") {
                array.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    public func writeAll(_ string: String) throws(SysError) {
        try writeAll(Array(string.utf8))
    }

    /// One read of at most `max` bytes; empty at end of file.
    public func read(max: Int = 65536) throws(SysError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = try Sys.call("read", detail: "fd \(rawValue)") {
            buffer.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress!, $0.count) }
        }
        buffer.removeSubrange(n...)
        return buffer
    }

    /// Read until end of file.
    public func readAll() throws(SysError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try read()
            if chunk.isEmpty { return out }
            out += chunk
        }
    }
}

/// A pipe whose ends are close-on-exec.
public func makePipe() throws(SysError) -> (read: FileDescriptor, write: FileDescriptor) {
    var fds: [Int32] = [-1, -1]
    try Sys.call("pipe2") { berth_pipe2(&fds, O_CLOEXEC) }
    return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
}

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
        guard max > 0 else { return [] }
        // Not zero-filled first: that touched every page of the buffer (16 fresh pages, page
        // faults, in each new process's first read); read(2) writes only what it returns.
        var failure: SysError?
        let buffer = [UInt8](unsafeUninitializedCapacity: max) { storage, count in
            count = 0
            do throws(SysError) {
                count = try Sys.call("read", detail: "fd \(rawValue)") { Glibc.read(rawValue, storage.baseAddress!, max) }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return buffer
    }

    /// Read until end of file. A regular file is read in one chunk of its size (plus one byte,
    /// to see the end), anything else (procfs, pipes) in 4 KB chunks.
    public func readAll() throws(SysError) -> [UInt8] {
        var chunk = 4096
        var st = stat()
        if fstat(rawValue, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size > 0 {
            chunk = Int(st.st_size) + 1
        }
        var out: [UInt8] = []
        while true {
            let bytes = try read(max: chunk)
            if bytes.isEmpty { return out }
            if out.isEmpty { out = bytes } else { out += bytes }
            chunk = Swift.max(chunk, 4096)
        }
    }
}

/// A pipe whose ends are close-on-exec.
public func makePipe() throws(SysError) -> (read: FileDescriptor, write: FileDescriptor) {
    var fds: [Int32] = [-1, -1]
    try Sys.call("pipe2") { berth_pipe2(&fds, O_CLOEXEC) }
    return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
}

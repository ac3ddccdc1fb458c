import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Non-blocking socket calls of the data plane.
enum Net {
    enum IO { case progress, wouldBlock, eof, failed }

    /// A non-blocking TCP connection to `host:port` under way (EINPROGRESS), or nil.
    static func connect(_ host: String, _ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { close(fd); return nil }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc == 0 || errno == EINPROGRESS { return fd }
        close(fd)
        return nil
    }

    /// The pending error of a connecting socket (0: connected).
    static func socketError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err
    }

    static func peer(_ fd: Int32) -> (host: String, port: Int) {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) } }
        var text = [CChar](repeating: 0, count: 32)
        inet_ntop(AF_INET, &addr.sin_addr, &text, 32)
        return (String(cString: text), Int(UInt16(bigEndian: addr.sin_port)))
    }

    static func noDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Receive what is there (at most `max` bytes) onto the end of `buf`.
    static func receive(_ fd: Int32, into buf: inout [UInt8], scratch: UnsafeMutableRawBufferPointer, max: Int) -> IO {
        var total = 0
        while total < max {
            let n = recv(fd, scratch.baseAddress!, Swift.min(scratch.count, max - total), Int32(MSG_DONTWAIT))
            if n > 0 {
                buf.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                total += n
                if n < scratch.count { return .progress }
                continue
            }
            if n == 0 { return total > 0 ? .progress : .eof }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return total > 0 ? .progress : .wouldBlock }
            return total > 0 ? .progress : .failed
        }
        return .progress
    }

    /// Send `buf[pos...]`, advancing `pos`; empties the buffer when all is sent.
    static func send(_ fd: Int32, _ buf: inout [UInt8], _ pos: inout Int) -> IO {
        while pos < buf.count {
            let n = buf.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + pos, $0.count - pos, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if n > 0 { pos += n; continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .failed
        }
        buf.removeAll(keepingCapacity: true)
        pos = 0
        return .progress
    }
}

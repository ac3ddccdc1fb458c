import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Stream sockets: unix and IPv4 TCP listeners and connections, sends and waits (EINTR-safe).
public enum Socket {
    /// The IPv4 address of a dotted-quad literal, or nil.
    public static func ipv4(_ host: String) -> in_addr? {
        var addr = in_addr()
        return inet_pton(AF_INET, host, &addr) == 1 ? addr : nil
    }

    /// A listening TCP socket on `host:port` (port 0 picks one); returns it and its bound port.
    public static func listenTCP(host: String, port: UInt16) throws(SysError) -> (fd: Int32, port: UInt16) {
        let fd = try stream(AF_INET, "tcp")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = inet(host, port)
        do {
            try Sys.call("bind", detail: "\(host):\(port)") { withSockaddr(&addr) { bind(fd, $0, $1) } }
            try Sys.call("listen", detail: "\(host):\(port)") { Glibc.listen(fd, 128) }
        } catch { close(fd); throw error }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: bound.sin_port))
    }

    /// A listening unix socket at `path` with `mode`, replacing a stale socket nobody answers on.
    public static func listenUnix(_ path: String, mode: mode_t) throws(SysError) -> Int32 {
        let fd = try stream(AF_UNIX, "unix")
        do {
            var addr = try unix(path, stage: "bind")
            if isStale(path) { unlink(path) }
            let old = umask(0o177)
            defer { umask(old) }
            try Sys.call("bind", detail: path) { withSockaddr(&addr) { bind(fd, $0, $1) } }
            try Sys.call("chmod", detail: path) { chmod(path, mode) }
            try Sys.call("listen", detail: path) { Glibc.listen(fd, 128) }
        } catch { close(fd); throw error }
        return fd
    }

    /// A socket file at `path` that nobody accepts on (left by a crashed process).
    static func isStale(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return false }
        guard let fd = try? connectUnix(path) else { return true }
        close(fd)
        return false
    }

    public static func connectUnix(_ path: String) throws(SysError) -> Int32 {
        let fd = try stream(AF_UNIX, "unix")
        do {
            var addr = try unix(path, stage: "connect")
            try Sys.call("connect", detail: path) { withSockaddr(&addr) { connect(fd, $0, $1) } }
        } catch { close(fd); throw error }
        return fd
    }

    public static func connectTCP(host: String, port: UInt16) throws(SysError) -> Int32 {
        let fd = try stream(AF_INET, "tcp")
        var addr = inet(host, port)
        do {
            try Sys.call("connect", detail: "\(host):\(port)") { withSockaddr(&addr) { connect(fd, $0, $1) } }
        } catch { close(fd); throw error }
        return fd
    }

    /// Wait until readable or the deadline (monotonic seconds) passes. False on timeout.
    public static func waitReadable(_ fd: Int32, until deadline: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            // An error other than EINTR counts as readable: the read reports it.
            let (rc, _) = Sys.attempt { () -> Int32 in
                let remaining = deadline - monotonicNow()
                return remaining <= 0 ? 0 : poll(&p, 1, Int32(min(remaining * 1000, 1_000_000)) + 1)
            }
            if rc != 0 { return true }
            if monotonicNow() >= deadline { return false }
        }
    }

    /// Send everything; false if the peer went away or the send failed.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8], count: Int? = nil) -> Bool {
        let end = count ?? bytes.count
        var offset = 0
        while offset < end {
            let (n, _) = Sys.attempt { bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, end - offset, Int32(MSG_NOSIGNAL)) } }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func stream(_ family: Int32, _ detail: String) throws(SysError) -> Int32 {
        try Sys.call("socket", detail: detail) { socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    static func inet(_ host: String, _ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr = ipv4(host) ?? in_addr()
        return addr
    }

    static func unix(_ path: String, stage: String) throws(SysError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw SysError(stage, errno: ENAMETOOLONG, detail: path) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        return addr
    }

    static func withSockaddr<A, T>(_ addr: inout A, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<A>.size)) } }
    }
}

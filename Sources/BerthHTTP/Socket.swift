import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets: a unix socket (trusted, mode 0600) and loopback TCP (SigV4).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    /// Parses `HOST:PORT` (IPv4 literal or `localhost`) or `unix:PATH`.
    public static func parse(_ text: String) throws(ConfigError) -> ListenAddress {
        if text.hasPrefix("unix:") { return .unix(path: String(text.dropFirst(5))) }
        guard let colon = text.lastIndex(of: ":") else { throw ConfigError("listen address \(text.debugDescription) is not HOST:PORT") }
        var host = String(text[..<colon])
        if host == "localhost" || host.isEmpty { host = "127.0.0.1" }
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw ConfigError("listen address \(text.debugDescription): port must be 0-65535")
        }
        var addr = in_addr()
        guard inet_pton(AF_INET, host, &addr) == 1 else { throw ConfigError("listen address \(text.debugDescription): host must be an IPv4 address") }
        return .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }
}

/// Error from parsing user-supplied configuration (flags).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum Socket {
    static func listen(_ address: ListenAddress) throws(SysError) -> (fd: Int32, bound: ListenAddress) {
        switch address {
        case .unix(let path):
            let fd = try Sys.call("socket", detail: "unix") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                close(fd)
                throw SysError("bind", errno: ENAMETOOLONG, detail: path)
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            // A stale socket from a crashed agent: remove it only if it is a socket nobody answers on.
            if isStaleSocket(path) { unlink(path) }
            let old = umask(0o177)
            defer { umask(old) }
            do {
                try Sys.call("bind", detail: path) {
                    withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
                }
                try Sys.call("chmod", detail: path) { chmod(path, 0o600) }
                try Sys.call("listen", detail: path) { Glibc.listen(fd, 128) }
            } catch { close(fd); throw error }
            return (fd, address)
        case .tcp(let host, let port):
            let fd = try Sys.call("socket", detail: "tcp") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            do {
                try Sys.call("bind", detail: "\(host):\(port)") {
                    withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                }
                try Sys.call("listen", detail: "\(host):\(port)") { Glibc.listen(fd, 128) }
            } catch { close(fd); throw error }
            var bound = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return (fd, .tcp(host: host, port: UInt16(bigEndian: bound.sin_port)))
        }
    }

    static func isStaleSocket(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return false }
        guard let fd = try? connectUnix(path) else { return true }
        close(fd)
        return false
    }

    static func connectUnix(_ path: String) throws(SysError) -> Int32 {
        let fd = try Sys.call("socket", detail: "unix") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { close(fd); throw SysError("connect", errno: ENAMETOOLONG, detail: path) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        do {
            try Sys.call("connect", detail: path) {
                withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            }
        } catch { close(fd); throw error }
        return fd
    }

    static func connectTCP(host: String, port: UInt16) throws(SysError) -> Int32 {
        let fd = try Sys.call("socket", detail: "tcp") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &addr.sin_addr)
        do {
            try Sys.call("connect", detail: "\(host):\(port)") {
                withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
        } catch { close(fd); throw error }
        return fd
    }

    /// Wait until readable or the deadline (monotonic seconds) passes. False on timeout.
    static func waitReadable(_ fd: Int32, until deadline: Double) -> Bool {
        while true {
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { return false }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&p, 1, Int32(min(remaining * 1000, 1_000_000)) + 1)
            if rc > 0 { return true }
            if rc < 0 && berth_errno() != EINTR { return true }  // let recv report the error
        }
    }

    /// Send everything; false if the peer went away or the send timed out.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if berth_errno() == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}

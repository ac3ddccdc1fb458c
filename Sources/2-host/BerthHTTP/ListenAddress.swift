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
        guard Socket.ipv4(host) != nil else { throw ConfigError("listen address \(text.debugDescription): host must be an IPv4 address") }
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

extension ListenAddress {
    /// A listening socket for this address (a unix socket only its owner may use) and the address
    /// it is bound to (the port a TCP port 0 picked).
    func listen() throws(SysError) -> (fd: Int32, bound: ListenAddress) {
        switch self {
        case .unix(let path):
            return (try Socket.listenUnix(path, mode: 0o600), self)
        case .tcp(let host, let port):
            let (fd, bound) = try Socket.listenTCP(host: host, port: port)
            return (fd, .tcp(host: host, port: bound))
        }
    }
}

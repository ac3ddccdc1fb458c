import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A socket made inside a task's network namespace for service discovery (Docs/tasks.md,
/// "Service discovery inside tasks"): the UDP socket of the in-task resolver (127.0.0.11:53) or a
/// TCP listener that relays a peer's address, made by a short-lived thread that joins the
/// namespace (`berth_netns_socket`, CBerth task_metadata.c). The caller owns `fd` (non-blocking,
/// close-on-exec); nothing is left in the namespace once it and `linkFD` are closed.
public struct NetnsSocket: Sendable, Equatable {
    public let fd: Int32
    /// The sk_lookup link steering `address:port` to a listener bound to a free port (-1: none).
    public let linkFD: Int32
    /// Why the listener had to bind `address:port` itself (nil: steered, or UDP).
    public let steeringUnavailable: String?

    /// A UDP socket bound to `address:port` in the namespace at `netnsPath`.
    public static func udp(netnsPath: String, address: String, port: UInt16) throws(SysError) -> NetnsSocket {
        try make(netnsPath, address, port, udp: true)
    }

    /// A TCP listener that receives the namespace's connections to `address:port`: steered by
    /// sk_lookup from a free port of `address` (so a container of the task may still listen on
    /// `port` of every address), or bound to `address:port` itself where sk_lookup is missing.
    public static func tcpListener(netnsPath: String, address: String, port: UInt16) throws(SysError) -> NetnsSocket {
        try make(netnsPath, address, port, udp: false)
    }

    static func make(_ netnsPath: String, _ address: String, _ port: UInt16, udp: Bool) throws(SysError) -> NetnsSocket {
        guard let addr = Socket.ipv4(address) else { throw SysError("socket in \(netnsPath)", errno: EINVAL, detail: "\(address) is not an IPv4 address") }
        var fd: Int32 = -1, link: Int32 = -1
        var err = [CChar](repeating: 0, count: 1024)
        let rc = berth_netns_socket(netnsPath, addr.s_addr, port, udp ? 1 : 0, udp ? 0 : 1, 0, &fd, &link, &err, err.count)
        let e = errno
        let detail = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if rc < 0 { throw SysError("\(udp ? "udp" : "tcp") socket \(address):\(port) in \(netnsPath)", errno: e, detail: detail) }
        return NetnsSocket(fd: fd, linkFD: link, steeringUnavailable: rc == 1 && !udp ? detail : nil)
    }

    /// Close the socket and its link.
    public func close() {
        if linkFD >= 0 { Glibc.close(linkFD) }
        if fd >= 0 { Glibc.close(fd) }
    }
}

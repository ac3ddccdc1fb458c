import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket of a task's metadata endpoint, made inside the task's network namespace
/// (`berth_task_metadata_listener`, CBerth task_metadata.c): 169.254.170.2/32 on the namespace's
/// lo, a listener on a free port of it, and an sk_lookup program linked to the namespace that
/// hands connections to 169.254.170.2:80 to that listener, so a container may still listen on
/// port 80 itself. Closing both descriptors undoes it (the address goes with the namespace).
public struct TaskMetadataSocket: Sendable {
    public static let address = "169.254.170.2"
    public static let port: UInt16 = 80

    public let listenFD: Int32
    /// The bpf link keeping the sk_lookup program attached; closing it detaches it (-1: none).
    public let linkFD: Int32

    /// Open it in the namespace pinned at `netnsPath`. Safe in a threaded process: only a
    /// short-lived thread of its own joins the namespace.
    /// `steer` false: listen on 169.254.170.2:80 itself without trying sk_lookup (what happens
    /// where the kernel or the agent's privileges lack it).
    public static func open(netnsPath: String, steer: Bool = true) throws(SysError) -> TaskMetadataSocket {
        var fd: Int32 = -1, link: Int32 = -1
        var err = [CChar](repeating: 0, count: 1024)
        let addr = Socket.ipv4(address)!.s_addr  // network byte order
        let rc = berth_task_metadata_listener(netnsPath, addr, port, steer ? 1 : 0, &fd, &link, &err, err.count)
        let e = errno
        let detail = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if rc < 0 { throw SysError("task metadata endpoint in \(netnsPath)", errno: e, detail: detail) }
        return TaskMetadataSocket(listenFD: fd, linkFD: link, portSteeringUnavailable: rc == 1 ? detail : nil)
    }

    /// Why the listener had to take port 80 itself (no sk_lookup on this kernel, or no
    /// CAP_BPF); nil when connections are steered to it.
    public let portSteeringUnavailable: String?

    /// Detach the program; the listener itself is closed by whoever serves it.
    public func closeLink() { if linkFD >= 0 { close(linkFD) } }
}

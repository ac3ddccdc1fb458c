import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth port-proxy NETNS HOST_IP:HOST_PORT:CONTAINER_PORT...` (hidden): publishes TCP ports of
/// a task's network namespace on the host, like docker-proxy. It binds every listener in the
/// host namespace first, then joins the task's namespace with setns (single-threaded process),
/// so each accepted connection is relayed to a socket created inside the task: connect to
/// 127.0.0.1:CONTAINER_PORT there. HOST_PORT 0 picks a free port. Prints `ready PORT...` (the
/// bound host ports, in order) on stdout once listening; runs until killed.
public enum PortProxy {
    struct Mapping {
        var hostIP: String
        var hostPort: UInt16
        var containerPort: UInt16
    }

    static func parse(_ arg: String) -> Mapping? {
        let parts = arg.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let hp = UInt16(parts[1]), let cp = UInt16(parts[2]), cp > 0 else { return nil }
        return Mapping(hostIP: String(parts[0]), hostPort: hp, containerPort: cp)
    }

    static func main(_ args: [String]) -> Int32 {
        guard args.count >= 2, args[0].hasPrefix("/"), let maps = Optional(args.dropFirst().compactMap(parse)), maps.count == args.count - 1 else {
            Netns.printError("usage: berth port-proxy NETNS_PATH HOST_IP:HOST_PORT:CONTAINER_PORT...")
            return 2
        }
        var listeners: [(fd: Int32, port: UInt16)] = []
        for m in maps {
            guard Socket.ipv4(m.hostIP) != nil else {
                Netns.printError("berth port-proxy: \(m.hostIP.debugDescription) is not an IPv4 address")
                return 2
            }
            do {
                listeners.append(try Socket.listenTCP(host: m.hostIP, port: m.hostPort))
            } catch {
                Netns.printError("berth port-proxy: cannot listen on \(m.hostIP):\(m.hostPort): \(error.message)")
                return 1
            }
        }
        let ns = open(args[0], O_RDONLY | O_CLOEXEC)
        guard ns >= 0, berth_setns(ns, 0x4000_0000) == 0 else {
            Netns.printError("berth port-proxy: cannot join \(args[0]): \(String(cString: strerror(errno)))")
            return 1
        }
        close(ns)
        signal(SIGPIPE, SIG_IGN)
        let ready = Array(("ready " + listeners.map { String($0.port) }.joined(separator: " ") + "\n").utf8)
        _ = ready.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        close(1)
        relay(listeners.map { $0.fd }, maps.map { $0.containerPort })
        return 0
    }

    /// One poll loop: accept on the host listeners, connect inside the task, copy both ways.
    static func relay(_ listeners: [Int32], _ ports: [UInt16]) {
        var peer: [Int32: Int32] = [:]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            fds += peer.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard (try? Sys.call("poll") { poll(&fds, nfds_t(fds.count), -1) }) != nil else { return }
            for p in fds where p.revents != 0 {
                if let i = listeners.firstIndex(of: p.fd) {
                    let client = accept(p.fd, nil, nil)
                    guard client >= 0 else { continue }
                    guard let inner = try? Socket.connectTCP(host: "127.0.0.1", port: ports[i]) else { close(client); continue }
                    peer[client] = inner
                    peer[inner] = client
                    continue
                }
                guard let other = peer[p.fd] else { continue }
                let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 && Socket.sendAll(other, buffer, count: n) { continue }
                // End of stream or error: close the pair.
                close(p.fd)
                close(other)
                peer[p.fd] = nil
                peer[other] = nil
            }
        }
    }
}

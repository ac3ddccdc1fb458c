import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The in-task resolvers: one UDP socket per task (127.0.0.11:53 inside its namespace), and a
/// TCP listener beside it for clients that retry a truncated answer over TCP (RFC 7766), each
/// with the zone that task sees, served on the shared `EventLoop`. A query the zone does not
/// answer is forwarded from the host's namespace to the host's nameservers, one after the other,
/// `timeout` seconds each; when none answers, the task gets SERVFAIL.
public final class DNSServer: @unchecked Sendable {
    let loop: EventLoop
    /// The host's nameservers, "IP" (port 53) or "IP:PORT".
    public let upstreams: [String]
    let timeout: Double
    static let maxPending = 512
    /// Forwarded queries of one task waiting at once: one task cannot take the others' share.
    static let maxPendingPerTask = 64
    static let maxTCPClients = 256
    static let tcpIdleTimeout = 10.0

    struct Served {
        var zone: DNSZone
        var generation: Int
        var tcpListener: Int32?
    }

    /// Where an answer goes: a datagram to the sender, or a frame on a TCP connection.
    enum Sink {
        case udp(fd: Int32, generation: Int, to: sockaddr_in)
        case tcp(TCPClient)
    }

    /// A DNS-over-TCP client: two-byte length-prefixed messages each way.
    final class TCPClient {
        let fd: Int32
        let socket: Int32  // the task's UDP socket, whose zone it is asked
        var input: [UInt8] = []
        var output: [UInt8] = []
        var lastActive: Double
        var closed = false
        init(fd: Int32, socket: Int32, now: Double) {
            self.fd = fd
            self.socket = socket
            lastActive = now
        }
    }

    struct Pending {
        var sink: Sink
        var query: [UInt8]
        var id: UInt16
        var server: Int
        var deadline: Double
    }

    // Loop thread only.
    var served: [Int32: Served] = [:]
    var pending: [Int32: Pending] = [:]
    var tcpClients: [Int32: TCPClient] = [:]
    var generation = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    /// Queries answered, forwarded and failed (tests and logs read them through `counters`).
    var answered = 0, forwarded = 0, failed = 0

    public init(loop: EventLoop, upstreams: [String], timeout: Double = 2) {
        self.loop = loop
        self.upstreams = upstreams.filter { Self.address($0) != nil }
        self.timeout = timeout
        loop.submit { [self] in loop.onTick { [self] in expire(monotonicNow()) } }
    }

    /// The nameservers of a resolv.conf text (IPv4 ones, in order).
    public static func nameservers(resolvConf text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return f.count >= 2 && f[0] == "nameserver" && Socket.ipv4(String(f[1])) != nil ? String(f[1]) : nil
        }
    }

    /// Serve queries arriving on `fd` (a bound UDP socket) and, with `tcpListener`, on the
    /// connections of that listening socket; the server owns both from now on.
    public func serve(fd: Int32, tcpListener: Int32? = nil, zone: DNSZone) {
        loop.submit { [self] in
            generation += 1
            served[fd] = Served(zone: zone, generation: generation, tcpListener: tcpListener)
            loop.watch(fd, BERTH_EPOLLIN) { [self] _ in readQueries(fd) }
            if let l = tcpListener { loop.watch(l, BERTH_EPOLLIN) { [self] _ in acceptTCP(l, socket: fd) } }
        }
    }

    public func update(fd: Int32, zone: DNSZone) {
        loop.submit { [self] in served[fd]?.zone = zone }
    }

    /// Stop serving `fd` and close it, its TCP listener and connections.
    public func close(fd: Int32) {
        loop.submit { [self] in
            guard let s = served.removeValue(forKey: fd) else { return }
            loop.unwatch(fd)
            Glibc.close(fd)
            if let l = s.tcpListener { loop.unwatch(l); Glibc.close(l) }
            for c in tcpClients.values where c.socket == fd { closeTCP(c) }
        }
    }

    /// (answered, forwarded, failed) so far; waits for the loop.
    public func counters() -> (answered: Int, forwarded: Int, failed: Int) {
        var c = (0, 0, 0)
        loop.sync { [self] in c = (answered, forwarded, failed) }
        return c
    }

    /// Close every socket (the loop keeps running).
    public func stop() {
        loop.sync { [self] in
            for (fd, s) in served {
                loop.unwatch(fd)
                Glibc.close(fd)
                if let l = s.tcpListener { loop.unwatch(l); Glibc.close(l) }
            }
            for fd in pending.keys { loop.unwatch(fd); Glibc.close(fd) }
            for c in tcpClients.values { closeTCP(c) }
            served = [:]
            pending = [:]
        }
    }

    // MARK: loop thread

    func readQueries(_ fd: Int32) {
        for _ in 0..<64 {
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buffer.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, &len) } }
            }
            guard n >= 0 else { return }
            handle(Array(buffer[0..<n]), from: from, on: fd)
        }
    }

    func handle(_ bytes: [UInt8], from: sockaddr_in, on fd: Int32) {
        guard let s = served[fd] else { return }
        handle(bytes, zone: s.zone, sink: .udp(fd: fd, generation: s.generation, to: from))
    }

    func handle(_ bytes: [UInt8], zone: DNSZone, sink: Sink) {
        let query: DNSMessage
        do { query = try DNSMessage.parse(bytes) } catch {
            if let reply = DNSMessage.formatError(for: bytes) { deliver(reply, sink) }
            return
        }
        guard !query.isResponse else { return }
        if let reply = zone.answer(query) {
            answered += 1
            if case .tcp = sink { deliver(reply.encode(limit: 65535), sink) } else { deliver(reply.encode(limit: query.udpLimit), sink) }
            return
        }
        let socket = Self.taskSocket(of: sink)
        guard !upstreams.isEmpty, pending.count < Self.maxPending,
              pending.values.lazy.filter({ Self.taskSocket(of: $0.sink) == socket }).count < Self.maxPendingPerTask else {
            failed += 1
            deliver(query.reply(rcode: DNSRcode.servFail).encode(), sink)
            return
        }
        ask(Pending(sink: sink, query: bytes, id: query.id, server: 0, deadline: monotonicNow() + timeout))
    }

    /// The task's UDP socket a query came in through (directly or by its TCP listener).
    static func taskSocket(of sink: Sink) -> Int32 {
        switch sink {
        case .udp(let fd, _, _): return fd
        case .tcp(let c): return c.socket
        }
    }

    /// Send an answer where it belongs, if the socket or connection asking is still there.
    func deliver(_ bytes: [UInt8], _ sink: Sink) {
        switch sink {
        case .udp(let fd, let generation, let to):
            guard served[fd]?.generation == generation else { return }
            send(bytes, to: to, on: fd)
        case .tcp(let c):
            guard !c.closed, bytes.count <= 65535 else { return }
            c.output += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
            settleTCP(c)
        }
    }

    /// Send the query to `p.server` on a connected socket of its own (only that server's answers arrive there).
    func ask(_ p: Pending) {
        var p = p
        while p.server < upstreams.count {
            if let ufd = connectedUDP(upstreams[p.server]) {
                if p.query.withUnsafeBytes({ Glibc.send(ufd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == p.query.count {
                    p.deadline = monotonicNow() + timeout
                    pending[ufd] = p
                    loop.watch(ufd, BERTH_EPOLLIN) { [self] _ in readAnswer(ufd) }
                    return
                }
                Glibc.close(ufd)
            }
            p.server += 1
        }
        fail(p)
    }

    func readAnswer(_ ufd: Int32) {
        guard let p = pending[ufd] else { return }
        let n = buffer.withUnsafeMutableBytes { recv(ufd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n < 0, errno == EAGAIN || errno == EINTR { return }
        drop(ufd)
        // A refused port (ICMP) moves on to the next server; a stray datagram is ignored.
        guard n >= 12 else { var next = p; next.server += 1; return ask(next) }
        let reply = Array(buffer[0..<n])
        guard UInt16(reply[0]) << 8 | UInt16(reply[1]) == p.id, reply[2] & 0x80 != 0 else { var next = p; next.server += 1; return ask(next) }
        forwarded += 1
        deliver(reply, p.sink)
    }

    func expire(_ now: Double) {
        for c in tcpClients.values where c.lastActive + Self.tcpIdleTimeout <= now { closeTCP(c) }
        for (ufd, p) in pending where p.deadline <= now {
            drop(ufd)
            var next = p
            next.server += 1
            ask(next)
        }
    }

    func fail(_ p: Pending) {
        failed += 1
        guard let q = try? DNSMessage.parse(p.query) else { return }
        deliver(q.reply(rcode: DNSRcode.servFail).encode(), p.sink)
    }

    func drop(_ ufd: Int32) {
        pending.removeValue(forKey: ufd)
        loop.unwatch(ufd)
        Glibc.close(ufd)
    }

    // MARK: DNS over TCP

    func acceptTCP(_ listener: Int32, socket: Int32) {
        for _ in 0..<16 {
            let c = berth_accept_nonblock(listener)
            guard c >= 0 else { return }
            guard tcpClients.count < Self.maxTCPClients else { Glibc.close(c); continue }
            let client = TCPClient(fd: c, socket: socket, now: monotonicNow())
            tcpClients[c] = client
            loop.watch(c, BERTH_EPOLLIN) { [self] ev in tcpEvent(client, ev) }
        }
    }

    func tcpEvent(_ c: TCPClient, _ events: UInt32) {
        c.lastActive = monotonicNow()
        if events & (BERTH_EPOLLIN | BERTH_EPOLLHUP | BERTH_EPOLLERR) != 0 {
            let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { return closeTCP(c) }
            if n > 0 { c.input += buffer[0..<n] }
            while c.input.count >= 2 {
                let len = Int(c.input[0]) << 8 | Int(c.input[1])
                guard c.input.count >= 2 + len else { break }
                let message = Array(c.input[2..<(2 + len)])
                c.input.removeFirst(2 + len)
                guard let s = served[c.socket] else { return closeTCP(c) }
                handle(message, zone: s.zone, sink: .tcp(c))
                if c.closed { return }
            }
            if c.input.count > 2 + 65535 { return closeTCP(c) }
        }
        settleTCP(c)
    }

    func settleTCP(_ c: TCPClient) {
        guard !c.closed else { return }
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if n > 0 { c.output.removeFirst(n); continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { break }
            return closeTCP(c)
        }
        loop.modify(c.fd, c.output.isEmpty ? BERTH_EPOLLIN : BERTH_EPOLLIN | BERTH_EPOLLOUT)
    }

    func closeTCP(_ c: TCPClient) {
        guard !c.closed else { return }
        c.closed = true
        tcpClients.removeValue(forKey: c.fd)
        loop.unwatch(c.fd)
        Glibc.close(c.fd)
    }

    /// "IP" (port 53) or "IP:PORT".
    static func address(_ server: String) -> (ip: in_addr, port: UInt16)? {
        let parts = server.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let ip = Socket.ipv4(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (ip, 53) }
        guard let port = UInt16(parts[1]), port > 0 else { return nil }
        return (ip, port)
    }

    func connectedUDP(_ server: String) -> Int32? {
        guard let (ip, port) = Self.address(server) else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr = ip
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 { Glibc.close(fd); return nil }
        return fd
    }

    func send(_ bytes: [UInt8], to: sockaddr_in, on fd: Int32) {
        var to = to
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The in-task resolvers: one UDP socket per task (127.0.0.11:53 inside its namespace), each
/// with the zone that task sees, served on the shared `EventLoop`. A query the zone does not
/// answer is forwarded from the host's namespace to the host's nameservers, one after the other,
/// `timeout` seconds each; when none answers, the task gets SERVFAIL.
public final class DNSServer: @unchecked Sendable {
    let loop: EventLoop
    /// The host's nameservers, "IP" (port 53) or "IP:PORT".
    public let upstreams: [String]
    let timeout: Double
    static let maxPending = 512

    struct Served {
        var zone: DNSZone
        var generation: Int
    }

    struct Pending {
        var clientFD: Int32
        var generation: Int
        var client: sockaddr_in
        var query: [UInt8]
        var id: UInt16
        var server: Int
        var deadline: Double
        var limit: Int
    }

    // Loop thread only.
    var served: [Int32: Served] = [:]
    var pending: [Int32: Pending] = [:]
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

    /// Serve queries arriving on `fd` (a bound UDP socket; the server owns it from now on).
    public func serve(fd: Int32, zone: DNSZone) {
        loop.submit { [self] in
            generation += 1
            served[fd] = Served(zone: zone, generation: generation)
            loop.watch(fd, BERTH_EPOLLIN) { [self] _ in readQueries(fd) }
        }
    }

    public func update(fd: Int32, zone: DNSZone) {
        loop.submit { [self] in served[fd]?.zone = zone }
    }

    /// Stop serving `fd` and close it.
    public func close(fd: Int32) {
        loop.submit { [self] in
            guard served.removeValue(forKey: fd) != nil else { return }
            loop.unwatch(fd)
            Glibc.close(fd)
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
            for fd in served.keys { loop.unwatch(fd); Glibc.close(fd) }
            for fd in pending.keys { loop.unwatch(fd); Glibc.close(fd) }
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
        let query: DNSMessage
        do { query = try DNSMessage.parse(bytes) } catch {
            if let reply = DNSMessage.formatError(for: bytes) { send(reply, to: from, on: fd) }
            return
        }
        guard !query.isResponse else { return }
        if let reply = s.zone.answer(query) {
            answered += 1
            send(reply.encode(limit: query.udpLimit), to: from, on: fd)
            return
        }
        forward(bytes, query, from: from, on: fd, generation: s.generation)
    }

    func forward(_ bytes: [UInt8], _ query: DNSMessage, from: sockaddr_in, on fd: Int32, generation: Int) {
        guard !upstreams.isEmpty, pending.count < Self.maxPending else {
            failed += 1
            send(query.reply(rcode: DNSRcode.servFail).encode(), to: from, on: fd)
            return
        }
        let p = Pending(clientFD: fd, generation: generation, client: from, query: bytes, id: query.id, server: 0,
                        deadline: monotonicNow() + timeout, limit: query.udpLimit)
        ask(p)
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
        guard served[p.clientFD]?.generation == p.generation else { return }
        forwarded += 1
        send(reply, to: p.client, on: p.clientFD)
    }

    func expire(_ now: Double) {
        for (ufd, p) in pending where p.deadline <= now {
            drop(ufd)
            var next = p
            next.server += 1
            ask(next)
        }
    }

    func fail(_ p: Pending) {
        failed += 1
        guard served[p.clientFD]?.generation == p.generation, let q = try? DNSMessage.parse(p.query) else { return }
        send(q.reply(rcode: DNSRcode.servFail).encode(), to: p.client, on: p.clientFD)
    }

    func drop(_ ufd: Int32) {
        pending.removeValue(forKey: ufd)
        loop.unwatch(ufd)
        Glibc.close(ufd)
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

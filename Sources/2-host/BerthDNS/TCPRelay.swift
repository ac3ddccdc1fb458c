import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// TCP relays on the shared `EventLoop`: each listener (made inside a task's namespace) passes
/// its connections to its targets in the host's namespace, round robin; a target that refuses
/// is skipped for the next one. Half-closes pass through. Closing a listener leaves its open
/// connections running to their end.
public final class TCPRelay: @unchecked Sendable {
    public struct Target: Sendable, Equatable, Hashable {
        public var host: String
        public var port: UInt16
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
    }

    final class Listener {
        var targets: [Target]
        var next = 0
        init(_ targets: [Target]) { self.targets = targets }
    }

    final class Flow {
        let client: Int32
        var backend: Int32
        var targets: [Target]
        var tried = 0
        var connected = false
        var toBackend: [UInt8] = [], toClient: [UInt8] = []
        var clientEOF = false, backendEOF = false, clientShut = false, backendShut = false
        var closed = false
        init(client: Int32, backend: Int32, targets: [Target]) {
            self.client = client
            self.backend = backend
            self.targets = targets
        }
    }

    static let bufferCap = 64 * 1024
    /// Connections relayed at once (two descriptors each); beyond it new ones are closed at once.
    static let maxFlows = 4096
    let loop: EventLoop
    // Loop thread only.
    var listeners: [Int32: Listener] = [:]
    var flows: [ObjectIdentifier: Flow] = [:]
    var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    public init(loop: EventLoop) { self.loop = loop }

    /// Relay connections accepted on `fd` (a listening socket, owned by the relay from now on).
    public func listen(fd: Int32, targets: [Target]) {
        loop.submit { [self] in
            listeners[fd] = Listener(targets)
            loop.watch(fd, BERTH_EPOLLIN) { [self] _ in accept(fd) }
        }
    }

    public func update(fd: Int32, targets: [Target]) {
        loop.submit { [self] in
            guard let l = listeners[fd], l.targets != targets else { return }
            l.targets = targets
            l.next = 0
        }
    }

    /// Close the listener (its connections go on).
    public func close(fd: Int32) {
        loop.submit { [self] in
            guard listeners.removeValue(forKey: fd) != nil else { return }
            loop.unwatch(fd)
            Glibc.close(fd)
        }
    }

    /// Listeners and connections open now; waits for the loop.
    public func counts() -> (listeners: Int, connections: Int) {
        var c = (0, 0)
        loop.sync { [self] in c = (listeners.count, flows.count) }
        return c
    }

    /// Close every listener and connection.
    public func stop() {
        loop.sync { [self] in
            for fd in listeners.keys { loop.unwatch(fd); Glibc.close(fd) }
            listeners = [:]
            for f in flows.values { finish(f) }
        }
    }

    // MARK: loop thread

    func accept(_ fd: Int32) {
        guard let l = listeners[fd] else { return }
        for _ in 0..<64 {
            let c = berth_accept_nonblock(fd)
            guard c >= 0 else { return }
            guard !l.targets.isEmpty, flows.count < Self.maxFlows else { Glibc.close(c); continue }
            // Round robin: this connection starts at the listener's next target.
            let start = l.next % l.targets.count
            l.next = (start + 1) % l.targets.count
            let order = Array(l.targets[start...] + l.targets[..<start])
            let f = Flow(client: c, backend: -1, targets: order)
            flows[ObjectIdentifier(f)] = f
            connectNext(f)
        }
    }

    /// Connect to the flow's next target; the client is reset when none is left.
    func connectNext(_ f: Flow) {
        if f.backend >= 0 { loop.unwatch(f.backend); Glibc.close(f.backend); f.backend = -1 }
        while f.tried < f.targets.count {
            let t = f.targets[f.tried]
            f.tried += 1
            if let b = Self.connect(t) {
                f.backend = b
                loop.watch(b, BERTH_EPOLLOUT) { [self] ev in backendEvent(f, ev) }
                return
            }
        }
        finish(f)
    }

    func backendEvent(_ f: Flow, _ events: UInt32) {
        if !f.connected {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(f.backend, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 || events & (BERTH_EPOLLERR | BERTH_EPOLLHUP) != 0 && events & BERTH_EPOLLOUT == 0 { return connectNext(f) }
            f.connected = true
        }
        if events & (BERTH_EPOLLIN | BERTH_EPOLLHUP | BERTH_EPOLLERR) != 0, !f.backendEOF {
            if !receive(f.backend, into: &f.toClient, eof: &f.backendEOF) { return finish(f) }
        }
        settle(f)
    }

    func clientEvent(_ f: Flow, _ events: UInt32) {
        if events & (BERTH_EPOLLIN | BERTH_EPOLLHUP | BERTH_EPOLLERR) != 0, !f.clientEOF {
            if !receive(f.client, into: &f.toBackend, eof: &f.clientEOF) { return finish(f) }
        }
        settle(f)
    }

    /// Read what is there (up to the cap); false on an error.
    func receive(_ fd: Int32, into buf: inout [UInt8], eof: inout Bool) -> Bool {
        while buf.count < Self.bufferCap {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, Self.bufferCap - buf.count), Int32(MSG_DONTWAIT)) }
            if n > 0 { buf += scratch[0..<n]; continue }
            if n == 0 { eof = true; return true }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK
        }
        return true
    }

    /// Write what is buffered; false on an error.
    func flush(_ fd: Int32, _ buf: inout [UInt8]) -> Bool {
        while !buf.isEmpty {
            let n = buf.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if n > 0 { buf.removeFirst(n); continue }
            if n < 0, errno == EINTR { continue }
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
        return true
    }

    func settle(_ f: Flow) {
        guard !f.closed else { return }
        if f.connected, !flush(f.backend, &f.toBackend) { return finish(f) }
        if !flush(f.client, &f.toClient) { return finish(f) }
        if f.connected, f.clientEOF, !f.backendShut, f.toBackend.isEmpty { shutdown(f.backend, Int32(SHUT_WR)); f.backendShut = true }
        if f.backendEOF, !f.clientShut, f.toClient.isEmpty { shutdown(f.client, Int32(SHUT_WR)); f.clientShut = true }
        if f.clientShut && f.backendShut { return finish(f) }
        var c: UInt32 = 0, b: UInt32 = 0
        if f.connected, !f.clientEOF, f.toBackend.count < Self.bufferCap { c |= BERTH_EPOLLIN }
        if !f.toClient.isEmpty { c |= BERTH_EPOLLOUT }
        if !f.connected || !f.toBackend.isEmpty { b |= BERTH_EPOLLOUT }
        if f.connected, !f.backendEOF, f.toClient.count < Self.bufferCap { b |= BERTH_EPOLLIN }
        // Nothing wanted: not watched at all (a hung-up socket would report HUP at every wait).
        if c == 0 { loop.unwatch(f.client) } else { loop.watch(f.client, c) { [self] ev in clientEvent(f, ev) } }
        if b == 0 { loop.unwatch(f.backend) } else { loop.watch(f.backend, b) { [self] ev in backendEvent(f, ev) } }
    }

    func finish(_ f: Flow) {
        guard !f.closed else { return }
        f.closed = true
        flows.removeValue(forKey: ObjectIdentifier(f))
        loop.unwatch(f.client)
        Glibc.close(f.client)
        if f.backend >= 0 { loop.unwatch(f.backend); Glibc.close(f.backend) }
    }

    static func connect(_ t: Target) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, let ip = Socket.ipv4(t.host) else { if fd >= 0 { Glibc.close(fd) }; return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = t.port.bigEndian
        addr.sin_addr = ip
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc == 0 || errno == EINPROGRESS { return fd }
        Glibc.close(fd)
        return nil
    }
}

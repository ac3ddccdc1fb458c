import BerthDNS
import BerthSys
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// UDP sockets on 127.0.0.1 for the tests (the server's sockets stand for 127.0.0.11 in a task).
enum UDP {
    static func bound() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr = Socket.ipv4("127.0.0.1")!
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    /// Whether a new socket can bind 127.0.0.1:`port` (closed again at once).
    static func canBind(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr = Socket.ipv4("127.0.0.1")!
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    static func send(_ fd: Int32, _ bytes: [UInt8], port: UInt16) {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr = Socket.ipv4("127.0.0.1")!
        addr.sin_port = port.bigEndian
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
    }

    /// One datagram and the port it came from, or nil after `timeout` seconds.
    static func receive(_ fd: Int32, timeout: Double = 5) -> (bytes: [UInt8], port: UInt16)? {
        guard Socket.waitReadable(fd, until: monotonicNow() + timeout) else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buf.withUnsafeMutableBytes { b in
            withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } }
        }
        return n < 0 ? nil : (Array(buf[0..<n]), UInt16(bigEndian: from.sin_port))
    }
}

@Suite(.serialized) struct DNSServerTests {
    func query(_ name: String, _ type: UInt16 = DNSType.a, id: UInt16) -> [UInt8] {
        var q = DNSMessage(id: id)
        q.recursionDesired = true
        q.questions = [DNSQuestion(name: name, type: type)]
        return q.encode()
    }

    @Test func answersFromTheZoneAndForwardsTheRest() throws {
        let upstream = try UDP.bound()
        defer { close(upstream.fd) }
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let server = DNSServer(loop: loop, upstreams: ["127.0.0.1:\(upstream.port)"], timeout: 2)
        defer { server.stop() }
        let served = try UDP.bound()
        var zone = DNSZone()
        zone.addNamespace("local")
        zone.addAddresses("web.local", ["127.128.0.5"], ttl: 10)
        server.serve(fd: served.fd, zone: zone)
        let client = try UDP.bound()
        defer { close(client.fd) }

        UDP.send(client.fd, query("web.local", id: 1), port: served.port)
        let a = try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes)
        #expect(a.id == 1 && a.answers == [DNSRecord.a("web.local", "127.128.0.5", ttl: 10)])

        UDP.send(client.fd, query("gone.local", id: 2), port: served.port)
        #expect(try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes).rcode == DNSRcode.nxDomain)

        // Forwarded: the upstream sees the query as sent and its answer comes back to the client.
        UDP.send(client.fd, query("example.com", id: 3), port: served.port)
        let forwarded = try #require(UDP.receive(upstream.fd))
        var answer = try DNSMessage.parse(forwarded.bytes).reply()
        answer.answers = [DNSRecord.a("example.com", "93.184.215.14", ttl: 300)]
        UDP.send(upstream.fd, answer.encode(), port: forwarded.port)
        let back = try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes)
        #expect(back.id == 3 && back.answers == answer.answers)

        // A new zone is used at once.
        zone.addAddresses("api.local", ["127.128.0.9"], ttl: 10)
        server.update(fd: served.fd, zone: zone)
        UDP.send(client.fd, query("api.local", id: 4), port: served.port)
        #expect(try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes).answers.count == 1)

        // Garbage with a header gets FORMERR.
        UDP.send(client.fd, [0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9], port: served.port)
        let formErr = try #require(UDP.receive(client.fd)).bytes
        #expect(formErr[0] == 0 && formErr[1] == 5 && formErr[3] & 0x0f == DNSRcode.formErr)
        let c = server.counters()
        #expect(c.answered == 3 && c.forwarded == 1 && c.failed == 0)
    }

    @Test func servFailWhenNoUpstreamAnswers() throws {
        let silent = try UDP.bound()
        defer { close(silent.fd) }
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let server = DNSServer(loop: loop, upstreams: ["127.0.0.1:\(silent.port)"], timeout: 0.3)
        defer { server.stop() }
        let served = try UDP.bound()
        server.serve(fd: served.fd, zone: DNSZone())
        let client = try UDP.bound()
        defer { close(client.fd) }
        let started = monotonicNow()
        UDP.send(client.fd, query("example.com", id: 11), port: served.port)
        let r = try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes)
        #expect(r.id == 11 && r.rcode == DNSRcode.servFail && monotonicNow() - started >= 0.25)
        #expect(server.counters().failed == 1)
    }

    /// One task cannot fill the forwarding table: past 64 waiting queries it gets SERVFAIL at
    /// once, while another task's queries are still forwarded.
    @Test func forwardedQueriesAreBoundedPerTask() throws {
        let silent = try UDP.bound()
        defer { close(silent.fd) }
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let server = DNSServer(loop: loop, upstreams: ["127.0.0.1:\(silent.port)"], timeout: 30)
        defer { server.stop() }
        let busy = try UDP.bound(), other = try UDP.bound()
        server.serve(fd: busy.fd, zone: DNSZone())
        server.serve(fd: other.fd, zone: DNSZone())
        let client = try UDP.bound()
        defer { close(client.fd) }
        for i in 0..<70 { UDP.send(client.fd, query("q\(i).example", id: UInt16(i)), port: busy.port) }
        var refused: [UInt16] = []
        while let r = UDP.receive(client.fd, timeout: 1) { refused.append(try DNSMessage.parse(r.bytes).id) }
        #expect(refused.count == 6, "\(refused)")
        UDP.send(client.fd, query("other.example", id: 500), port: other.port)
        #expect(UDP.receive(client.fd, timeout: 0.5) == nil)  // forwarded, waiting for the silent upstream
        var seen = 0
        while UDP.receive(silent.fd, timeout: 0.5) != nil { seen += 1 }
        #expect(seen == 65)
    }

    @Test func answersOverTCPInFullWhereUDPTruncates() throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let server = DNSServer(loop: loop, upstreams: [])
        defer { server.stop() }
        let served = try UDP.bound()
        let (listener, tcpPort) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        var zone = DNSZone()
        zone.addAddresses("many.local", (1...60).map { "127.128.1.\($0)" }, ttl: 5)
        server.serve(fd: served.fd, tcpListener: listener, zone: zone)

        let client = try UDP.bound()
        defer { close(client.fd) }
        UDP.send(client.fd, query("many.local", id: 21), port: served.port)
        let overUDP = try DNSMessage.parse(try #require(UDP.receive(client.fd)).bytes)
        #expect(overUDP.truncated && overUDP.answers.count < 60)

        // Two queries in one write, answered in order, each with its length prefix.
        let c = try Socket.connectTCP(host: "127.0.0.1", port: tcpPort)
        defer { close(c) }
        var out: [UInt8] = []
        for id: UInt16 in [22, 23] {
            let q = query(id == 22 ? "many.local" : "nope.example", id: id)
            out += [UInt8(q.count >> 8), UInt8(q.count & 0xff)] + q
        }
        _ = Socket.sendAll(c, out)
        var input: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var messages: [DNSMessage] = []
        while messages.count < 2, Socket.waitReadable(c, until: monotonicNow() + 5) {
            let n = read(c, &buf, buf.count)
            if n <= 0 { break }
            input += buf.prefix(n)
            while input.count >= 2, input.count >= 2 + (Int(input[0]) << 8 | Int(input[1])) {
                let len = Int(input[0]) << 8 | Int(input[1])
                messages.append(try DNSMessage.parse(Array(input[2..<(2 + len)])))
                input.removeFirst(2 + len)
            }
        }
        try #require(messages.count == 2)
        #expect(messages[0].id == 22 && !messages[0].truncated && messages[0].answers.count == 60)
        #expect(messages[1].id == 23 && messages[1].rcode == DNSRcode.servFail)  // no upstream
    }

    @Test func closedSocketsAreNotServed() throws {
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let server = DNSServer(loop: loop, upstreams: [])
        let served = try UDP.bound()
        server.serve(fd: served.fd, zone: DNSZone())
        server.close(fd: served.fd)
        #expect(server.counters() == (0, 0, 0))  // waits for the loop, which closed the socket
        // Closed by the server: its port is free again. (Not `fcntl` on the number: another test
        // running in parallel may already have been given that descriptor number.)
        #expect(UDP.canBind(port: served.port), "port \(served.port) is still bound")
    }
}

@Suite(.serialized) struct TCPRelayTests {
    /// A listener answering each connection with its name, then closing.
    final class NamedBackend: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        init(_ name: String) throws {
            (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
            let fd = self.fd
            Thread {
                while true {
                    let c = accept(fd, nil, nil)
                    if c < 0 { return }
                    var buf = [UInt8](repeating: 0, count: 64)
                    let n = read(c, &buf, 64)
                    _ = Socket.sendAll(c, Array("\(name):".utf8) + buf.prefix(max(0, n)))
                    close(c)
                }
            }.start()
        }
        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    func roundTrip(_ port: UInt16, _ text: String) throws -> String {
        let c = try Socket.connectTCP(host: "127.0.0.1", port: port)
        defer { close(c) }
        _ = Socket.sendAll(c, Array(text.utf8))
        shutdown(c, Int32(SHUT_WR))
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 256)
        while Socket.waitReadable(c, until: monotonicNow() + 5) {
            let n = read(c, &buf, 256)
            if n <= 0 { break }
            out += buf.prefix(n)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func relaysRoundRobinAndSkipsRefusingTargets() throws {
        let a = try NamedBackend("a"), b = try NamedBackend("b")
        defer { a.stop(); b.stop() }
        // A port nothing listens on: taken and released.
        let (deadFD, deadPort) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        close(deadFD)
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let relay = TCPRelay(loop: loop)
        defer { relay.stop() }
        let (lfd, lport) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        _ = fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK)
        relay.listen(fd: lfd, targets: [.init(host: "127.0.0.1", port: a.port), .init(host: "127.0.0.1", port: b.port)])
        let answers = try (0..<4).map { try roundTrip(lport, "hi\($0)") }
        #expect(answers == ["a:hi0", "b:hi1", "a:hi2", "b:hi3"])

        relay.update(fd: lfd, targets: [.init(host: "127.0.0.1", port: deadPort), .init(host: "127.0.0.1", port: b.port)])
        #expect(try roundTrip(lport, "x") == "b:x")
        #expect(try roundTrip(lport, "y") == "b:y")
        relay.close(fd: lfd)
        _ = relay.counts()
        #expect(throws: SysError.self) { _ = try Socket.connectTCP(host: "127.0.0.1", port: lport) }
        #expect(relay.counts() == (0, 0))
    }
}

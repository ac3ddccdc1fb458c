import BerthSys
import Foundation
import Glibc
import Testing
@testable import BerthHTTP

/// A loopback server that answers each request it reads with the next scripted reply (raw bytes),
/// counting connections; a reply of nil closes the connection without answering.
final class ScriptedServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let lock = NSLock()
    private var replies: [[UInt8]?]
    private(set) var connections = 0
    private(set) var requests: [String] = []
    private var clients: [Int32] = []

    init(_ replies: [String?]) throws {
        (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        self.replies = replies.map { $0.map { Array($0.utf8) } }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        lock.lock()
        for c in clients { shutdown(c, Int32(SHUT_RDWR)); close(c) }
        lock.unlock()
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            guard c >= 0 else { return }
            lock.lock()
            connections += 1
            clients.append(c)
            lock.unlock()
            Thread { [self] in serve(c) }.start()
        }
    }

    private func serve(_ c: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let end = find(buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                lock.lock()
                requests.append(head)
                let reply = replies.isEmpty ? nil : replies.removeFirst()
                lock.unlock()
                guard let reply else { shutdown(c, Int32(SHUT_RDWR)); return }
                if !reply.isEmpty { _ = Socket.sendAll(c, reply) }
            }
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buffer += chunk[0..<n]
        }
    }

    private func find(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    var url: HTTPURL { HTTPURL(scheme: "http", host: "127.0.0.1", port: port, target: "/") }
}

@Suite(.serialized) struct StreamClientTests {
    func get(_ client: HTTPStreamClient, _ server: ScriptedServer, _ path: String) throws -> (Int, String) {
        var url = server.url
        url.target = path
        let r = try client.send(ClientRequest(url: url))
        return (r.status, String(decoding: try r.readAll(limit: 1 << 20), as: UTF8.self))
    }

    @Test func chunkedAndLengthBodiesShareOneKeptAliveConnection() throws {
        let server = try ScriptedServer([
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ])
        let client = HTTPStreamClient()
        #expect(try get(client, server, "/a") == (200, "hello, world"))
        #expect(try get(client, server, "/b") == (404, "nope"))
        #expect(try get(client, server, "/c") == (204, ""))
        #expect(server.connections == 1)
        #expect(server.requests[0].hasPrefix("GET /a HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"))
    }

    @Test func aConnectionTheServerClosedIsReplaced() throws {
        let server = try ScriptedServer(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", nil, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"])
        let client = HTTPStreamClient()
        #expect(try get(client, server, "/1") == (200, "a"))
        #expect(try get(client, server, "/2") == (200, "b"))
        #expect(server.connections == 2)
    }

    @Test func aBodyCutShortIsDroppedAndSilenceTimesOut() throws {
        let server = try ScriptedServer(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc", "", ""])
        var options = HTTPStreamClient.Options()
        options.readTimeout = 0.5
        let client = HTTPStreamClient(options)
        var url = server.url
        let r = try client.send(ClientRequest(url: url))
        #expect(try r.body.read(100) == Array("abc".utf8))
        // The server keeps the connection open without sending the rest.
        let e = #expect(throws: HTTPFetchError.self) { _ = try r.body.read(100) }
        #expect(e?.kind == .timeout)
        url.target = "/silent"
        let start = monotonicNow()
        let silent = #expect(throws: HTTPFetchError.self) { _ = try client.send(ClientRequest(url: url)) }
        #expect(silent?.kind == .timeout && monotonicNow() - start < 5)
    }

    @Test func refusedConnectionAndTLSToAPlainServerFailClearly() throws {
        let port = try { () throws -> UInt16 in let (fd, p) = try Socket.listenTCP(host: "127.0.0.1", port: 0); close(fd); return p }()
        let refused = #expect(throws: HTTPFetchError.self) { _ = try HTTPStreamClient().send(ClientRequest(url: HTTPURL(scheme: "http", host: "127.0.0.1", port: port))) }
        #expect(refused?.kind == .connect && refused?.message.contains("refused") == true, "\(refused?.message ?? "")")

        let server = try ScriptedServer([])  // closes on the first bytes it cannot parse as a request... or at once
        var options = HTTPStreamClient.Options()
        options.connectTimeout = 2
        let tls = #expect(throws: HTTPFetchError.self) {
            _ = try HTTPStreamClient(options).send(ClientRequest(url: HTTPURL(scheme: "https", host: "127.0.0.1", port: server.port)))
        }
        #expect(tls != nil)
    }

    @Test func urlsParseAndResolveLocations() {
        let u = HTTPURL(string: "https://Reg.Example.com:5000/v2/a/blobs/x?y=1")
        #expect(u == HTTPURL(scheme: "https", host: "reg.example.com", port: 5000, target: "/v2/a/blobs/x?y=1"))
        #expect(u?.authority == "reg.example.com:5000")
        #expect(HTTPURL(string: "https://h/")?.authority == "h")
        #expect(HTTPURL(string: "ftp://h/") == nil && HTTPURL(string: "http://user@h/") == nil)
        #expect(u?.resolving("/other")?.description == "https://reg.example.com:5000/other")
        #expect(u?.resolving("z")?.target == "/v2/a/blobs/z")
        #expect(u?.resolving("//cdn.example/x")?.description == "https://cdn.example/x")
        #expect(HTTPURL.query([("scope", "repository:a/b:pull")]) == "scope=repository%3Aa%2Fb%3Apull")
        #expect(HTTPURL(string: "http://[::1]:8080/x")?.host == "::1")
    }

    @Test func resolverReadsHostsFileAndDNSAnswers() throws {
        #expect(Resolver.fromHosts("# c\n10.0.0.5  reg.lan reg  # x\n::1 reg6\n", "REG") == "10.0.0.5")
        #expect(Resolver.nameservers("search x\nnameserver 9.9.9.9\nnameserver ::1\n") == ["9.9.9.9"])
        // A reply for "a.b" with a CNAME then an A record 1.2.3.4.
        let reply: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 1, 97, 1, 98, 0, 0, 1, 0, 1,
                              0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12,
                              0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]
        #expect(DNSQuery.parseA(reply) == "1.2.3.4")
        #expect(try Resolver.ipv4("127.0.0.1") == "127.0.0.1" && (try Resolver.ipv4("localhost")) == "127.0.0.1")
    }
}

/// Redirects over a double transport.
@Suite struct FollowRedirectsTests {
    final class Hops: HTTPTransport, @unchecked Sendable {
        var seen: [ClientRequest] = []
        func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse {
            seen.append(request)
            let location: String? = switch request.url.target {
            case "/start": "/same-host"
            case "/same-host": "https://cdn.example.com/blob"
            case "/loop": "/loop"
            default: nil
            }
            return ClientResponse(status: location == nil ? 200 : 307, headers: location.map { [("Location", $0)] } ?? [], url: request.url, body: BytesBody([]))
        }
    }

    @Test func authorizationIsKeptOnTheSameHostAndDroppedOnAnother() throws {
        let hops = Hops()
        let r = try FollowRedirects(hops).send(ClientRequest(url: HTTPURL(string: "https://reg.example.com/start")!, headers: [("Authorization", "Bearer t")]))
        #expect(r.status == 200 && hops.seen.count == 3)
        #expect(hops.seen[1].header("Authorization") == "Bearer t")
        #expect(hops.seen[2].url.host == "cdn.example.com" && hops.seen[2].header("Authorization") == nil)
        let e = #expect(throws: HTTPFetchError.self) { _ = try FollowRedirects(Hops(), limit: 3).send(ClientRequest(url: HTTPURL(string: "https://r/loop")!)) }
        #expect(e?.kind == .redirect)
    }
}

import BerthSys
import Dispatch
import Foundation
import Glibc
import Testing
@testable import BerthHTTP

/// The HTTP server and client over real loopback sockets, with a handler that knows no API.
@Suite(.serialized) struct ServerTests {
    /// POST /echo answers 200 with the request body; anything else 404; a refused request gets
    /// the status with `X-Refused` (so a test sees the handler's `protocolError` was used).
    struct Echo: HTTPHandler {
        func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse {
            guard request.method == "POST", request.path == "/echo" else { return HTTPResponse(status: 404, body: Array("no \(request.path)".utf8)) }
            return HTTPResponse(status: 200, body: request.body)
        }

        func protocolError(_ error: HTTPProtocolError) -> HTTPResponse {
            HTTPResponse(status: error.status, headers: [("X-Refused", "yes")], body: Array(error.message.utf8), close: true)
        }
    }

    final class Running {
        let server: HTTPServer
        let port: UInt16

        init(limits configure: (inout HTTPLimits) -> Void = { _ in }) throws {
            var limits = HTTPLimits()
            limits.maxBodyBytes = 1024 * 1024
            configure(&limits)
            server = try HTTPServer(handler: Echo(), limits: limits)
            guard case .tcp(_, let p) = try server.listen(.tcp(host: "127.0.0.1", port: 0)) else { throw ConfigError("no port") }
            port = p
        }

        deinit { server.stop() }

        var client: HTTPClient { HTTPClient(.tcp(host: "127.0.0.1", port: port), timeoutSeconds: 10) }

        /// Raw bytes in, raw response text out (until the server closes or `timeout`).
        func raw(_ bytes: [UInt8], halfClose: Bool = false, timeout: Double = 5) throws -> String {
            let fd = try Socket.connectTCP(host: "127.0.0.1", port: port)
            defer { close(fd) }
            _ = Socket.sendAll(fd, bytes)
            if halfClose { shutdown(fd, Int32(SHUT_WR)) }
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            let deadline = monotonicNow() + timeout
            while Socket.waitReadable(fd, until: deadline) {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                out += buf[0..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// A connection that has had one request answered and stays open (keep-alive).
        func keptAlive() throws -> Int32 {
            let fd = try Socket.connectTCP(host: "127.0.0.1", port: port)
            _ = Socket.sendAll(fd, Array("GET /k HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            var buf = [UInt8](repeating: 0, count: 4096)
            var got: [UInt8] = []
            while HTTPClient.parseResponse(got) == nil, Socket.waitReadable(fd, until: monotonicNow() + 5) {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                got += buf[0..<n]
            }
            if HTTPClient.parseResponse(got)?.0 != 404 { close(fd); throw ConfigError("no keep-alive answer: \(String(decoding: got, as: UTF8.self))") }
            return fd
        }

        func stillServes() throws -> Bool {
            let r = try client.send(method: "POST", path: "/echo", headers: [("Host", client.hostHeader)], body: [1, 2, 3])
            return r.status == 200 && r.body == [1, 2, 3]
        }
    }

    /// A complete response: status, headers (lowercased names), body of exactly Content-Length bytes, then EOF.
    static func answer(_ text: String) -> (status: Int, headers: [String: String], body: String)? {
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count >= 3, first[0] == "HTTP/1.1", let status = Int(first[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[end.upperBound...])
        guard let length = headers["content-length"].flatMap({ Int($0) }), body.utf8.count == length else { return nil }
        return (status, headers, body)
    }

    @Test func clientOverUnixSocket() throws {
        let dir = try #require(mkdtemp(strdup("/tmp/berth-http-XXXXXX")).map { String(cString: $0) })
        defer { unlink(dir + "/s.sock"); rmdir(dir) }
        let server = try HTTPServer(handler: Echo())
        defer { server.stop() }
        try server.listen(.unix(path: dir + "/s.sock"))
        var st = stat()
        #expect(stat(dir + "/s.sock", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let client = HTTPClient(.unix(dir + "/s.sock"), timeoutSeconds: 10)
        let r = try client.send(method: "POST", path: "/echo", headers: [("Host", client.hostHeader)], body: Array("hi".utf8))
        #expect(r.status == 200 && r.body == Array("hi".utf8))
        #expect(try client.send(method: "POST", path: "/other", headers: [], body: []).status == 404)
        #expect(throws: HTTPClient.Failure.self) { try HTTPClient(.unix(dir + "/none.sock")).send(method: "GET", path: "/", headers: [], body: []) }
    }

    @Test func protocolAbuse() throws {
        let r = try Running { $0.requestTimeout = 1 }
        // Too large: refused from the Content-Length alone.
        let big = try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 20000000\r\n\r\n".utf8))
        #expect(big.hasPrefix("HTTP/1.1 413") && big.contains("X-Refused: yes"))
        // Garbage, huge headers, wrong version.
        #expect(try r.raw(Array("\u{00}\u{01}garbage\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400"))
        #expect(try r.raw(Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 40000) + "\r\n\r\n").utf8)).hasPrefix("HTTP/1.1 431"))
        #expect(try r.raw(Array("GET / HTTP/3\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 505"))
        // Slow client: half a request, then silence → 408 after the request timeout.
        let start = monotonicNow()
        let slow = try r.raw(Array("POST / HTTP/1.1\r\nContent-Le".utf8), timeout: 5)
        #expect(slow.hasPrefix("HTTP/1.1 408") && monotonicNow() - start < 4)
        // Half-closed after a complete request: the answer still arrives.
        #expect(try r.raw(Array("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".utf8), halfClose: true).hasPrefix("HTTP/1.1 404"))
        // Half-closed in the middle of a request: closed without an answer, no crash.
        #expect(try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{".utf8), halfClose: true).isEmpty)
        // Keep-alive: two requests on one connection, both answered.
        let two = try r.raw(Array("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(two.components(separatedBy: "HTTP/1.1 404").count == 3)
        #expect(try r.stillServes())
    }

    @Test func chunkedAndContinueRequestsAreServed() throws {
        let r = try Running()
        let head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        let answer = try r.raw(Array((head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").utf8))
        #expect(answer.contains("HTTP/1.1 200 OK\r\n") && answer.hasSuffix("\r\n\r\nhello world"))
        #expect(HTTPClient.parseResponse(Array(answer.utf8))?.1 == Array("hello world".utf8))
    }

    /// Issue 10 item 5: every malformed request with a complete header section gets a complete
    /// answer (the handler's `protocolError`) before the close, also when the client half-closes.
    @Test func everyMalformedRequestIsAnswered() throws {
        let r = try Running()
        for (bytes, status) in HTTPParserTests.malformed {
            let label = String(decoding: bytes.prefix(50), as: UTF8.self).debugDescription
            let text = try r.raw(bytes, halfClose: true)
            guard let a = Self.answer(text) else {
                Issue.record("\(label): no complete answer, got \(text.prefix(100).debugDescription)")
                continue
            }
            #expect(a.status == status, "\(label)")
            #expect(a.headers["connection"] == "close" && a.headers["x-refused"] == "yes" && !a.body.isEmpty, "\(label)")
        }
        // After a good request on the same connection too.
        let two = try r.raw(Array("GET /a HTTP/1.1\r\n\r\nGET / HTTP/1.1\nHost: x\n\n".utf8), halfClose: true)
        #expect(two.hasPrefix("HTTP/1.1 404") && two.contains("HTTP/1.1 400 Bad Request"))
        #expect(try r.stillServes())
    }

    /// Idle keep-alive connections cost no thread: 200 of them leave the thread count near where it was.
    @Test func threadCountDoesNotGrowWithConnections() throws {
        let r = try Running()
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        #expect(try r.stillServes())
        let before = threads()
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<200 { fds.append(try r.keptAlive()) }
        let during = threads()
        #expect(during - before <= HTTPLimits().maxWorkers + 4, "threads \(before) -> \(during) with 200 open connections")
        #expect(try r.stillServes())
    }

    @Test func idleConnectionsAreClosedAndTheCapAnswers503() throws {
        let r = try Running { $0.idleTimeout = 1; $0.maxConnections = 4 }
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<4 { fds.append(try r.keptAlive()) }
        let over = try r.raw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let a = try #require(Self.answer(over), "\(over.prefix(100).debugDescription)")
        #expect(a.status == 503 && a.headers["x-refused"] == "yes" && a.headers["connection"] == "close")
        // The idle ones are closed by the server (EOF) after the idle timeout, and room is made.
        for fd in fds {
            var byte: UInt8 = 0
            #expect(Socket.waitReadable(fd, until: monotonicNow() + 10) && recv(fd, &byte, 1, 0) == 0)
        }
        #expect(try r.raw(Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404"))
    }

    /// A socket bound elsewhere (as a task's metadata listener is, inside the task's network
    /// namespace) is served with its own tag, and stops being served when closed.
    @Test func servesAnAlreadyBoundSocketWithItsTagAndClosesIt() throws {
        struct Tagged: HTTPHandler {
            func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse {
                HTTPResponse(status: 200, body: Array(connection.listener.utf8))
            }
            func protocolError(_ error: HTTPProtocolError) -> HTTPResponse { HTTPResponse(status: error.status, close: true) }
        }
        let server = try HTTPServer(handler: Tagged())
        defer { server.stop() }
        let (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        server.serve(listeningFD: fd, info: ConnectionInfo(trusted: false, listener: "task:one"))
        let client = HTTPClient(.tcp(host: "127.0.0.1", port: port), timeoutSeconds: 5)
        let r = try client.send(method: "GET", path: "/", headers: [], body: [])
        #expect(r.status == 200 && String(decoding: r.body, as: UTF8.self) == "task:one")
        server.closeListener(fd)
        var refused = false
        for _ in 0..<100 where !refused {
            refused = (try? HTTPClient(.tcp(host: "127.0.0.1", port: port), timeoutSeconds: 1).send(method: "GET", path: "/", headers: [], body: [])) == nil
            if !refused { usleep(10_000) }
        }
        #expect(refused, "the closed listener still accepts")
    }
}

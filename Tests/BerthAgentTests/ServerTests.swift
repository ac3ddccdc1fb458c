import Foundation
import Glibc
import Testing
@testable import BerthAgent

/// The HTTP server and API router over real loopback sockets.
@Suite(.serialized) struct ServerTests {
    final class Running {
        let dir = TempDir()
        let daemon: AgentDaemon
        let port: UInt16
        var socketPath: String { dir.path + "/agent.sock" }

        init(requestTimeout: Double = 10, tcp: Bool = true, limits configure: (inout HTTPLimits) -> Void = { _ in }) throws {
            var o = AgentOptions()
            o.stateDir = dir.path
            o.socketPath = dir.path + "/agent.sock"
            o.listen = tcp ? .tcp(host: "127.0.0.1", port: 0) : nil
            o.limits.requestTimeout = requestTimeout
            o.limits.maxBodyBytes = 1024 * 1024
            configure(&o.limits)
            daemon = try AgentDaemon(options: o, engine: FakeTaskEngine())
            try daemon.start()
            guard case .tcp(_, let p)? = daemon.boundTCP else {
                if tcp { throw EngineError("no port") }
                port = 0
                return
            }
            port = p
        }

        deinit { daemon.stop() }

        var signed: AgentClient {
            AgentClient(.tcp(host: "127.0.0.1", port: port, credentials: daemon.credentials, region: "us-east-1"))
        }

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
            while AgentClient.parseResponse(got) == nil, Socket.waitReadable(fd, until: monotonicNow() + 5) {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                got += buf[0..<n]
            }
            if AgentClient.parseResponse(got)?.0 != 404 { close(fd); throw EngineError("no keep-alive answer: \(String(decoding: got, as: UTF8.self))") }
            return fd
        }

        func stillServes() throws -> Bool {
            try signed.call("ListClusters")["clusterArns"]?.arrayValue?.count == 1
        }
    }

    /// `berth agent --listen none`: the loop starts with the unix socket as its only listener.
    @Test func aServerWithOnlyTheUnixSocketAnswers() throws {
        let r = try Running(tcp: false)
        #expect(try AgentClient(.unix(r.socketPath)).call("ListClusters")["clusterArns"]?.arrayValue?.count == 1)
    }

    @Test func unixSocketIsTrustedAndPrivate() throws {
        let r = try Running()
        let client = AgentClient(.unix(r.socketPath))
        #expect(try client.call("ListClusters")["clusterArns"]?.arrayValue?.count == 1)
        var st = stat()
        #expect(stat(r.socketPath, &st) == 0 && st.st_mode & 0o777 == 0o600)
        var cst = stat()
        #expect(stat(r.dir.path + "/credentials.json", &cst) == 0 && cst.st_mode & 0o777 == 0o600)
        #expect(r.daemon.credentials.accessKeyId.hasPrefix("BRTH") && r.daemon.credentials.accessKeyId.count == 20)
        #expect(r.daemon.credentials.secretAccessKey.count == 40)
    }

    @Test func tcpNeedsAValidSignature() throws {
        let r = try Running()
        #expect(try r.stillServes())
        let unsigned = try r.raw(Array("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".utf8))
        #expect(unsigned.hasPrefix("HTTP/1.1 403") && unsigned.contains("MissingAuthenticationTokenException"))
        #expect(unsigned.contains("x-amzn-RequestId: "))
        let wrong = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: AgentCredentials(accessKeyId: r.daemon.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret"), region: "us-east-1"))
        #expect(throws: AgentClient.Failure.self) { try wrong.call("ListClusters") }
        do { _ = try wrong.call("ListClusters") } catch { #expect(error.type == "InvalidSignatureException" && error.status == 403) }
        let stranger = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: AgentCredentials(accessKeyId: "AKIASOMEONEELSE", secretAccessKey: "x"), region: "us-east-1"))
        do { _ = try stranger.call("ListClusters") } catch { #expect(error.type == "UnrecognizedClientException" && error.status == 400) }
        let otherRegion = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: r.daemon.credentials, region: "eu-west-1"))
        do { _ = try otherRegion.call("ListClusters") } catch { #expect(error.type == "InvalidSignatureException") }
        #expect(try r.stillServes())
    }

    @Test func badRequestsGetECSErrorsAndTheAgentKeepsServing() throws {
        let r = try Running()
        let c = r.signed
        func failure(_ op: String, _ body: JSON) -> AgentClient.Failure? {
            do { _ = try c.call(op, body); return nil } catch { return error }
        }
        #expect(failure("NoSuchOperation", [:])?.type == "UnknownOperationException")
        #expect(failure("Berth.NoSuch", [:])?.type == "UnknownOperationException")
        #expect(failure("DescribeClusters", ["clusters": 3])?.type == "SerializationException")
        #expect(failure("RunTask", ["taskDefinition": "nope"])?.type == "ClientException")
        // Malformed JSON, a JSON array, and the wrong content type, over the trusted socket.
        let u = AgentClient(.unix(r.socketPath))
        #expect(throws: AgentClient.Failure.self) { try u.call("ListClusters", .array([])) }
        let malformed = try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":".utf8), halfClose: true)
        #expect(malformed.hasPrefix("HTTP/1.1 403"))  // TCP authenticates before reading the body
        for body in ["{\"a\":", "[1]", "\u{01}"] {
            let fd = try Socket.connectUnix(r.socketPath)
            let req = "POST / HTTP/1.1\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = Socket.sendAll(fd, Array(req.utf8))
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_WAITALL)) }
            close(fd)
            let text = String(decoding: buf[0..<max(n, 0)], as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 400") && text.contains("SerializationException"), "\(body.debugDescription)")
        }
        #expect(try r.stillServes())
    }

    @Test func protocolAbuse() throws {
        let r = try Running(requestTimeout: 1)
        // Too large: refused from the Content-Length alone.
        let big = try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 20000000\r\n\r\n".utf8))
        #expect(big.hasPrefix("HTTP/1.1 413") && big.contains("SerializationException"))
        // Garbage, huge headers, wrong version.
        #expect(try r.raw(Array("\u{00}\u{01}garbage\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400"))
        #expect(try r.raw(Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 40000) + "\r\n\r\n").utf8)).hasPrefix("HTTP/1.1 431"))
        #expect(try r.raw(Array("GET / HTTP/3\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 505"))
        // GET is not an operation.
        #expect(try r.raw(Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404"))
        // Slow client: half a request, then silence → 408 after the request timeout.
        let start = monotonicNow()
        let slow = try r.raw(Array("POST / HTTP/1.1\r\nContent-Le".utf8), timeout: 5)
        #expect(slow.hasPrefix("HTTP/1.1 408") && monotonicNow() - start < 4)
        // Half-closed after a complete request: the answer still arrives.
        let req = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(try r.raw(Array(req.utf8), halfClose: true).hasPrefix("HTTP/1.1 404"))
        // Half-closed in the middle of a request: closed without an answer, no crash.
        #expect(try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{".utf8), halfClose: true).isEmpty)
        // Keep-alive: two requests on one connection, both answered.
        let two = try r.raw(Array("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(two.components(separatedBy: "HTTP/1.1 404").count == 3)
        // Chunked body with a signature.
        #expect(try r.stillServes())
    }

    @Test func chunkedAndContinueRequestsAreServed() throws {
        let r = try Running()
        let body = Array(#"{"clusterName":"chunky"}"#.utf8)
        let headers = SigV4Signer(credentials: r.daemon.credentials, region: "us-east-1").sign(method: "POST", path: "/", headers: [
            ("Host", "127.0.0.1:\(r.port)"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.CreateCluster"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ], body: body, now: Date().timeIntervalSince1970)
        var head = "POST / HTTP/1.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        let chunks = "5\r\n" + String(decoding: body[0..<5], as: UTF8.self) + "\r\n" + String(body.count - 5, radix: 16) + "\r\n"
            + String(decoding: body[5...], as: UTF8.self) + "\r\n0\r\n\r\n"
        let answer = try r.raw(Array((head + chunks).utf8))
        #expect(answer.contains("HTTP/1.1 200") && answer.contains("cluster/chunky"))
    }

    @Test func manyConcurrentClients() throws {
        let r = try Running()
        let client = r.signed
        let failures = LogCollector()
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            do { _ = try client.call("CreateCluster", ["clusterName": .string("c\(i % 8)")]) } catch { failures.add("\(error)") }
        }
        #expect(failures.all.isEmpty)
        #expect(try client.call("ListClusters")["clusterArns"]?.arrayValue?.count == 9)
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

    /// Issue 10 item 5: every malformed request with a complete header section gets a complete
    /// ECS-shaped 4xx/5xx answer before the close, also when the client half-closes after sending.
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
            #expect(a.headers["connection"] == "close" && a.headers["x-amzn-requestid"] != nil, "\(label)")
            #expect(a.headers["content-type"] == "application/x-amz-json-1.1", "\(label)")
            let json = try JSONParser.parse(a.body)
            #expect(json["__type"]?.stringValue?.hasSuffix("Exception") == true && json["message"]?.stringValue?.isEmpty == false, "\(label)")
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
        #expect(a.status == 503 && a.body.contains("ThrottlingException") && a.headers["connection"] == "close")
        // The idle ones are closed by the server (EOF) after the idle timeout, and room is made.
        for fd in fds {
            var byte: UInt8 = 0
            #expect(Socket.waitReadable(fd, until: monotonicNow() + 10) && recv(fd, &byte, 1, 0) == 0)
        }
        #expect(try r.raw(Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404"))
    }
}

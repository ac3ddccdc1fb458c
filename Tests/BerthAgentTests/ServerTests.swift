import BerthJSON
import BerthSys
import Foundation
import Glibc
import Testing
@testable import BerthAgent
@testable import BerthHTTP

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
                if tcp { throw EngineError(.internal, "no port") }
                port = 0
                return
            }
            port = p
        }

        deinit { daemon.stop() }

        var signed: AgentClient {
            AgentClient(.tcp(host: "127.0.0.1", port: port, credentials: daemon.credentials, region: "us-east-1"))
        }

        /// Raw request bytes over TCP, and the status and body of the answer (byte-level
        /// behaviour of the server is tested in Tests/BerthHTTPTests).
        func raw(_ bytes: [UInt8]) throws -> (status: Int, body: String) {
            let (status, body) = try HTTPClient(.tcp(host: "127.0.0.1", port: port), timeoutSeconds: 5).exchange(bytes)
            return (status, String(decoding: body, as: UTF8.self))
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
        #expect(unsigned.status == 403 && unsigned.body.contains("MissingAuthenticationTokenException"))
        let wrong = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: SigV4Credentials(accessKeyId: r.daemon.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret"), region: "us-east-1"))
        #expect(throws: AgentClient.Failure.self) { try wrong.call("ListClusters") }
        do { _ = try wrong.call("ListClusters") } catch { #expect(error.type == "InvalidSignatureException" && error.status == 403) }
        let stranger = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: SigV4Credentials(accessKeyId: "AKIASOMEONEELSE", secretAccessKey: "x"), region: "us-east-1"))
        do { _ = try stranger.call("ListClusters") } catch { #expect(error.type == "UnrecognizedClientException" && error.status == 400) }
        let otherRegion = AgentClient(.tcp(host: "127.0.0.1", port: r.port, credentials: r.daemon.credentials, region: "eu-west-1"))
        do { _ = try otherRegion.call("ListClusters") } catch { #expect(error.type == "InvalidSignatureException") }
        #expect(try r.stillServes())
    }

    @Test func badRequestsGetECSErrorsAndTheAgentKeepsServing() throws {
        let r = try Running()
        let c = r.signed
        func failure(_ op: String, _ body: JSONValue) -> AgentClient.Failure? {
            do { _ = try c.call(op, body); return nil } catch { return error }
        }
        #expect(failure("NoSuchOperation", [:])?.type == "UnknownOperationException")
        #expect(failure("Berth.NoSuch", [:])?.type == "UnknownOperationException")
        #expect(failure("DescribeClusters", ["clusters": 3])?.type == "SerializationException")
        #expect(failure("RunTask", ["taskDefinition": "nope"])?.type == "ClientException")
        // Malformed JSON, a JSON array, and the wrong content type, over the trusted socket.
        let u = AgentClient(.unix(r.socketPath))
        #expect(throws: AgentClient.Failure.self) { try u.call("ListClusters", .array([])) }
        let malformed = try r.raw(Array("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":".utf8))
        #expect(malformed.status == 403)  // TCP authenticates before reading the body
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

    @Test func chunkedAndContinueRequestsAreServed() throws {
        let r = try Running()
        let body = Array(#"{"clusterName":"chunky"}"#.utf8)
        let headers = SigV4Signer(credentials: r.daemon.credentials, region: "us-east-1", service: "ecs").sign(method: "POST", path: "/", headers: [
            ("Host", "127.0.0.1:\(r.port)"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.CreateCluster"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ], body: body, now: Date().timeIntervalSince1970)
        var head = "POST / HTTP/1.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        let chunks = "5\r\n" + String(decoding: body[0..<5], as: UTF8.self) + "\r\n" + String(body.count - 5, radix: 16) + "\r\n"
            + String(decoding: body[5...], as: UTF8.self) + "\r\n0\r\n\r\n"
        let answer = try r.raw(Array((head + chunks).utf8))
        #expect(answer.status == 200 && answer.body.contains("cluster/chunky"))
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

    /// The HTTP layer's refusals (Tests/BerthHTTPTests) reach the client as ECS errors: status,
    /// `__type` and message, a request id, the JSON content type, and the connection closed.
    @Test func refusedRequestsGetECSShapedAnswers() throws {
        let r = try Running()
        let cases: [(String, Int, String)] = [
            ("\u{00}\u{01}garbage\r\n\r\n", 400, "SerializationException"),
            ("POST / HTTP/1.1\r\nContent-Length: 20000000\r\n\r\n", 413, "SerializationException"),
            ("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 40000) + "\r\n\r\n", 431, "SerializationException"),
            ("BREW / HTTP/1.1\r\n\r\n", 501, "ClientException"),
            ("GET / HTTP/3\r\n\r\n", 505, "ClientException"),
        ]
        for (request, status, type) in cases {
            let a = try r.raw(Array(request.utf8))
            let json = try JSONValue.parse(a.body)
            #expect(a.status == status && json["__type"]?.stringValue == type && json["message"]?.stringValue?.isEmpty == false, "\(status)")
        }
        // GET is not an operation.
        #expect(try r.raw(Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).status == 404)
        // Also the refusals the server makes on its own clock (slow requests, the connection cap).
        let router = APIRouter(backend: r.daemon.backend, verifier: SigV4Verifier(region: "us-east-1", service: "ecs") { _ in nil })
        for (status, type) in cases.map({ ($0.1, $0.2) }) + [(408, "RequestTimeoutException"), (503, "ThrottlingException")] {
            let answer = router.protocolError(HTTPProtocolError(status, "refused"))
            let json = try JSONValue.parse(bytes: answer.body)
            #expect(answer.status == status && answer.close && json["__type"]?.stringValue == type, "\(status)")
            #expect(answer.headers.contains { $0.name == "x-amzn-RequestId" && !$0.value.isEmpty }, "\(status)")
            #expect(answer.headers.contains { $0 == ("Content-Type", "application/x-amz-json-1.1") }, "\(status)")
        }
        #expect(try r.stillServes())
    }
}

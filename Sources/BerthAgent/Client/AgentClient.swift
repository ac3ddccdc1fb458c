import Foundation
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A small ECS JSON 1.1 client for the CLI: one request per call over the agent's unix
/// socket (trusted, unsigned) or over TCP with a SigV4 signature.
public struct AgentClient: Sendable {
    public enum Endpoint: Sendable {
        case unix(String)
        case tcp(host: String, port: UInt16, credentials: AgentCredentials, region: String)
    }

    public let endpoint: Endpoint
    public var timeoutSeconds: Double = 60

    public init(_ endpoint: Endpoint) { self.endpoint = endpoint }

    /// An ECS error answer, or a transport failure (type `ConnectionError`).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var type: String
        public var message: String
        public var status: Int
        public var description: String { "\(type): \(message)" }
    }

    /// Call an ECS operation (`RunTask`) or an agent-private one (`Berth.GetTaskLogs`).
    public func call(_ operation: String, _ input: JSON = [:]) throws(Failure) -> JSON {
        let target = operation.hasPrefix("Berth.") ? operation : APIRouter.targetPrefix + operation
        let body = input.bytes
        var headers: [(name: String, value: String)] = [
            ("Host", hostHeader), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target),
        ]
        if case .tcp(_, _, let creds, let region) = endpoint {
            headers = SigV4Signer(credentials: creds, region: region).sign(method: "POST", path: "/", headers: headers, body: body, now: wallClockNow())
        }
        var request = "POST / HTTP/1.1\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let (status, responseBody) = try exchange(Array(request.utf8) + body)
        let json: JSON
        do { json = try JSONParser.parse(responseBody) } catch {
            throw Failure(type: "SerializationException", message: "agent answered HTTP \(status) with a body that is not JSON: \(error)", status: status)
        }
        if status != 200 {
            let type = json["__type"]?.stringValue ?? "HTTP\(status)"
            throw Failure(type: type, message: json["message"]?.stringValue ?? "", status: status)
        }
        return json
    }

    var hostHeader: String {
        switch endpoint {
        case .unix: return "localhost"
        case .tcp(let host, let port, _, _): return "\(host):\(port)"
        }
    }

    func connect() throws(Failure) -> Int32 {
        do {
            switch endpoint {
            case .unix(let path): return try Socket.connectUnix(path)
            case .tcp(let host, let port, _, _): return try Socket.connectTCP(host: host, port: port)
            }
        } catch {
            var hint = ""
            if case .unix(let path) = endpoint {
                hint = error.errno == ENOENT || error.errno == ECONNREFUSED ? " (is `berth agent` running? socket \(path))" : ""
            }
            throw Failure(type: "ConnectionError", message: "\(error)\(hint)", status: 0)
        }
    }

    /// Send a request, read the whole response (the request asks for Connection: close).
    func exchange(_ request: [UInt8]) throws(Failure) -> (Int, [UInt8]) {
        let fd = try connect()
        defer { close(fd) }
        guard Socket.sendAll(fd, request) else { throw Failure(type: "ConnectionError", message: "could not send the request", status: 0) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = monotonicNow() + timeoutSeconds
        while true {
            if let (status, body) = Self.parseResponse(buffer) { return (status, body) }
            guard Socket.waitReadable(fd, until: deadline) else {
                throw Failure(type: "ConnectionError", message: "no answer from the agent within \(Int(timeoutSeconds)) seconds", status: 0)
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && berth_errno() == EINTR { continue }
            if n <= 0 {
                if let (status, body) = Self.parseResponse(buffer, eof: true) { return (status, body) }
                throw Failure(type: "ConnectionError", message: "the agent closed the connection without a complete answer", status: 0)
            }
            buffer += chunk[0..<n]
        }
    }

    /// Status and body of a complete response with Content-Length (or ended by EOF).
    static func parseResponse(_ buf: [UInt8], eof: Bool = false) -> (Int, [UInt8])? {
        guard let end = HTTPParser.findHeaderEnd(buf, from: 0) else { return nil }
        let head = String(decoding: buf[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        if status == 100 { return parseResponse(Array(buf[(end + 4)...]), eof: eof) }
        var length: Int?
        for line in lines.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2, kv[0].lowercased() == "content-length" { length = Int(kv[1].trimmingCharacters(in: .whitespaces)) }
        }
        let bodyStart = end + 4
        if let length {
            guard buf.count >= bodyStart + length else { return nil }
            return (status, Array(buf[bodyStart..<(bodyStart + length)]))
        }
        return eof ? (status, Array(buf[bodyStart...])) : nil
    }
}

/// Signs requests with SigV4 for the `ecs` service (client side of SigV4Verifier).
public struct SigV4Signer: Sendable {
    public var credentials: AgentCredentials
    public var region: String
    public var service = "ecs"

    public init(credentials: AgentCredentials, region: String) {
        self.credentials = credentials
        self.region = region
    }

    public func sign(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8], now: Double) -> [(name: String, value: String)] {
        let amzDate = SigV4Verifier.formatAmzDate(now)
        let date = String(amzDate.prefix(8))
        var all = headers + [("X-Amz-Date", amzDate)]
        let request = HTTPRequest(method: method, target: path, headers: all, body: body)
        let signed = all.map { $0.name.lowercased() }.sorted()
        let canonical = SigV4Verifier.canonicalRequest(request, signedHeaders: signed)
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hex(Array(canonical.utf8)))"
        let signature = SigV4Verifier.signature(secret: credentials.secretAccessKey, date: date, region: region, service: service, stringToSign: toSign)
        all.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
        return all
    }
}

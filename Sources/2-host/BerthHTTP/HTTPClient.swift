import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client: one request per connection (Connection: close) over a unix socket
/// or TCP, the whole response read until it is complete or the deadline passes.
public struct HTTPClient: Sendable {
    public enum Endpoint: Sendable {
        case unix(String)
        case tcp(host: String, port: UInt16)
    }

    /// Why no response arrived.
    public enum Failure: Error, Sendable {
        case connect(SysError)
        case send
        case timeout
        case incomplete
    }

    public let endpoint: Endpoint
    public var timeoutSeconds: Double

    public init(_ endpoint: Endpoint, timeoutSeconds: Double = 60) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
    }

    /// Status and body of the answer to one request; `headers` go as given, followed by
    /// Content-Length and Connection: close.
    public func send(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8]) throws(Failure) -> (status: Int, body: [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return try exchange(Array(head.utf8) + body)
    }

    /// The Host header for this endpoint.
    public var hostHeader: String {
        switch endpoint {
        case .unix: return "localhost"
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }

    func connect() throws(Failure) -> Int32 {
        do {
            switch endpoint {
            case .unix(let path): return try Socket.connectUnix(path)
            case .tcp(let host, let port): return try Socket.connectTCP(host: host, port: port)
            }
        } catch {
            throw .connect(error)
        }
    }

    /// Send a request, read the whole response (the request asks for Connection: close).
    func exchange(_ request: [UInt8]) throws(Failure) -> (status: Int, body: [UInt8]) {
        let fd = try connect()
        defer { close(fd) }
        guard Socket.sendAll(fd, request) else { throw .send }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = monotonicNow() + timeoutSeconds
        while true {
            if let (status, body) = Self.parseResponse(buffer) { return (status, body) }
            guard Socket.waitReadable(fd, until: deadline) else { throw .timeout }
            let (n, _) = Sys.attempt { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) } }
            if n <= 0 {
                if let (status, body) = Self.parseResponse(buffer, eof: true) { return (status, body) }
                throw .incomplete
            }
            buffer += chunk[0..<n]
        }
    }

    /// Status and body of a complete response with Content-Length (or ended by EOF).
    public static func parseResponse(_ buf: [UInt8], eof: Bool = false) -> (Int, [UInt8])? {
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

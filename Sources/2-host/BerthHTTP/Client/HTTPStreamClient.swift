import BerthSys
import Foundation

/// The real HTTP/1.1 client: plain TCP or TLS, keep-alive connections pooled per origin, bodies
/// streamed (Content-Length, chunked, or to end of stream), connect and read timeouts. A request
/// on a pooled connection that the server had already closed is sent again on a new one.
public final class HTTPStreamClient: HTTPTransport, @unchecked Sendable {
    public struct Options: Sendable {
        public var connectTimeout: Double = 30
        /// Longest wait for any byte of a response.
        public var readTimeout: Double = 60
        /// Extra CA files (PEM) to trust for a host and port, besides the system store.
        public var caFiles: @Sendable (_ host: String, _ port: UInt16) -> [String] = { _, _ in [] }
        public var maxIdlePerOrigin = 4
        public var userAgent = "berth"
        public init() {}
    }

    public let options: Options
    private let lock = NSLock()
    private var idle: [String: [ClientConnection]] = [:]

    public init(_ options: Options = Options()) {
        self.options = options
    }

    public func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse {
        if let pooled = takeIdle(request.url.origin) {
            do throws(HTTPFetchError) {
                if let response = try exchange(request, on: pooled) { return response }
            } catch where error.kind == .dropped {}
        }
        let conn = try ClientConnection.open(request.url, connectTimeout: options.connectTimeout, readTimeout: options.readTimeout,
                                             caFiles: options.caFiles(request.url.host, request.url.port))
        guard let response = try exchange(request, on: conn) else {
            throw HTTPFetchError(.dropped, "\(request.url.authority) closed the connection without answering")
        }
        return response
    }

    /// nil when the connection closed before any byte of the response (a stale pooled one).
    private func exchange(_ request: ClientRequest, on conn: ClientConnection) throws(HTTPFetchError) -> ClientResponse? {
        var head = "\(request.method) \(request.url.target) HTTP/1.1\r\nHost: \(request.url.authority)\r\n"
        if request.header("User-Agent") == nil { head += "User-Agent: \(options.userAgent)\r\n" }
        for (k, v) in request.headers {
            guard !k.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }), !v.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPFetchError(.protocolError, "header \(k.debugDescription) has a line break")
            }
            head += "\(k): \(v)\r\n"
        }
        head += "\r\n"
        try conn.send(Array(head.utf8))
        while true {
            guard let statusLine = try conn.readUntil([13, 10], limit: 16 * 1024) else { return nil }
            let parts = String(decoding: statusLine.dropLast(2), as: UTF8.self).split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw HTTPFetchError(.protocolError, "\(request.url.authority) answered something that is not HTTP/1.1")
            }
            var headers: [(name: String, value: String)] = []
            while true {
                guard let line = try conn.readUntil([13, 10], limit: 64 * 1024) else {
                    throw HTTPFetchError(.dropped, "\(request.url.authority): connection closed in the response header")
                }
                if line.count == 2 { break }
                let text = String(decoding: line.dropLast(2), as: UTF8.self)
                guard let colon = text.firstIndex(of: ":") else { throw HTTPFetchError(.protocolError, "\(request.url.authority): bad header line") }
                headers.append((String(text[..<colon]), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                guard headers.count <= 200 else { throw HTTPFetchError(.protocolError, "\(request.url.authority): too many header lines") }
            }
            if (100..<200).contains(status) { continue }
            let response = ClientResponse(status: status, headers: headers, url: request.url, body: BytesBody([]))
            let keepAlive = !(response.header("Connection")?.lowercased().contains("close") ?? false) && parts[0] == "HTTP/1.1"
            let body: HTTPBodyStream
            if request.method == "HEAD" || status == 204 || status == 304 {
                body = BytesBody([])
                if keepAlive { release(conn) }
            } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
                body = ChunkedBody(conn, client: keepAlive ? self : nil)
            } else if let lengthText = response.header("Content-Length") {
                guard let length = Int64(lengthText), length >= 0 else {
                    throw HTTPFetchError(.protocolError, "\(request.url.authority): bad Content-Length \(lengthText.debugDescription)")
                }
                body = LengthBody(conn, length: length, client: keepAlive ? self : nil)
            } else {
                body = LengthBody(conn, length: nil, client: nil)
            }
            return ClientResponse(status: status, headers: headers, url: request.url, body: body)
        }
    }

    func release(_ conn: ClientConnection) {
        lock.lock()
        defer { lock.unlock() }
        var list = idle[conn.origin] ?? []
        guard list.count < options.maxIdlePerOrigin else { return }
        list.append(conn)
        idle[conn.origin] = list
    }

    private func takeIdle(_ origin: String) -> ClientConnection? {
        lock.lock()
        defer { lock.unlock() }
        while let conn = idle[origin]?.popLast() {
            if !conn.isStale { return conn }
        }
        return nil
    }
}

/// A body of known length (or, without one, up to the end of the stream).
final class LengthBody: HTTPBodyStream {
    private var conn: ClientConnection?
    private var remaining: Int64?
    private let client: HTTPStreamClient?

    init(_ conn: ClientConnection, length: Int64?, client: HTTPStreamClient?) {
        self.conn = conn
        self.remaining = length
        self.client = client
        if length == 0 { finish() }
    }

    func read(_ max: Int) throws(HTTPFetchError) -> [UInt8] {
        guard let c = conn else { return [] }
        let want = remaining.map { Int(min(Int64(max), $0)) } ?? max
        do throws(HTTPFetchError) {
            let bytes = try c.read(want)
            if bytes.isEmpty {
                conn = nil
                if let remaining, remaining > 0 { throw HTTPFetchError(.dropped, "\(c.origin): connection closed with \(remaining) bytes of the body missing") }
                return []
            }
            if let r = remaining {
                remaining = r - Int64(bytes.count)
                if remaining == 0 { finish() }
            }
            return bytes
        } catch {
            conn = nil
            throw error
        }
    }

    private func finish() {
        if let conn, let client { client.release(conn) }
        conn = nil
    }

    func close() { conn = nil }
}

/// A chunked body (RFC 9112 7.1); trailers are read and dropped.
final class ChunkedBody: HTTPBodyStream {
    private var conn: ClientConnection?
    private var inChunk: Int64 = 0
    private let client: HTTPStreamClient?

    init(_ conn: ClientConnection, client: HTTPStreamClient?) {
        self.conn = conn
        self.client = client
    }

    func read(_ max: Int) throws(HTTPFetchError) -> [UInt8] {
        guard let c = conn else { return [] }
        do throws(HTTPFetchError) {
            if inChunk == 0 {
                guard let line = try c.readUntil([13, 10], limit: 4096) else { throw HTTPFetchError(.dropped, "\(c.origin): connection closed mid-body") }
                let sizeText = String(decoding: line.dropLast(2), as: UTF8.self).split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
                guard let size = Int64(sizeText, radix: 16), size >= 0 else { throw HTTPFetchError(.protocolError, "\(c.origin): bad chunk size") }
                if size == 0 {
                    while let trailer = try c.readUntil([13, 10], limit: 8192), trailer.count > 2 {}
                    conn = nil
                    client?.release(c)
                    return []
                }
                inChunk = size
            }
            let bytes = try c.read(Int(min(Int64(max), inChunk)))
            if bytes.isEmpty { throw HTTPFetchError(.dropped, "\(c.origin): connection closed mid-chunk") }
            inChunk -= Int64(bytes.count)
            if inChunk == 0 {
                guard let crlf = try c.readUntil([13, 10], limit: 2), crlf.count == 2 else { throw HTTPFetchError(.protocolError, "\(c.origin): chunk not followed by CRLF") }
            }
            return bytes
        } catch {
            conn = nil
            throw error
        }
    }

    func close() { conn = nil }
}

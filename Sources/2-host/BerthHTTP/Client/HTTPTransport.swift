/// One request a client sends: method, absolute URL, headers (Host and framing are added by
/// the transport).
public struct ClientRequest: Sendable {
    public var method: String
    public var url: HTTPURL
    public var headers: [(name: String, value: String)]

    public init(method: String = "GET", url: HTTPURL, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public mutating func setHeader(_ name: String, _ value: String?) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { headers.append((name, value)) }
    }
}

/// A response whose body is read as it arrives.
public final class ClientResponse: @unchecked Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    /// The URL that answered (after redirects).
    public internal(set) var url: HTTPURL
    public let body: HTTPBodyStream

    public init(status: Int, headers: [(name: String, value: String)], url: HTTPURL, body: HTTPBodyStream) {
        self.status = status
        self.headers = headers
        self.url = url
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The whole body, refused beyond `limit` bytes.
    public func readAll(limit: Int) throws(HTTPFetchError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try body.read(1 << 16)
            if chunk.isEmpty { return out }
            out += chunk
            if out.count > limit {
                body.close()
                throw HTTPFetchError(.protocolError, "\(url): response body exceeds \(limit) bytes")
            }
        }
    }
}

/// A response body: `read` returns up to `max` bytes, an empty array at the end.
public protocol HTTPBodyStream: AnyObject {
    func read(_ max: Int) throws(HTTPFetchError) -> [UInt8]
    /// Give up on the rest (the connection is not reused).
    func close()
}

/// Why a request got no (complete) answer.
public struct HTTPFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Name resolution or connect failed (refused, unreachable).
        case connect
        /// Certificate or TLS handshake failure.
        case tls
        /// Connect or read timed out.
        case timeout
        /// The connection broke mid-response.
        case dropped
        /// The server answered something that is not HTTP/1.1, or too much.
        case protocolError
        /// Too many redirects, or a redirect to an unusable place.
        case redirect
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
    public var description: String { message }
}

/// Sends requests. The real one speaks HTTP/1.1 over TCP and TLS; tests use a double.
public protocol HTTPTransport: Sendable {
    func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse
}

/// An in-memory body (for doubles and small answers).
public final class BytesBody: HTTPBodyStream {
    var bytes: [UInt8]
    var position = 0
    /// Fail with `.dropped` after this many bytes (a connection that breaks mid-body).
    let dropAfter: Int?
    public init(_ bytes: [UInt8], dropAfter: Int? = nil) { self.bytes = bytes; self.dropAfter = dropAfter }
    public func read(_ max: Int) throws(HTTPFetchError) -> [UInt8] {
        let end = min(bytes.count, dropAfter ?? bytes.count, position + max)
        if end == position, let dropAfter, dropAfter < bytes.count { throw HTTPFetchError(.dropped, "connection dropped after \(dropAfter) bytes") }
        defer { position = end }
        return Array(bytes[position..<end])
    }
    public func close() { position = bytes.count }
}

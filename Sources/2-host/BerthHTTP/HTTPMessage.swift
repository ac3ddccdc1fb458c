import BerthSys

/// An HTTP/1.1 request as the server hands it to the API layer.
public struct HTTPRequest: Sendable {
    public var method: String
    public var target: String
    public var version: String
    /// Header names as sent; lookups are case-insensitive.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == lower })?.value
    }

    /// Every value of a header (a header may appear more than once).
    public func headerValues(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    public var wantsKeepAlive: Bool {
        let connection = header("Connection")?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }

    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }
    public var query: String {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Close the connection after sending (set for protocol errors).
    public var close = false

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], close: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.close = close
    }

    public func serialized(keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// `Thu, 01 Jan 1970 00:00:00 GMT`: the Date header (RFC 9110 5.6.7).
    public static func date(_ epoch: Double) -> String { UTC.httpDate(epoch) }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}

public struct HTTPLimits: Sendable {
    public var maxHeaderBytes = 32 * 1024
    public var maxHeaderCount = 100
    /// A longer request target is refused with 414.
    public var maxTargetBytes = 8 * 1024
    public var maxBodyBytes = 10 * 1024 * 1024
    /// A request must arrive completely within this many seconds of its first byte (slowloris).
    public var requestTimeout: Double = 10
    /// An idle keep-alive connection is closed after this many seconds.
    public var idleTimeout: Double = 60
    /// Beyond this many open connections a new one is answered 503 and closed.
    public var maxConnections = 256
    /// A response the client does not read within this many seconds closes the connection.
    public var sendTimeout: Double = 10
    /// Threads that run request handlers; the server's thread count does not grow with connections.
    public var maxWorkers = 32
    public init() {}
}

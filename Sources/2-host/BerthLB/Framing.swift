import Foundation

/// Where an HTTP body ends, fed incrementally with the bytes as they stream through (both directions).
struct BodyCounter {
    enum Mode: Equatable { case length(Int), chunked, untilClose }
    enum Chunk: Equatable { case size(Int, ext: Bool), data(Int), dataEnd, trailerStart, trailerLine }

    private(set) var mode: Mode
    private var chunk = Chunk.size(0, ext: false)
    private(set) var done: Bool
    private(set) var invalid = false

    init(_ mode: Mode) {
        self.mode = mode
        done = mode == .length(0)
    }

    /// How many of `buf[from...]` belong to this body; sets `done` when its end is among them.
    mutating func take(_ buf: [UInt8], from: Int) -> Int {
        guard !done, !invalid else { return 0 }
        let avail = buf.count - from
        switch mode {
        case .untilClose:
            return avail
        case .length(let remaining):
            let n = min(remaining, avail)
            mode = .length(remaining - n)
            if remaining - n == 0 { done = true }
            return n
        case .chunked:
            var i = from
            while i < buf.count, !done {
                switch chunk {
                case .data(let n):
                    let k = min(n, buf.count - i)
                    i += k
                    chunk = n - k == 0 ? .dataEnd : .data(n - k)
                    continue
                case .size(let value, let ext):
                    let b = buf[i]
                    if b == 0x0A {
                        chunk = value == 0 ? .trailerStart : .data(value)
                    } else if b == 0x0D || ext {
                    } else if let d = hex(b) {
                        guard value < 1 << 40 else { invalid = true; return i - from }
                        chunk = .size(value * 16 + d, ext: false)
                    } else if b == UInt8(ascii: ";") || b == 0x20 || b == 0x09 {
                        chunk = .size(value, ext: true)
                    } else {
                        invalid = true
                        return i - from
                    }
                case .dataEnd:
                    let b = buf[i]
                    if b == 0x0A { chunk = .size(0, ext: false) } else if b != 0x0D { invalid = true; return i - from }
                case .trailerStart:
                    let b = buf[i]
                    if b == 0x0A { done = true } else if b != 0x0D { chunk = .trailerLine }
                case .trailerLine:
                    if buf[i] == 0x0A { chunk = .trailerStart }
                }
                i += 1
            }
            return i - from
        }
    }

    private func hex(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }
}

/// A backend's response head: what the proxy needs to frame and forward it.
struct ResponseHead {
    var status: Int
    /// The head to send to the client: hop-by-hop Connection/Keep-Alive removed, `Connection: close` added when asked.
    var forward: [UInt8]
    var framing: BodyCounter.Mode
    /// The backend will close the connection after this response.
    var backendCloses: Bool
    var headEnd: Int

    static func headEnd(_ buf: [UInt8], from: Int) -> Int? {
        guard buf.count - from >= 4 else { return nil }
        var i = from + 3
        while i < buf.count {
            if buf[i] == 0x0A {
                if buf[i - 1] == 0x0A { return i + 1 }
                if buf[i - 1] == 0x0D, buf[i - 2] == 0x0A { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    /// Parses `buf[from..<end]`; nil for a malformed head. `requestMethod` HEAD or a 1xx/204/304 status has no body.
    static func parse(_ buf: [UInt8], from: Int, end: Int, requestMethod: String, closeClient: Bool) -> ResponseHead? {
        guard end - from >= 16, buf[from + 4] == UInt8(ascii: "/"), buf[from + 8] == 0x20 else { return nil }
        var status = 0
        for i in (from + 9)..<(from + 12) {
            guard buf[i] >= 0x30, buf[i] <= 0x39 else { return nil }
            status = status * 10 + Int(buf[i] - 0x30)
        }
        let http10 = buf[from + 7] == UInt8(ascii: "0")
        var forward: [UInt8] = []
        forward.reserveCapacity(end - from + 24)
        var length: Int?
        var chunked = false
        var connectionClose = http10
        var start = from
        var first = true
        var i = from
        while i < end {
            guard buf[i] == 0x0A else { i += 1; continue }
            var e = i
            if e > start, buf[e - 1] == 0x0D { e -= 1 }
            defer { start = i + 1; i += 1 }
            if e == start { continue }
            if first {
                first = false
                forward += buf[start..<e]
                forward += [0x0D, 0x0A]
                continue
            }
            guard let colon = buf[start..<e].firstIndex(of: UInt8(ascii: ":")) else { return nil }
            var vs = colon + 1
            while vs < e, buf[vs] == 0x20 || buf[vs] == 0x09 { vs += 1 }
            var ve = e
            while ve > vs, buf[ve - 1] == 0x20 || buf[ve - 1] == 0x09 { ve -= 1 }
            let name = buf[start..<colon], value = buf[vs..<ve]
            if Hop.equals(name, "connection") {
                if Hop.contains(value, "close") { connectionClose = true }
                if http10, Hop.contains(value, "keep-alive") { connectionClose = false }
                continue
            }
            if Hop.equals(name, "keep-alive") { continue }
            if Hop.equals(name, "content-length") {
                var n = 0
                guard !value.isEmpty, value.count < 19 else { return nil }
                for b in value {
                    guard b >= 0x30, b <= 0x39 else { return nil }
                    n = n * 10 + Int(b - 0x30)
                }
                guard length == nil || length == n else { return nil }
                length = n
            } else if Hop.equals(name, "transfer-encoding") {
                chunked = value.count >= 7 && Hop.equals(value.suffix(7), "chunked")
            }
            forward += buf[start..<e]
            forward += [0x0D, 0x0A]
        }
        let framing: BodyCounter.Mode
        if requestMethod == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
            framing = .length(0)
        } else if chunked {
            framing = .chunked
        } else if let length {
            framing = .length(length)
        } else {
            framing = .untilClose
            connectionClose = true
        }
        if closeClient || framing == .untilClose { forward += "Connection: close\r\n".utf8 }
        forward += [0x0D, 0x0A]
        return ResponseHead(status: status, forward: forward, framing: framing, backendCloses: connectionClose, headEnd: end)
    }
}

/// Hop-by-hop header handling on bytes (ASCII case-insensitive).
enum Hop {
    enum Kind { case keep, drop, forwardedFor }

    static func classify(_ name: String) -> Kind {
        let u = name.utf8
        switch u.count {
        case 10: if equals(u, "connection") || equals(u, "keep-alive") { return .drop }
        case 15: if equals(u, "x-forwarded-for") { return .forwardedFor }
        case 17: if equals(u, "x-forwarded-proto") { return .drop }
        case 16: if equals(u, "x-forwarded-port") { return .drop }
        default: break
        }
        return .keep
    }

    /// Whether the client keeps the connection open after this request (RFC 9112 9.3).
    static func keepAlive(version: String, connection: String?) -> Bool {
        guard let connection else { return version != "HTTP/1.0" }
        let value = ArraySlice(connection.utf8)
        if version == "HTTP/1.0" { return contains(value, "keep-alive") }
        return !contains(value, "close")
    }

    /// `bytes` equals the lower-case ASCII `lower`, ignoring case.
    static func equals<C: Collection>(_ bytes: C, _ lower: StaticString) -> Bool where C.Element == UInt8 {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        var p = lower.utf8Start
        for b in bytes {
            let l = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            if l != p.pointee { return false }
            p += 1
        }
        return true
    }

    /// `bytes` contains the lower-case ASCII `lower`, ignoring case.
    static func contains(_ bytes: ArraySlice<UInt8>, _ lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        var i = bytes.startIndex
        while i + n <= bytes.endIndex {
            if equals(bytes[i..<(i + n)], lower) { return true }
            i += 1
        }
        return false
    }
}

enum LocalResponse {
    /// An answer of the load balancer itself, in ALB's style.
    static func bytes(_ status: Int, close: Bool) -> [UInt8] {
        let reason: String
        switch status {
        case 400: reason = "Bad Request"
        case 408: reason = "Request Time-out"
        case 413: reason = "Request Entity Too Large"
        case 431: reason = "Request Header Fields Too Large"
        case 502: reason = "Bad Gateway"
        case 503: reason = "Service Temporarily Unavailable"
        case 504: reason = "Gateway Time-out"
        default: reason = "Error"
        }
        let body = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n</body>\r\n</html>\r\n"
        var head = "HTTP/1.1 \(status) \(reason)\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n"
        head += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        return Array((head + body).utf8)
    }
}

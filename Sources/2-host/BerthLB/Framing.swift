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
        var lines: [Range<Int>] = []
        var start = from
        for i in from..<end where buf[i] == 0x0A {
            var e = i
            if e > start, buf[e - 1] == 0x0D { e -= 1 }
            if e > start { lines.append(start..<e) }
            start = i + 1
        }
        guard let first = lines.first, first.count >= 12 else { return nil }
        let statusLine = buf[first]
        guard statusLine.starts(with: "HTTP/1.".utf8), let status = Int(String(decoding: statusLine[(first.lowerBound + 9)..<(first.lowerBound + 12)], as: UTF8.self)) else { return nil }
        let http10 = statusLine[first.lowerBound + 7] == UInt8(ascii: "0")
        var forward: [UInt8] = []
        forward.reserveCapacity(end - from + 24)
        forward.append(contentsOf: buf[first])
        forward.append(contentsOf: [0x0D, 0x0A])
        var length: Int?
        var chunked = false
        var connectionClose = http10
        for line in lines.dropFirst() {
            guard let colon = buf[line].firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: buf[line.lowerBound..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: buf[(colon + 1)..<line.upperBound], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
            switch name {
            case "connection":
                if value.contains("close") { connectionClose = true }
                if http10, value.contains("keep-alive") { connectionClose = false }
                continue
            case "keep-alive":
                continue
            case "content-length":
                guard let n = Int(value), n >= 0, length == nil || length == n else { return nil }
                length = n
            case "transfer-encoding":
                chunked = value.hasSuffix("chunked")
            default: break
            }
            forward.append(contentsOf: buf[line])
            forward.append(contentsOf: [0x0D, 0x0A])
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
        if closeClient || framing == .untilClose { forward.append(contentsOf: "Connection: close\r\n".utf8) }
        forward.append(contentsOf: [0x0D, 0x0A])
        return ResponseHead(status: status, forward: forward, framing: framing, backendCloses: connectionClose, headEnd: end)
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

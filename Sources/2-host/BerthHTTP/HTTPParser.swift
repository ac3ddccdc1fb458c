import Foundation

/// Incremental HTTP/1.1 request parsing (RFC 9112): call `parse` on the bytes received so far.
/// It never traps on bad input; every refusal is an `HTTPProtocolError` with a status, and a
/// header section that is complete (also when its lines end in bare LF) is always either a
/// request or a refusal, never a wait.
public struct HTTPProtocolError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }
}

public enum HTTPParseResult: Sendable {
    /// Need more bytes; `atLeast` is the total buffer size needed when known (Content-Length).
    case needMore(atLeast: Int?, headersComplete: Bool, expectsContinue: Bool)
    case complete(HTTPRequest, consumed: Int)
    case failed(HTTPProtocolError)
}

public enum HTTPParser {
    static let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, sp: UInt8 = 0x20, htab: UInt8 = 0x09
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    public static func parse(_ buf: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
        // Tolerate blank lines before a request line (RFC 9112 2.2); they count towards the header limit.
        var start = 0
        while start + 1 < buf.count, buf[start] == cr, buf[start + 1] == lf { start += 2 }
        guard let bodyStart = findBodyStart(buf, from: start) else {
            if buf.count > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
            return .needMore(atLeast: nil, headersComplete: false, expectsContinue: false)
        }
        if bodyStart > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
        var request: HTTPRequest
        switch parseHead(buf[start..<bodyStart], limits: limits) {
        case .failure(let e): return .failed(e)
        case .success(let r): request = r
        }
        let expects = request.header("Expect")?.lowercased() == "100-continue"
        switch bodyFraming(request, limits: limits) {
        case .failure(let e):
            return .failed(e)
        case .success(.chunked):
            switch parseChunked(buf, from: bodyStart, limits: limits) {
            case .failure(let e): return .failed(e)
            case .success(nil): return .needMore(atLeast: nil, headersComplete: true, expectsContinue: expects)
            case .success(let (body, end)?):
                request.body = body
                return .complete(request, consumed: end)
            }
        case .success(.length(let length)):
            if buf.count < bodyStart + length {
                return .needMore(atLeast: bodyStart + length, headersComplete: true, expectsContinue: expects)
            }
            request.body = Array(buf[bodyStart..<(bodyStart + length)])
            return .complete(request, consumed: bodyStart + length)
        }
    }

    /// Where the body starts: after the empty line that ends the header section. A bare LF counts
    /// as a line end here, so that such a request is refused instead of waited on.
    static func findBodyStart(_ buf: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < buf.count {
            if buf[i] == lf {
                if buf[i + 1] == lf { return i + 2 }
                if i + 2 < buf.count, buf[i + 1] == cr, buf[i + 2] == lf { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The index of the CRLF CRLF that ends a header section (strict: the client reads responses with it).
    static func findHeaderEnd(_ buf: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 3 < buf.count {
            if buf[i] == cr, buf[i + 1] == lf, buf[i + 2] == cr, buf[i + 3] == lf { return i }
            i += 1
        }
        return nil
    }

    /// The request line and header fields, `head` ending with the empty line.
    static func parseHead(_ head: ArraySlice<UInt8>, limits: HTTPLimits) -> Result<HTTPRequest, HTTPProtocolError> {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for i in head.indices where head[i] == lf {
            guard i > lineStart, head[i - 1] == cr else { return .failure(.init(400, "a line of the request header section ends in a bare LF, not CRLF")) }
            lines.append(head[lineStart..<(i - 1)])
            lineStart = i + 1
        }
        _ = lines.popLast()  // the empty line
        guard let first = lines.first else { return .failure(.init(400, "empty request line")) }
        if lines.contains(where: { $0.contains(cr) }) { return .failure(.init(400, "a bare CR in the request header section")) }
        let requestLine: (method: String, target: String, version: String)
        switch parseRequestLine(first, limits: limits) {
        case .failure(let e): return .failure(e)
        case .success(let r): requestLine = r
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            switch parseField(line) {
            case .failure(let e): return .failure(e)
            case .success(let field): headers.append(field)
            }
            if headers.count > limits.maxHeaderCount { return .failure(.init(431, "more than \(limits.maxHeaderCount) header fields")) }
        }
        let request = HTTPRequest(method: requestLine.method, target: requestLine.target, version: requestLine.version, headers: headers, body: [])
        if request.headerValues("Host").count > 1 { return .failure(.init(400, "more than one Host header")) }
        return .success(request)
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 3).
    static func parseRequestLine(_ line: ArraySlice<UInt8>, limits: HTTPLimits) -> Result<(method: String, target: String, version: String), HTTPProtocolError> {
        let parts = line.split(separator: sp, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(.init(400, "malformed request line: expected METHOD SP TARGET SP HTTP-VERSION"))
        }
        guard parts[0].allSatisfy(isTokenByte) else { return .failure(.init(400, "malformed method: not a token")) }
        if parts[1].count > limits.maxTargetBytes {
            return .failure(.init(414, "request target of \(parts[1].count) bytes exceeds \(limits.maxTargetBytes) bytes"))
        }
        guard parts[1].allSatisfy({ $0 > sp && $0 < 0x7F }) else {
            return .failure(.init(400, "malformed request target: only visible ASCII is allowed"))
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/"), version.count > 5, version.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
            return .failure(.init(400, "malformed HTTP version \(version.prefix(20).debugDescription)"))
        }
        let digits = Array(version.utf8.dropFirst(5))
        guard digits.count == 3, digits[0] == UInt8(ascii: "1"), digits[1] == UInt8(ascii: "."), digits[2] >= 0x30, digits[2] <= 0x39 else {
            return .failure(.init(505, "unsupported protocol version \(version.prefix(20)); this server speaks HTTP/1.1"))
        }
        guard methods.contains(method) else { return .failure(.init(501, "method \(method.prefix(20)) is not implemented")) }
        return .success((method, target, version))
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 5, RFC 9110 5.5).
    static func parseField(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), HTTPProtocolError> {
        if let first = line.first, first == sp || first == htab {
            return .failure(.init(400, "obsolete line folding in a header field"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.init(400, "header line without ':'")) }
        let nameBytes = line[line.startIndex..<colon]
        guard !nameBytes.isEmpty else { return .failure(.init(400, "empty header name")) }
        if let last = nameBytes.last, last == sp || last == htab {
            return .failure(.init(400, "whitespace between a header name and its colon"))
        }
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard nameBytes.allSatisfy(isTokenByte) else { return .failure(.init(400, "invalid header name \(name.prefix(40).debugDescription)")) }
        var valueBytes = line[(colon + 1)...]
        while let f = valueBytes.first, f == sp || f == htab { valueBytes = valueBytes.dropFirst() }
        while let l = valueBytes.last, l == sp || l == htab { valueBytes = valueBytes.dropLast() }
        guard valueBytes.allSatisfy({ $0 == htab || ($0 >= sp && $0 != 0x7F) }) else {
            return .failure(.init(400, "control character in the value of header \(name.prefix(40))"))
        }
        guard let value = String(validating: valueBytes, as: UTF8.self) else {
            return .failure(.init(400, "the value of header \(name.prefix(40)) is not valid UTF-8"))
        }
        return .success((name, value))
    }

    /// tchar (RFC 9110 5.6.2).
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    enum Framing { case length(Int), chunked }

    /// How the body is delimited (RFC 9112 6.1-6.3).
    static func bodyFraming(_ request: HTTPRequest, limits: HTTPLimits) -> Result<Framing, HTTPProtocolError> {
        let encodings = request.headerValues("Transfer-Encoding")
        let lengths = request.headerValues("Content-Length")
        if !encodings.isEmpty {
            if request.version == "HTTP/1.0" { return .failure(.init(400, "Transfer-Encoding in an HTTP/1.0 request")) }
            if !lengths.isEmpty { return .failure(.init(400, "both Transfer-Encoding and Content-Length")) }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .init(charactersIn: " \t")).lowercased() }.filter { !$0.isEmpty }
            if let unknown = codings.first(where: { $0 != "chunked" }) {
                return .failure(.init(501, "unsupported transfer coding \(unknown.prefix(40).debugDescription)"))
            }
            guard codings.count == 1 else { return .failure(.init(400, codings.isEmpty ? "empty Transfer-Encoding" : "chunked applied more than once")) }
            return .success(.chunked)
        }
        guard !lengths.isEmpty else { return .success(.length(0)) }
        let values = Set(lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingCharacters(in: .init(charactersIn: " \t")) })
        guard values.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else {
            return .failure(.init(400, "invalid Content-Length: not a decimal number"))
        }
        guard values.count == 1, let text = values.first else { return .failure(.init(400, "conflicting Content-Length values")) }
        let digits = text.drop(while: { $0 == "0" })
        guard digits.count <= 18, let length = Int(digits.isEmpty ? "0" : digits), length <= limits.maxBodyBytes else {
            return .failure(.init(413, "request body of \(text.prefix(24)) bytes exceeds the limit of \(limits.maxBodyBytes) bytes"))
        }
        return .success(.length(length))
    }

    /// Chunked body: nil while incomplete, else the body and the index after the trailer.
    static func parseChunked(_ buf: [UInt8], from: Int, limits: HTTPLimits) -> Result<([UInt8], Int)?, HTTPProtocolError> {
        var pos = from
        var body: [UInt8] = []
        while true {
            let lineEnd: Int
            switch findLineEnd(buf, from: pos, limit: 1024, what: "chunk size line") {
            case .failure(let e): return .failure(e)
            case .success(nil): return .success(nil)
            case .success(let end?): lineEnd = end
            }
            let size: Int
            switch chunkSize(buf[pos..<lineEnd]) {
            case .failure(let e): return .failure(e)
            case .success(let s): size = s
            }
            if size > limits.maxBodyBytes || body.count + size > limits.maxBodyBytes {
                return .failure(.init(413, "request body exceeds the limit of \(limits.maxBodyBytes) bytes"))
            }
            pos = lineEnd + 2
            if size == 0 { return trailer(buf, from: pos, limits: limits).map { $0.map { (body, $0) } } }
            guard buf.count >= pos + size + 2 else { return .success(nil) }
            body.append(contentsOf: buf[pos..<(pos + size)])
            guard buf[pos + size] == cr, buf[pos + size + 1] == lf else { return .failure(.init(400, "chunk not followed by CRLF")) }
            pos += size + 2
        }
    }

    /// `1*HEXDIG [ BWS ";" chunk-ext ]`.
    static func chunkSize(_ line: ArraySlice<UInt8>) -> Result<Int, HTTPProtocolError> {
        let hex = line.prefix(while: { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
        var rest = line[hex.endIndex...]
        while let f = rest.first, f == sp || f == htab { rest = rest.dropFirst() }
        guard !hex.isEmpty, rest.isEmpty || rest.first == UInt8(ascii: ";"), rest.allSatisfy({ $0 == htab || ($0 >= sp && $0 != 0x7F) }) else {
            return .failure(.init(400, "invalid chunk size line"))
        }
        let digits = hex.drop(while: { $0 == 0x30 })
        guard digits.count <= 15, let size = Int(String(decoding: digits.isEmpty ? hex.suffix(1) : digits, as: UTF8.self), radix: 16) else {
            return .failure(.init(413, "chunk size exceeds the body limit"))
        }
        return .success(size)
    }

    /// Trailer fields after the last chunk, until an empty line: the index after it, or nil while incomplete.
    static func trailer(_ buf: [UInt8], from: Int, limits: HTTPLimits) -> Result<Int?, HTTPProtocolError> {
        var pos = from
        while true {
            switch findLineEnd(buf, from: pos, limit: limits.maxHeaderBytes, what: "trailer field") {
            case .failure(let e): return .failure(e)
            case .success(nil): return .success(nil)
            case .success(let end?):
                if end == pos { return .success(end + 2) }
                if end - from > limits.maxHeaderBytes { return .failure(.init(431, "trailer section exceeds \(limits.maxHeaderBytes) bytes")) }
                pos = end + 2
            }
        }
    }

    /// The index of the CRLF ending the line at `from`; nil while not yet received. A bare LF or
    /// a line longer than `limit` is refused.
    static func findLineEnd(_ buf: [UInt8], from: Int, limit: Int, what: String) -> Result<Int?, HTTPProtocolError> {
        var i = from
        while i < buf.count {
            if buf[i] == lf {
                guard i > from, buf[i - 1] == cr else { return .failure(.init(400, "\(what) ends in a bare LF, not CRLF")) }
                return .success(i - 1)
            }
            if i - from > limit { return .failure(.init(400, "\(what) longer than \(limit) bytes")) }
            i += 1
        }
        return .success(nil)
    }
}

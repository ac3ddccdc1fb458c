import Foundation

/// Incremental HTTP/1.1 request parsing: call `parse` on the bytes received so far.
/// It never traps on bad input; every refusal is an `HTTPProtocolError` with a status.
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
    public static func parse(_ buf: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
        // Tolerate blank lines before a request line (RFC 9112 2.2).
        var start = 0
        while start + 1 < buf.count, buf[start] == 0x0D, buf[start + 1] == 0x0A { start += 2 }
        guard let headEnd = findHeaderEnd(buf, from: start) else {
            if buf.count - start > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
            return .needMore(atLeast: nil, headersComplete: false, expectsContinue: false)
        }
        if headEnd - start > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
        guard let head = String(validating: buf[start..<headEnd], as: UTF8.self) else {
            return .failed(.init(400, "request header section is not valid UTF-8"))
        }
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else {
            return .failed(.init(400, "malformed request line"))
        }
        let method = String(requestLine[0]), target = String(requestLine[1]), version = String(requestLine[2])
        guard method.allSatisfy({ $0.isLetter && $0.isUppercase }) else { return .failed(.init(400, "malformed method")) }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failed(.init(505, "unsupported protocol version \(version.prefix(20))"))
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return .failed(.init(400, "header line without ':'")) }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_!#$%&'*+.^`|~".contains($0)) }) else {
                return .failed(.init(400, "invalid header name"))
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .init(charactersIn: " \t"))
            headers.append((name, value))
            if headers.count > limits.maxHeaderCount { return .failed(.init(431, "more than \(limits.maxHeaderCount) header fields")) }
        }
        var request = HTTPRequest(method: method, target: target, version: version, headers: headers, body: [])
        let bodyStart = headEnd + 4
        let expects = request.header("Expect")?.lowercased() == "100-continue"
        let transferEncoding = request.headerValues("Transfer-Encoding").joined(separator: ",").lowercased()
        let lengths = request.headerValues("Content-Length")
        if !transferEncoding.isEmpty {
            if !lengths.isEmpty { return .failed(.init(400, "both Transfer-Encoding and Content-Length")) }
            guard transferEncoding.split(separator: ",").last?.trimmingCharacters(in: .whitespaces) == "chunked" else {
                return .failed(.init(501, "unsupported Transfer-Encoding"))
            }
            switch parseChunked(buf, from: bodyStart, limits: limits) {
            case .failure(let e): return .failed(e)
            case .success(nil): return .needMore(atLeast: nil, headersComplete: true, expectsContinue: expects)
            case .success(let (body, end)?):
                request.body = body
                return .complete(request, consumed: end)
            }
        }
        var length = 0
        if !lengths.isEmpty {
            let distinct = Set(lengths.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
            guard distinct.count == 1, let text = distinct.first, !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
                  text.count <= 12, let n = Int(text) else {
                return .failed(.init(400, "invalid Content-Length"))
            }
            length = n
        }
        if length > limits.maxBodyBytes {
            return .failed(.init(413, "request body of \(length) bytes exceeds the limit of \(limits.maxBodyBytes) bytes"))
        }
        if buf.count < bodyStart + length {
            return .needMore(atLeast: bodyStart + length, headersComplete: true, expectsContinue: expects)
        }
        request.body = Array(buf[bodyStart..<(bodyStart + length)])
        return .complete(request, consumed: bodyStart + length)
    }

    static func findHeaderEnd(_ buf: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 3 < buf.count {
            if buf[i] == 0x0D, buf[i + 1] == 0x0A, buf[i + 2] == 0x0D, buf[i + 3] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// Chunked body: nil while incomplete, else the body and the index after the trailer.
    static func parseChunked(_ buf: [UInt8], from: Int, limits: HTTPLimits) -> Result<([UInt8], Int)?, HTTPProtocolError> {
        var pos = from
        var body: [UInt8] = []
        while true {
            guard let lineEnd = findCRLF(buf, from: pos) else {
                if buf.count - pos > 1024 { return .failure(.init(400, "chunk size line too long")) }
                return .success(nil)
            }
            var sizeText = String(decoding: buf[pos..<lineEnd], as: UTF8.self)
            if let semi = sizeText.firstIndex(of: ";") { sizeText = String(sizeText[..<semi]) }
            sizeText = sizeText.trimmingCharacters(in: .whitespaces)
            guard !sizeText.isEmpty, sizeText.count <= 8, let size = Int(sizeText, radix: 16), size >= 0 else {
                return .failure(.init(400, "invalid chunk size"))
            }
            if body.count + size > limits.maxBodyBytes {
                return .failure(.init(413, "request body exceeds the limit of \(limits.maxBodyBytes) bytes"))
            }
            pos = lineEnd + 2
            if size == 0 {
                // Trailer fields until an empty line.
                while true {
                    guard let end = findCRLF(buf, from: pos) else { return .success(nil) }
                    if end == pos { return .success((body, end + 2)) }
                    if end - from > limits.maxBodyBytes + limits.maxHeaderBytes { return .failure(.init(431, "trailer too large")) }
                    pos = end + 2
                }
            }
            guard buf.count >= pos + size + 2 else { return .success(nil) }
            body.append(contentsOf: buf[pos..<(pos + size)])
            guard buf[pos + size] == 0x0D, buf[pos + size + 1] == 0x0A else { return .failure(.init(400, "chunk not followed by CRLF")) }
            pos += size + 2
        }
    }

    static func findCRLF(_ buf: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < buf.count {
            if buf[i] == 0x0D, buf[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }
}

/// The request head alone, for callers that stream the body themselves (the load balancer):
/// the same checks as `HTTPParser.parse`, without collecting the body.
public enum HTTPBodyFraming: Sendable, Equatable {
    case length(Int)
    case chunked
}

public enum HTTPHeadParseResult: Sendable {
    case needMore
    /// The head, where the body starts in the buffer, and how the body is delimited.
    case head(HTTPRequest, bodyStart: Int, framing: HTTPBodyFraming)
    case failed(HTTPProtocolError)
}

extension HTTPParser {
    public static func parseHead(_ buf: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HTTPHeadParseResult {
        var start = 0
        while start + 1 < buf.count, buf[start] == cr, buf[start + 1] == lf { start += 2 }
        guard let bodyStart = findBodyStart(buf, from: start) else {
            if buf.count > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
            return .needMore
        }
        if bodyStart > limits.maxHeaderBytes { return .failed(.init(431, "request header section exceeds \(limits.maxHeaderBytes) bytes")) }
        let request: HTTPRequest
        switch parseHead(buf[start..<bodyStart], limits: limits) {
        case .failure(let e): return .failed(e)
        case .success(let r): request = r
        }
        switch bodyFraming(request, limits: limits) {
        case .failure(let e): return .failed(e)
        case .success(.chunked): return .head(request, bodyStart: bodyStart, framing: .chunked)
        case .success(.length(let n)): return .head(request, bodyStart: bodyStart, framing: .length(n))
        }
    }
}

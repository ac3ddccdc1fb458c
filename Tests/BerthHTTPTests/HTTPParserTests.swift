import Testing
@testable import BerthHTTP

@Suite struct HTTPParserTests {
    func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
        HTTPParser.parse(Array(text.utf8), limits: limits)
    }

    func request(_ r: HTTPParseResult) -> (HTTPRequest, Int)? {
        if case .complete(let req, let n) = r { return (req, n) }
        return nil
    }

    func failure(_ r: HTTPParseResult) -> Int? {
        if case .failed(let e) = r { return e.status }
        return nil
    }

    @Test func contentLengthBody() throws {
        let text = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: A.B\r\nContent-Length: 2\r\n\r\n{}"
        let (req, n) = try #require(request(parse(text)))
        #expect(req.method == "POST" && req.path == "/" && req.body == Array("{}".utf8) && n == text.utf8.count)
        #expect(req.header("x-amz-target") == "A.B")
        #expect(req.wantsKeepAlive)
    }

    @Test func incompleteThenPipelined() throws {
        if case .needMore(let atLeast, let complete, _) = parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}") {
            #expect(atLeast == 39 + 10 && complete)
        } else { Issue.record("expected needMore") }
        if case .needMore(_, let complete, _) = parse("POST / HTTP/1.1\r\nHost") { #expect(!complete) } else { Issue.record("expected needMore") }
        let two = "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n"
        let (first, n) = try #require(request(parse(two)))
        #expect(first.path == "/")
        let (second, _) = try #require(request(HTTPParser.parse(Array(two.utf8.dropFirst(n)))))
        #expect(second.path == "/b" && !second.wantsKeepAlive)
    }

    @Test func chunkedBody() throws {
        let text = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nTrailer: x\r\n\r\n"
        let (req, n) = try #require(request(parse(text)))
        #expect(String(decoding: req.body, as: UTF8.self) == "{\"a\":1}" && n == text.utf8.count)
        if case .needMore = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a") {} else { Issue.record("expected needMore") }
        #expect(failure(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")) == 400)
        #expect(failure(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n")) == 400)
        #expect(failure(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")) == 501)
    }

    @Test func limitsAndMalformedInput() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 100
        #expect(failure(parse("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", limits: limits)) == 413)
        #expect(failure(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", limits: limits)) == 413)
        limits.maxHeaderBytes = 64
        #expect(failure(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100), limits: limits)) == 431)
        #expect(failure(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")) == 400)
        #expect(failure(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")) == 400)
        #expect(failure(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n")) == 413)
        #expect(failure(parse("POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n")) == 400)
        #expect(failure(parse("GARBAGE\r\n\r\n")) == 400)
        #expect(failure(parse("GET / HTTP/2.0\r\n\r\n")) == 505)
        #expect(failure(parse("GET / HTTP/1.1\r\nno colon\r\n\r\n")) == 400)
        #expect(failure(parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")) == 400)
        #expect(failure(HTTPParser.parse([0x47, 0x45, 0x54, 0x20, 0xff, 0x20] + Array(" HTTP/1.1\r\n\r\n".utf8))) == 400)
        var many = "GET / HTTP/1.1\r\n"
        for i in 0..<101 { many += "X-\(i): y\r\n" }
        #expect(failure(parse(many + "\r\n")) == 431)
    }

    /// Each header section here is complete, so each gets a status, never a wait (issue 10 item 5).
    static let malformed: [(bytes: [UInt8], status: Int)] = {
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        return [
            (b("GET") + [0xF3] + b("\r\n\r\n"), 400), (b("GET") + [0xF3] + b("\n\n"), 400), (b("\n\n"), 400),
            (b("GET / HTTP/1.1\n\n"), 400), (b("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400), (b("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400),
            (b("GET / HTTP/1.1\r\nA: b\0\r\n\r\n"), 400), (b("GET /\0 HTTP/1.1\r\n\r\n"), 400), (b("GET / HTTP/1.1\r\nA\0: b\r\n\r\n"), 400),
            (b("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400), (b("GET / HTTP/1.1\r\nA : b\r\n\r\n"), 400),
            (b("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), 400), (b("GET / HTTP/1.1\r\n: b\r\n\r\n"), 400),
            (b("GET / HTTP/1.1\r\nX: ") + [0xFF] + b("\r\n\r\n"), 400), (b("GET / HTTP/1.1\r\nA: \u{7F}\r\n\r\n"), 400),
            (b("G@T / HTTP/1.1\r\n\r\n"), 400), (b("BREW / HTTP/1.1\r\n\r\n"), 501), (b("GET  / HTTP/1.1\r\n\r\n"), 400),
            (b("GET / HTTP/1.1 \r\n\r\n"), 400), (b("GET / http/1.1\r\n\r\n"), 400), (b("GET / HTTP/1.1x\r\n\r\n"), 400),
            (b("GET / HTTP/11.1\r\n\r\n"), 505), (b("GET / HTTP/2\r\n\r\n"), 505), (b("GET") + [0xF3] + b(" HTTP/1.1\r\n\r\n"), 400),
            (b("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n"), 414),
            (b("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"), 400), (b("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400), (b("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 413),
            (b("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 501),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n"), 400),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\n"), 400),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\n"), 400),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n"), 413),
            (b("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n"), 400),
            (b(String(repeating: "\r\n", count: 20000)), 431),
        ]
    }()

    @Test func malformedHeaderSectionsGetAStatus() {
        for (bytes, status) in Self.malformed {
            #expect(failure(HTTPParser.parse(bytes)) == status, "\(String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription)")
        }
    }

    @Test func strictButNotPedantic() throws {
        #expect(request(parse("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n{}")) != nil)
        #expect(request(parse("POST / HTTP/1.1\r\nContent-Length: 002\r\n\r\n{}"))?.0.body == Array("{}".utf8))
        #expect(request(parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n2 ;a=b\r\n{}\r\n0\r\n\r\n"))?.0.body == Array("{}".utf8))
        let (req, _) = try #require(request(parse("GET /a?b=%20 HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\t\r\nX-Utf8: caf\u{e9}\r\n\r\n")))
        #expect(req.header("x-empty") == "" && req.header("x-tab") == "v" && req.header("x-utf8") == "caf\u{e9}" && req.query == "b=%20")
    }

    /// Random bytes followed by an empty line: always a request or a refusal, never a wait for more header.
    @Test func randomHeaderSectionsNeverWait() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<200, using: &rng)
            var bytes = [0x58] + (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }  // not a leading blank line
            if Bool.random(using: &rng) { bytes = Array("GET / HTTP/1.1\r\n".utf8) + bytes }
            bytes += Array("\r\n\r\n".utf8)
            if case .needMore(_, false, _) = HTTPParser.parse(bytes) {
                Issue.record("waited on a complete header section: \(bytes)")
            }
        }
    }

    @Test func http10DefaultsToClose() throws {
        let (req, _) = try #require(request(parse("GET / HTTP/1.0\r\n\r\n")))
        #expect(!req.wantsKeepAlive)
        let (ka, _) = try #require(request(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")))
        #expect(ka.wantsKeepAlive)
    }

    @Test func leadingBlankLinesAndExpect() throws {
        let (req, _) = try #require(request(parse("\r\n\r\nGET /x HTTP/1.1\r\n\r\n")))
        #expect(req.path == "/x")
        if case .needMore(_, true, true) = parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n") {} else {
            Issue.record("expected needMore with expectsContinue")
        }
    }
}

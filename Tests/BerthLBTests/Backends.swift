import BerthHTTP
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 backend for the tests (a thread per connection, blocking; loopback only).
/// Paths: `/` answers its name, `/slow?ms=N` after N ms, `/echo` the request body, `/headers`
/// the request head, `/chunked` a chunked answer, `/reset` closes without an answer, `/health`
/// the status in `healthStatus`.
final class TestBackend: @unchecked Sendable {
    let name: String
    let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var _connections = 0
    private var _requests = 0
    private var _healthStatus = 200
    private var _lastHead = ""
    private var open: [Int32] = []
    private var stopped = false

    var connections: Int { lock.withLock { _connections } }
    /// Connections not yet closed by either side.
    var openConnections: Int { lock.withLock { open.count } }
    var requests: Int { lock.withLock { _requests } }
    var lastHead: String { lock.withLock { _lastHead } }
    var healthStatus: Int {
        get { lock.withLock { _healthStatus } }
        set { lock.withLock { _healthStatus = newValue } }
    }
    var target: (host: String, port: Int) { ("127.0.0.1", port) }

    init(_ name: String) throws {
        self.name = name
        let (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        self.fd = fd
        self.port = Int(port)
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        lock.withLock {
            stopped = true
            for c in open { shutdown(c, Int32(SHUT_RDWR)) }
        }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { if errno == EINTR { continue }; return }
            let ok = lock.withLock { () -> Bool in
                if stopped { return false }
                _connections += 1
                open.append(c)
                return true
            }
            if !ok { close(c); return }
            Thread { [self] in serve(c) }.start()
        }
    }

    private func serve(_ c: Int32) {
        defer {
            lock.withLock { open.removeAll { $0 == c } }
            close(c)
        }
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            switch HTTPParser.parse(buf) {
            case .failed: return
            case .complete(let request, let consumed):
                buf.removeFirst(consumed)
                lock.withLock {
                    _requests += 1
                    _lastHead = "\(request.method) \(request.target) \(request.version)\n" + request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
                }
                guard answer(c, request) else { return }
                if !request.wantsKeepAlive { return }
                continue
            case .needMore: break
            }
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buf += chunk[0..<n]
        }
    }

    private func send(_ c: Int32, _ s: String) -> Bool { Socket.sendAll(c, Array(s.utf8)) }

    private func answer(_ c: Int32, _ r: HTTPRequest) -> Bool {
        func reply(_ status: Int, _ body: [UInt8]) -> Bool {
            Socket.sendAll(c, Array("HTTP/1.1 \(status) X\r\nContent-Length: \(body.count)\r\nX-Backend: \(name)\r\n\r\n".utf8) + body)
        }
        switch r.path {
        case "/slow":
            let ms = Int(r.query.split(separator: "=").last ?? "100") ?? 100
            usleep(UInt32(ms * 1000))
            return reply(200, Array("\(name) slow".utf8))
        case "/echo": return reply(200, r.body)
        case "/headers": return reply(200, Array(lastHead.utf8))
        case "/health": return reply(healthStatus, Array("health".utf8))
        case "/reset": return false
        case "/chunked":
            return send(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
        default: return reply(200, Array(name.utf8))
        }
    }
}

/// A TCP backend that reads until the client's half-close, then answers "<name>:" + the bytes upper-cased and closes.
final class ShoutBackend: @unchecked Sendable {
    let fd: Int32
    let port: Int
    init(_ name: String) throws {
        let (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        self.fd = fd
        self.port = Int(port)
        Thread {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                Thread {
                    var all: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    while true {
                        let n = recv(c, &chunk, chunk.count, 0)
                        if n <= 0 { break }
                        all += chunk[0..<n]
                    }
                    _ = Socket.sendAll(c, Array("\(name):".utf8) + Array(String(decoding: all, as: UTF8.self).uppercased().utf8))
                    close(c)
                }.start()
            }
        }.start()
    }
    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

/// A blocking test client speaking raw HTTP/1.1 on one connection.
final class RawClient {
    let fd: Int32
    var buf: [UInt8] = []

    init(port: Int) throws {
        fd = try Socket.connectTCP(host: "127.0.0.1", port: UInt16(port))
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }

    func send(_ s: String) { _ = Socket.sendAll(fd, Array(s.utf8)) }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n <= 0 { return false }
        buf += chunk[0..<n]
        return true
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// One response: nil when the connection closed first.
    func response(head: Bool = false) -> Response? {
        var end: Int?
        while end == nil {
            if let r = findHeadEnd() { end = r; break }
            if !fill() { return nil }
        }
        let text = String(decoding: buf[0..<end!], as: UTF8.self)
        buf.removeFirst(end!)
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for l in lines {
            let parts = l.split(separator: ":", maxSplits: 1)
            headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        var body: [UInt8] = []
        if head {
        } else if headers["transfer-encoding"] == "chunked" {
            while true {
                var lineEnd = findCRLF()
                while lineEnd == nil { if !fill() { return nil }; lineEnd = findCRLF() }
                let size = Int(String(decoding: buf[0..<lineEnd!], as: UTF8.self), radix: 16) ?? 0
                buf.removeFirst(lineEnd! + 2)
                while buf.count < size + 2 { if !fill() { return nil } }
                body += buf[0..<size]
                buf.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else if let len = headers["content-length"].flatMap({ Int($0) }) {
            while buf.count < len { if !fill() { return nil } }
            body = Array(buf[0..<len])
            buf.removeFirst(len)
        } else {
            while fill() {}
            body = buf
            buf = []
        }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// True when the server closed the connection (reads EOF).
    func closedByPeer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16)
        return recv(fd, &chunk, 16, 0) <= 0
    }

    private func findHeadEnd() -> Int? {
        guard buf.count >= 4 else { return nil }
        for i in 3..<buf.count where buf[i] == 10 && buf[i - 1] == 13 && buf[i - 2] == 10 && buf[i - 3] == 13 { return i + 1 }
        return nil
    }

    private func findCRLF() -> Int? {
        guard buf.count >= 2 else { return nil }
        for i in 1..<buf.count where buf[i] == 10 && buf[i - 1] == 13 { return i - 1 }
        return nil
    }
}

/// GET `path` on a fresh connection.
func get(_ port: Int, _ path: String, host: String = "lb.test") throws -> RawClient.Response? {
    let c = try RawClient(port: port)
    c.send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
    return c.response()
}

/// Poll until `condition` holds or `seconds` pass.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let end = monotonicNow() + seconds
    while monotonicNow() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a connection: the unix socket is trusted (file mode 0600),
/// TCP requests must carry a SigV4 signature.
public struct ConnectionInfo: Sendable {
    public var trusted: Bool
    public var listener: String
}

public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse
    /// A response for a request the HTTP layer refused (too large, malformed...).
    func protocolError(_ error: HTTPProtocolError) -> HTTPResponse
}

/// A small HTTP/1.1 server: one accept thread per listener, one thread per connection
/// (bounded by `limits.maxConnections`). Keep-alive, pipelining, Content-Length and chunked
/// bodies, Expect: 100-continue, per-request deadline against slow clients.
public final class HTTPServer: @unchecked Sendable {
    public let limits: HTTPLimits
    private let handler: any HTTPHandler
    private let lock = NSLock()
    private var active = 0
    private var listeners: [(fd: Int32, address: ListenAddress)] = []
    private var stopping = false

    public init(handler: any HTTPHandler, limits: HTTPLimits = HTTPLimits()) {
        self.handler = handler
        self.limits = limits
    }

    /// Binds and starts serving; returns the bound address (port 0 becomes the real port).
    @discardableResult
    public func listen(_ address: ListenAddress) throws(SysError) -> ListenAddress {
        let (fd, bound) = try Socket.listen(address)
        lock.withLock { listeners.append((fd, bound)) }
        let trusted: Bool
        if case .unix = bound { trusted = true } else { trusted = false }
        let info = ConnectionInfo(trusted: trusted, listener: bound.description)
        let thread = Thread { [self] in acceptLoop(fd, info) }
        thread.name = "berth-accept"
        thread.start()
        return bound
    }

    public func stop() {
        lock.withLock {
            stopping = true
            for l in listeners {
                shutdown(l.fd, Int32(SHUT_RDWR))
                if case .unix(let path) = l.address { unlink(path) }
            }
        }
    }

    private func acceptLoop(_ listenFD: Int32, _ info: ConnectionInfo) {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let e = berth_errno()
                if lock.withLock({ stopping }) { close(listenFD); return }
                if e == EINTR || e == ECONNABORTED { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM { usleep(50_000); continue }
                close(listenFD)
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let admitted = lock.withLock { () -> Bool in
                if active >= limits.maxConnections { return false }
                active += 1
                return true
            }
            guard admitted else {
                let body = handler.protocolError(.init(503, "too many connections")).serialized(keepAlive: false)
                _ = Socket.sendAll(fd, body)
                close(fd)
                continue
            }
            let thread = Thread { [self] in
                serve(fd, info)
                close(fd)
                lock.withLock { active -= 1 }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// After refusing a request whose body may still be arriving: stop sending, then read and
    /// discard for a moment so the client sees the answer instead of a reset.
    func lingeringClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicNow() + 1
        var scratch = [UInt8](repeating: 0, count: 65536)
        var discarded = 0
        while discarded < 16 << 20, Socket.waitReadable(fd, until: deadline) {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return }
            discarded += n
        }
    }

    /// Serves one connection until it closes, errs or idles out.
    func serve(_ fd: Int32, _ info: ConnectionInfo) {
        Socket.setSendTimeout(fd, seconds: 10)
        var buffer: [UInt8] = []
        var requestStarted: Double? = nil
        var idleSince = monotonicNow()
        var sentContinue = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if !buffer.isEmpty {
                switch HTTPParser.parse(buffer, limits: limits) {
                case .failed(let error):
                    if Socket.sendAll(fd, handler.protocolError(error).serialized(keepAlive: false)) { lingeringClose(fd) }
                    return
                case .complete(let request, let consumed):
                    buffer.removeFirst(consumed)
                    var response = handler.handle(request, connection: info)
                    let keepAlive = request.wantsKeepAlive && !response.close
                    response.close = !keepAlive
                    guard Socket.sendAll(fd, response.serialized(keepAlive: keepAlive)), keepAlive else { return }
                    requestStarted = buffer.isEmpty ? nil : monotonicNow()
                    idleSince = monotonicNow()
                    sentContinue = false
                    continue
                case .needMore(let atLeast, let headersComplete, let expectsContinue):
                    if requestStarted == nil { requestStarted = monotonicNow() }
                    if headersComplete && expectsContinue && !sentContinue {
                        sentContinue = true
                        guard Socket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
                    }
                    if let atLeast, buffer.count < atLeast {
                        buffer.reserveCapacity(atLeast)
                    }
                }
            }
            let deadline = requestStarted.map { $0 + limits.requestTimeout } ?? (idleSince + limits.idleTimeout)
            guard Socket.waitReadable(fd, until: deadline) else {
                if requestStarted != nil {
                    _ = Socket.sendAll(fd, handler.protocolError(.init(408, "request not received completely within \(Int(limits.requestTimeout)) seconds")).serialized(keepAlive: false))
                }
                return
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if berth_errno() == EINTR || berth_errno() == EAGAIN { continue }
                return
            }
            if n == 0 { return }  // peer closed (or half-closed with nothing complete left)
            if requestStarted == nil { requestStarted = monotonicNow() }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}

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
    public init(trusted: Bool, listener: String) {
        self.trusted = trusted
        self.listener = listener
    }
}

public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse
    /// A response for a request the HTTP layer refused (too large, malformed...).
    func protocolError(_ error: HTTPProtocolError) -> HTTPResponse
}

/// A small HTTP/1.1 server: one thread runs an epoll loop that owns every socket (non-blocking
/// accept, read, parse, write, deadlines), and a bounded `WorkerPool` runs the handlers, so the
/// thread count does not depend on the number of connections. Keep-alive, pipelining,
/// Content-Length and chunked bodies, Expect: 100-continue, per-request deadline (408), idle
/// timeout, connection cap (503), lingering close after an answer that ends the connection.
public final class HTTPServer: @unchecked Sendable {
    public let limits: HTTPLimits
    private let handler: any HTTPHandler
    private let poller: Poller
    private let workers: WorkerPool
    private let lock = NSLock()
    // Shared with other threads, under `lock`.
    private var newListeners: [(fd: Int32, info: ConnectionInfo)] = []
    private var listenerAddresses: [(fd: Int32, address: ListenAddress)] = []
    private var finished: [(Connection, [UInt8], keepAlive: Bool)] = []
    private var closedListeners: [Int32] = []
    private var stopping = false
    private var loopRunning = false
    private let loopDone = DispatchSemaphore(value: 0)
    // Owned by the loop thread.
    private var listeners: [Int32: ConnectionInfo] = [:]
    private var connections: [Int32: Connection] = [:]
    private var active = 0
    private var refusing = 0
    private var acceptPausedUntil: Double?
    private var nextScan = Double.infinity
    private var scratch = [UInt8](repeating: 0, count: 65536)

    /// Connections over the cap that are still being answered 503; beyond this they are just closed.
    static let maxRefusing = 64
    static let lingerSeconds = 1.0

    public init(handler: any HTTPHandler, limits: HTTPLimits = HTTPLimits()) throws(SysError) {
        self.handler = handler
        self.limits = limits
        poller = try Poller()
        workers = WorkerPool(maxThreads: limits.maxWorkers)
    }

    /// Binds and starts serving; returns the bound address (port 0 becomes the real port).
    @discardableResult
    public func listen(_ address: ListenAddress) throws(SysError) -> ListenAddress {
        let (fd, bound) = try address.listen()
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let trusted: Bool
        if case .unix = bound { trusted = true } else { trusted = false }
        let startLoop = lock.withLock { () -> Bool in
            listenerAddresses.append((fd, bound))
            newListeners.append((fd, ConnectionInfo(trusted: trusted, listener: bound.description)))
            defer { loopRunning = true }
            return !loopRunning
        }
        if startLoop {
            let thread = Thread { [self] in run() }
            thread.name = "berth-http-loop"
            thread.start()
        } else {
            poller.wake()
        }
        return bound
    }

    /// Serve on a socket that is already bound and listening (made elsewhere, e.g. inside a
    /// task's network namespace); `info` tags its connections (`ConnectionInfo.listener`). The
    /// server owns `fd` from now on: `closeListener(fd)` stops and closes it.
    public func serve(listeningFD fd: Int32, info: ConnectionInfo) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let startLoop = lock.withLock { () -> Bool in
            newListeners.append((fd, info))
            defer { loopRunning = true }
            return !loopRunning
        }
        if startLoop {
            let thread = Thread { [self] in run() }
            thread.name = "berth-http-loop"
            thread.start()
        } else {
            poller.wake()
        }
    }

    /// Stop accepting on a listener given to `serve(listeningFD:info:)` and close it; its open
    /// connections are answered and closed as usual.
    public func closeListener(_ fd: Int32) {
        lock.withLock { closedListeners.append(fd) }
        poller.wake()
    }

    /// Stops accepting, closes every connection and waits (briefly) for the loop to finish.
    public func stop() {
        let wait = lock.withLock { () -> Bool in
            let first = !stopping
            stopping = true
            for l in listenerAddresses {
                shutdown(l.fd, Int32(SHUT_RDWR))
                if case .unix(let path) = l.address { unlink(path) }
            }
            return first && loopRunning
        }
        workers.stop()
        poller.wake()
        if wait { _ = loopDone.wait(timeout: .now() + 5) }
    }

    // MARK: the loop

    private func run() {
        while !lock.withLock({ stopping }) {
            // Before each wait: listeners are queued by listen(), and the first one is queued
            // before this loop starts, so a server with one listener would otherwise never accept.
            adoptListeners()
            for (fd, events) in poller.wait(timeoutMs: timeoutMs()) {
                if fd == poller.wakeFD {
                    poller.drainWake()
                } else if let info = listeners[fd] {
                    acceptAll(fd, info)
                } else if let c = connections[fd] {
                    onEvent(c, events)
                }
            }
            takeFinished()
            if monotonicNow() >= nextScan { expire() }
        }
        for c in Array(connections.values) { drop(c) }
        for fd in listeners.keys { close(fd) }
        listeners = [:]
        loopDone.signal()
    }

    private func timeoutMs() -> Int32 {
        guard nextScan.isFinite else { return -1 }
        return Int32(max(0, min((nextScan - monotonicNow()) * 1000, 3_600_000)).rounded(.up)) + 1
    }

    private func adoptListeners() {
        let fresh = lock.withLock { () -> [(fd: Int32, info: ConnectionInfo)] in
            defer { newListeners = [] }
            return newListeners
        }
        for l in fresh {
            listeners[l.fd] = l.info
            poller.update(l.fd, from: nil, to: BERTH_EPOLLIN)
        }
        let gone = lock.withLock { () -> [Int32] in
            defer { closedListeners = [] }
            return closedListeners
        }
        for fd in gone where listeners.removeValue(forKey: fd) != nil {
            close(fd)  // also removes it from the epoll set
        }
    }

    private func acceptAll(_ listenFD: Int32, _ info: ConnectionInfo) {
        while true {
            let (fd, e) = Sys.attempt { berth_accept_nonblock(listenFD) }
            if fd >= 0 {
                admit(fd, info)
                continue
            }
            if e == ECONNABORTED { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return }
            // Out of descriptors or memory: stop accepting for a moment instead of spinning.
            for l in listeners.keys { poller.update(l, from: BERTH_EPOLLIN, to: nil) }
            acceptPausedUntil = monotonicNow() + 0.05
            nextScan = min(nextScan, acceptPausedUntil!)
            return
        }
    }

    private func admit(_ fd: Int32, _ info: ConnectionInfo) {
        let now = monotonicNow()
        if active >= limits.maxConnections {
            guard refusing < Self.maxRefusing else { close(fd); return }
            refusing += 1
            let c = Connection(fd: fd, info: info, counted: false, now: now)
            connections[fd] = c
            fail(c, .init(503, "too many connections (at most \(limits.maxConnections))"), now: now)
            settle(c)
            return
        }
        active += 1
        let c = Connection(fd: fd, info: info, counted: true, now: now)
        connections[fd] = c
        settle(c)
    }

    private func onEvent(_ c: Connection, _ events: UInt32) {
        if c.hasOutput, c.send() == .failed { return drop(c) }
        switch c.phase {
        case .reading:
            switch c.receive(&scratch, max: 4 * scratch.count) {
            case .failed: return drop(c)
            case .eof: c.peerClosed = true
            case .progress, .wouldBlock: break
            }
            if c.requestStarted == nil, !c.input.isEmpty { c.requestStarted = monotonicNow() }
            process(c)
        case .lingering:
            if c.discard(&scratch) != .wouldBlock { return drop(c) }
        case .handling, .closing:
            break
        }
        settle(c)
    }

    /// Parse what a reading connection has: dispatch a complete request, refuse a bad one.
    private func process(_ c: Connection) {
        let now = monotonicNow()
        parsing: while c.phase == .reading, !c.input.isEmpty, c.input.count >= c.needAtLeast {
            switch HTTPParser.parse(c.input, limits: limits) {
            case .failed(let error):
                fail(c, error, now: now)
            case .complete(let request, let consumed):
                c.input.removeFirst(consumed)
                c.needAtLeast = 0
                c.phase = .handling
                dispatch(c, request)
            case .needMore(let atLeast, let headersComplete, let expectsContinue):
                c.needAtLeast = atLeast ?? 0
                if let atLeast, c.input.capacity < atLeast { c.input.reserveCapacity(atLeast) }
                if headersComplete, expectsContinue, !c.sentContinue {
                    c.sentContinue = true
                    c.queue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), now: now)
                }
                break parsing
            }
        }
        // The client sent all it will: an unfinished request is dropped without an answer.
        if c.phase == .reading, c.peerClosed {
            c.input = []
            c.phase = .closing
        }
    }

    private func dispatch(_ c: Connection, _ request: HTTPRequest) {
        workers.submit { [self, handler] in
            var response = handler.handle(request, connection: c.info)
            let keepAlive = request.wantsKeepAlive && !response.close
            response.close = !keepAlive
            let bytes = response.serialized(keepAlive: keepAlive)
            lock.withLock { finished.append((c, bytes, keepAlive)) }
            poller.wake()
        }
    }

    /// Responses from the workers: queue them and go on with pipelined requests.
    private func takeFinished() {
        let done = lock.withLock { () -> [(Connection, [UInt8], keepAlive: Bool)] in
            defer { finished = [] }
            return finished
        }
        for (c, bytes, keepAlive) in done where connections[c.fd] === c {
            let now = monotonicNow()
            c.queue(bytes, now: now)
            if keepAlive {
                c.phase = .reading
                c.requestStarted = c.input.isEmpty ? nil : now
                c.idleSince = now
                c.sentContinue = false
                process(c)
            } else {
                c.phase = .closing
            }
            settle(c)
        }
    }

    /// Answer a refused request and close (after a lingering read).
    private func fail(_ c: Connection, _ error: HTTPProtocolError, now: Double) {
        c.queue(handler.protocolError(error).serialized(keepAlive: false), now: now)
        c.input = []
        c.phase = .closing
    }

    /// After anything happened on `c`: write, move on from `closing`, watch the right events, note the deadline.
    private func settle(_ c: Connection) {
        guard !c.closed else { return }
        if c.hasOutput, c.send() == .failed { return drop(c) }
        if c.phase == .closing, !c.hasOutput {
            if c.peerClosed { return drop(c) }
            shutdown(c.fd, Int32(SHUT_WR))
            c.phase = .lingering(until: monotonicNow() + Self.lingerSeconds)
        }
        let wanted = c.wantedEvents
        poller.update(c.fd, from: c.registered, to: wanted)
        c.registered = wanted
        if let d = c.deadline(limits) { nextScan = min(nextScan, d) }
    }

    private func drop(_ c: Connection) {
        guard !c.closed else { return }
        c.closed = true
        close(c.fd)  // also removes it from the epoll set
        connections[c.fd] = nil
        if c.counted { active -= 1 } else { refusing -= 1 }
    }

    /// Deadlines: 408 for a request not complete in time, close idle, unread and lingering connections.
    private func expire() {
        let now = monotonicNow()
        nextScan = .infinity
        if let until = acceptPausedUntil {
            if until <= now {
                acceptPausedUntil = nil
                for l in listeners.keys { poller.update(l, from: nil, to: BERTH_EPOLLIN) }
            } else {
                nextScan = until
            }
        }
        for c in Array(connections.values) {
            guard let d = c.deadline(limits) else { continue }
            guard d <= now else { nextScan = min(nextScan, d); continue }
            if c.phase == .reading, !c.hasOutput, c.requestStarted != nil {
                fail(c, .init(408, "request not received completely within \(Int(limits.requestTimeout)) seconds"), now: now)
                settle(c)
            } else {
                drop(c)
            }
        }
    }
}

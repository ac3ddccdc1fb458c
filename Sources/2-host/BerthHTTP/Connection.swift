import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// One client connection of the HTTP server. Only the loop thread touches it; a worker
/// holds it only to read `info` and hand its response back (Docs/agent.md, "HTTP server").
final class Connection: @unchecked Sendable {
    enum Phase: Equatable {
        /// Collecting a request (or idle between keep-alive requests).
        case reading
        /// A worker runs the handler; nothing is read meanwhile (pipelined bytes wait in `input`).
        case handling
        /// Send what is queued, then shut down the write side and linger.
        case closing
        /// Read and discard until the client closes or `until`, so that the answer is not lost to a reset.
        case lingering(until: Double)
    }

    /// At most this many bytes are discarded while lingering.
    static let lingerBytes = 16 << 20

    let fd: Int32
    let info: ConnectionInfo
    /// False for a connection over the cap that is only answered 503.
    let counted: Bool
    var phase = Phase.reading
    var closed = false
    var input: [UInt8] = []
    /// The parser needs this many bytes before it can say more (a known Content-Length).
    var needAtLeast = 0
    var output: [UInt8] = []
    var sent = 0
    var writeSince: Double?
    var requestStarted: Double?
    var idleSince: Double
    var sentContinue = false
    var peerClosed = false
    var discarded = 0
    /// What epoll watches for now (nil: not registered).
    var registered: UInt32?

    init(fd: Int32, info: ConnectionInfo, counted: Bool, now: Double) {
        self.fd = fd
        self.info = info
        self.counted = counted
        idleSince = now
    }

    var hasOutput: Bool { sent < output.count }

    func queue(_ bytes: [UInt8], now: Double) {
        if !hasOutput {
            output = bytes
            sent = 0
            writeSince = now
        } else {
            output += bytes
        }
    }

    /// When the loop must act on this connection if nothing happens first.
    func deadline(_ limits: HTTPLimits) -> Double? {
        if hasOutput, let writeSince { return writeSince + limits.sendTimeout }
        switch phase {
        case .reading: return requestStarted.map { $0 + limits.requestTimeout } ?? idleSince + limits.idleTimeout
        case .handling, .closing: return nil
        case .lingering(let until): return until
        }
    }

    /// The epoll events wanted in this phase.
    var wantedEvents: UInt32? {
        let out = hasOutput ? BERTH_EPOLLOUT : 0
        switch phase {
        case .reading: return peerClosed ? (out == 0 ? nil : out) : BERTH_EPOLLIN | out
        case .handling, .closing: return out == 0 ? nil : out
        case .lingering: return BERTH_EPOLLIN
        }
    }

    enum IO { case progress, wouldBlock, eof, failed }

    /// Receive into `input` (at most `max` bytes this time).
    func receive(_ scratch: inout [UInt8], max: Int) -> IO {
        var total = 0
        while total < max {
            let (n, e) = Sys.attempt { scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 {
                input.append(contentsOf: scratch[0..<n])
                total += n
                continue
            }
            if n == 0 { return .eof }
            if e == EAGAIN || e == EWOULDBLOCK { return total > 0 ? .progress : .wouldBlock }
            return .failed
        }
        return .progress
    }

    /// Receive and throw away (lingering).
    func discard(_ scratch: inout [UInt8]) -> IO {
        while discarded < Self.lingerBytes {
            let (n, e) = Sys.attempt { scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 { discarded += n; continue }
            if n == 0 { return .eof }
            return e == EAGAIN || e == EWOULDBLOCK ? .wouldBlock : .failed
        }
        return .failed
    }

    /// Send as much of the queued output as the socket takes. The send deadline counts from the
    /// last progress, as SO_SNDTIMEO would.
    func send() -> IO {
        let before = sent
        while hasOutput {
            let (n, e) = Sys.attempt { output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) } }
            if n > 0 { sent += n; continue }
            if n < 0, e == EAGAIN || e == EWOULDBLOCK {
                if sent > before { writeSince = monotonicNow() }
                return .wouldBlock
            }
            return .failed
        }
        output = []
        sent = 0
        writeSince = nil
        return .progress
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Level-triggered epoll over the HTTP server's sockets, plus an eventfd that other threads
/// write to wake the loop (Docs/agent.md, "HTTP server"). The fds live as long as the poller,
/// so a late `wake()` from a worker never writes to a reused descriptor.
public final class Poller: @unchecked Sendable {
    public let epfd: Int32
    public let wakeFD: Int32
    private var fds = [Int32](repeating: 0, count: 64)
    private var events = [UInt32](repeating: 0, count: 64)

    public init() throws(SysError) {
        epfd = try Sys.call("epoll_create1") { berth_epoll_create() }
        do {
            wakeFD = try Sys.call("eventfd") { berth_eventfd() }
            try Sys.call("epoll_ctl", detail: "eventfd") { berth_epoll_ctl(epfd, 1, wakeFD, BERTH_EPOLLIN) }
        } catch {
            close(epfd)
            throw error
        }
    }

    deinit {
        close(wakeFD)
        close(epfd)
    }

    /// Watch `fd` for `events` (nil: not at all), given what it is registered for now.
    public func update(_ fd: Int32, from old: UInt32?, to new: UInt32?) {
        switch (old, new) {
        case (nil, let e?): _ = berth_epoll_ctl(epfd, 1, fd, e)
        case (_?, nil): _ = berth_epoll_ctl(epfd, 2, fd, 0)
        case (let o?, let e?) where o != e: _ = berth_epoll_ctl(epfd, 3, fd, e)
        default: break
        }
    }

    public func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    public func drainWake() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, 8)
    }

    /// Ready (fd, events) pairs; empty on timeout or EINTR. `timeoutMs` -1 waits indefinitely.
    public func wait(timeoutMs: Int32) -> [(fd: Int32, events: UInt32)] {
        let n = fds.withUnsafeMutableBufferPointer { f in
            events.withUnsafeMutableBufferPointer { e in berth_epoll_wait(epfd, f.baseAddress, e.baseAddress, Int32(f.count), timeoutMs) }
        }
        guard n > 0 else { return [] }
        return (0..<Int(n)).map { (fds[$0], events[$0]) }
    }
}

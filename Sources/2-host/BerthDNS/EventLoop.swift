import BerthHTTP
import BerthSys
import Foundation

/// One thread, level-triggered epoll: the in-task resolvers and relays of every task share it.
/// Everything registered runs on the loop thread; other threads hand work over with `submit`,
/// so the state of `DNSServer` and `TCPRelay` is only ever touched there.
public final class EventLoop: @unchecked Sendable {
    let poller: Poller
    private let lock = NSLock()
    private var queue: [() -> Void] = []
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    private var finished = false
    // Loop thread only.
    private var handlers: [Int32: (events: UInt32, run: (UInt32) -> Void)] = [:]
    private var tickers: [() -> Void] = []
    static let tick = 0.1

    public init() throws(SysError) { poller = try Poller() }

    public func start() {
        lock.withLock { started = true }
        let t = Thread { [self] in run() }
        t.name = "berth-discovery"
        t.start()
    }

    /// Run `work` on the loop thread.
    public func submit(_ work: @escaping () -> Void) {
        lock.withLock { queue.append(work) }
        poller.wake()
    }

    /// Run `work` on the loop thread and wait for it (at most 5 s); once the loop has ended,
    /// at once on the calling thread (nothing else touches the state any more).
    public func sync(_ work: @escaping () -> Void) {
        let sem = DispatchSemaphore(value: 0)
        let ended = lock.withLock { () -> Bool in
            if finished || !started { return true }
            queue.append { work(); sem.signal() }
            return false
        }
        if ended { return work() }
        poller.wake()
        _ = sem.wait(timeout: .now() + 5)
    }

    public func stop() {
        let wasStarted = lock.withLock { () -> Bool in
            let first = !stopping
            stopping = true
            return first && started
        }
        poller.wake()
        if wasStarted { _ = done.wait(timeout: .now() + 5) }
    }

    // MARK: loop thread

    func watch(_ fd: Int32, _ events: UInt32, _ run: @escaping (UInt32) -> Void) {
        poller.update(fd, from: handlers[fd]?.events, to: events)
        handlers[fd] = (events, run)
    }

    func modify(_ fd: Int32, _ events: UInt32) {
        guard let h = handlers[fd], h.events != events else { return }
        poller.update(fd, from: h.events, to: events)
        handlers[fd] = (events, h.run)
    }

    func unwatch(_ fd: Int32) {
        guard let h = handlers.removeValue(forKey: fd) else { return }
        poller.update(fd, from: h.events, to: nil)
    }

    func onTick(_ f: @escaping () -> Void) { tickers.append(f) }

    /// Run the handed-over work; true when the loop is to stop.
    private func drainQueue() -> Bool {
        let (work, stop) = lock.withLock { () -> ([() -> Void], Bool) in
            defer { queue = [] }
            return (queue, stopping)
        }
        for w in work { w() }
        return stop
    }

    private func run() {
        var nextTick = monotonicNow() + Self.tick
        while true {
            if drainQueue() { break }
            let wait = Int32(max(0, (nextTick - monotonicNow()) * 1000).rounded(.up))
            let ready = poller.wait(timeoutMs: wait)
            // Work handed over before these events arrived runs first (a listener's new targets
            // apply to a connection that came after the change).
            if drainQueue() { break }
            for (fd, events) in ready {
                if fd == poller.wakeFD { poller.drainWake(); continue }
                handlers[fd]?.run(events)
            }
            let now = monotonicNow()
            if now >= nextTick {
                nextTick = now + Self.tick
                for t in tickers { t() }
            }
        }
        // Work handed over while it was stopping still runs (a `sync` caller is waiting for it).
        let rest = lock.withLock { () -> [() -> Void] in
            finished = true
            defer { queue = [] }
            return queue
        }
        for w in rest { w() }
        done.signal()
    }
}

import Foundation

/// At most `maxThreads` threads that run request handlers (which may block: RunTask starts
/// containers), started as demand needs them and kept. Jobs wait in order when all are busy.
final class WorkerPool: @unchecked Sendable {
    private let cond = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var stopping = false
    let maxThreads: Int

    init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    func submit(_ job: @escaping @Sendable () -> Void) {
        cond.lock()
        defer { cond.unlock() }
        guard !stopping else { return }
        jobs.append(job)
        if jobs.count - head > idle, threads < maxThreads {
            threads += 1
            let thread = Thread { [self] in work() }
            thread.name = "berth-http-worker"
            thread.stackSize = 1 << 20
            thread.start()
        } else {
            cond.signal()
        }
    }

    /// Idle workers exit; queued jobs are dropped (their connections are being closed).
    func stop() {
        cond.lock()
        stopping = true
        jobs.removeAll()
        head = 0
        cond.broadcast()
        cond.unlock()
    }

    private func work() {
        cond.lock()
        while true {
            while head == jobs.count, !stopping {
                idle += 1
                cond.wait()
                idle -= 1
            }
            if stopping { break }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            cond.unlock()
            job()
            cond.lock()
        }
        threads -= 1
        cond.unlock()
    }
}

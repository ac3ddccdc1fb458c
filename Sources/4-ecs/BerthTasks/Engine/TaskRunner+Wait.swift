import CBerth
#if canImport(Glibc)
import Glibc
#endif

extension TaskMachine {
    /// The shortest step interval (starting, stopping, health checks in flight).
    static var busyInterval: Double { TaskRunner.pollInterval }
    /// The longest sleep of a steady task: a safety net only, exits and stop requests wake it.
    static let idleInterval = 10.0

    /// How long the driver may sleep before a step is due if nothing wakes it sooner: short
    /// while containers start, stop or run a health check; else until the next health check.
    func sleepBudget(now: Double) -> Double {
        if finished || desiredStopped || containers.contains(where: { $0.phase == .pending }) { return Self.busyInterval }
        var budget = Self.idleInterval
        for c in containers where c.phase == .running {
            guard c.plan.healthCheck != nil else { continue }
            budget = min(budget, c.checkInFlight ? Self.busyInterval : c.nextCheckAt - now)
        }
        return max(Self.busyInterval / 10, budget)
    }

    /// PID 1 of every running container (host pid namespace).
    var runningPids: [Int32] { containers.compactMap { $0.phase == .running ? $0.pid : nil } }
}

/// What a task's driver sleeps on: pidfds of its containers' PID 1 (readable when one exits) and
/// a pipe that `wake()` writes to (stop requests). An idle task costs no CPU between steps.
final class RunnerWakeup: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Sleep up to `seconds`, or until a watched process exits or `wake()` is called.
    /// `pidfds` maps pid -> pidfd and is kept up to date with `pids` (opened/closed as they change).
    func wait(seconds: Double, pids: [Int32], pidfds: inout [Int32: Int32]) {
        for (pid, fd) in pidfds where !pids.contains(pid) {
            close(fd)
            pidfds[pid] = nil
        }
        var seconds = seconds
        for pid in pids where pidfds[pid] == nil {
            let fd = berth_pidfd_open(pid, 0)
            // A pid that cannot be watched (it may have just exited): step again soon.
            if fd >= 0 { pidfds[pid] = fd } else { seconds = min(seconds, TaskMachine.busyInterval) }
        }
        var set = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        set += pidfds.values.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ms = Int32(max(0, min(seconds, 60)) * 1000)
        if poll(&set, nfds_t(set.count), ms) > 0, set[0].revents != 0 {
            var buf = [UInt8](repeating: 0, count: 64)
            while read(readEnd, &buf, buf.count) > 0 {}
        }
    }

    static func closeAll(_ pidfds: [Int32: Int32]) {
        for fd in pidfds.values { close(fd) }
    }
}

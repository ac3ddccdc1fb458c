import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Every read, write, mkdir and rmdir the drivers do, in one place: each mutation is traced for
/// `--explain`, each failure names the file and the value, and nothing is written outside a
/// `berth/` directory of a hierarchy (the v2 root's subtree_control is the one documented exception,
/// see `CgroupV2Driver.ensureRootControllers`).
struct CgroupFiles: Sendable {
    /// Hierarchy mount points (v1) or the v2 root. Writes must land below `<base>/berth/`.
    let bases: [String]
    /// Top-level groups writes may land in: `berth`, plus the top of a path an OCI spec's
    /// `linux.cgroupsPath` named (`CgroupDriver.allowing`).
    var tops: [String] = ["berth"]

    func checkInside(_ path: String) throws(CgroupError) {
        for base in bases {
            for top in tops where path.hasPrefix(base + "/" + top + "/") || path == base + "/" + top {
                if !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) { return }
            }
        }
        for base in bases where path.hasPrefix(base + "/berth/") || path == base + "/berth" {
            if !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) { return }
        }
        throw CgroupError.outsideBerth(path)
    }

    func write(_ file: String, _ value: String) throws(CgroupError) {
        try checkInside(file)
        try writeUnchecked(file, value)
    }

    /// Each of `values` as its own write(2) to one descriptor of `file`: the kernel parses every
    /// write of a v1 control file (devices.allow, devices.deny) as one value, so a list of rules
    /// costs one open instead of one per rule.
    func write(_ file: String, each values: [String]) throws(CgroupError) {
        guard let first = values.first else { return }
        try checkInside(file)
        let fd = try openForWriting(file, first)
        defer { fd.close() }
        for value in values { try write(fd, file, value) }
    }

    /// Only for `ensureRootControllers`: the caller has decided this write outside berth/ is allowed.
    func writeUnchecked(_ file: String, _ value: String) throws(CgroupError) {
        let fd = try openForWriting(file, value)
        defer { fd.close() }
        try write(fd, file, value)
    }

    private func openForWriting(_ file: String, _ value: String) throws(CgroupError) -> FileDescriptor {
        do { return try FileDescriptor.open(file, O_WRONLY) } catch {
            throw CgroupError.sys(SysError("open for writing \(value.debugDescription)", errno: error.errno, detail: file))
        }
    }

    private func write(_ fd: FileDescriptor, _ file: String, _ value: String) throws(CgroupError) {
        Trace.step("cgroup", "write \(value) > \(file)")
        let bytes = Array(value.utf8)
        let (n, e) = Sys.attempt { bytes.withUnsafeBytes { Glibc.write(fd.rawValue, $0.baseAddress, $0.count) } }
        if n < 0 {
            throw CgroupError.sys(SysError("write \(value.debugDescription) to", errno: e, detail: file))
        }
        if n != bytes.count {
            throw CgroupError.sys(SysError("short write of \(value.debugDescription) to", errno: EIO, detail: file))
        }
    }

    func read(_ file: String) throws(CgroupError) -> String {
        do { return try Files.read(file) } catch { throw CgroupError.sys(error) }
    }

    /// The file's contents without surrounding whitespace, or nil if it cannot be read.
    func readTrimmed(_ file: String) -> String? {
        (try? Files.read(file))?.trimmingCharacters(in: " \n\t")
    }

    /// A number in the file (`max` reads as nil), or nil if it is missing.
    func readNumber(_ file: String) -> UInt64? {
        guard let text = readTrimmed(file) else { return nil }
        return UInt64(text)
    }

    /// The value of `key` in a flat keyed file such as memory.events or cpu.stat (`key value` lines).
    func readKeyed(_ file: String, _ key: String) -> UInt64? {
        guard let text = try? Files.read(file) else { return nil }
        return Self.keyed(text, key)
    }

    static func keyed(_ text: String, _ key: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }

    /// mkdir; true if it made the directory, false if it existed.
    @discardableResult
    func makeDirectory(_ dir: String) throws(CgroupError) -> Bool {
        try checkInside(dir)
        // mkdir alone (no stat first): EEXIST says the group is there, as a stat would have.
        let (_, e) = Sys.attempt { mkdir(dir, 0o755) }
        if e == 0 {
            Trace.step("cgroup", "mkdir \(dir)")
            return true
        }
        if e == EEXIST { return false }
        throw CgroupError.sys(SysError("mkdir", errno: e, detail: dir))
    }

    /// rmdir; a missing directory is fine. EBUSY is returned, not thrown, so callers can retry.
    func removeDirectory(_ dir: String) throws(CgroupError) -> Bool {
        try checkInside(dir)
        // rmdir alone (no stat first): ENOENT or ENOTDIR means there is no such group.
        let (_, e) = Sys.attempt { rmdir(dir) }
        if e == 0 { Trace.step("cgroup", "rmdir \(dir)") }
        if e == 0 || e == ENOENT || e == ENOTDIR { return true }
        if e == EBUSY { return false }
        throw CgroupError.sys(SysError("rmdir", errno: e, detail: dir))
    }

    /// Child cgroups (directories) of `dir`, depth-first with leaves before their parents, then `dir`.
    func leavesFirst(_ dir: String) -> [String] {
        var out: [String] = []
        for name in ((try? Files.subdirectories(dir)) ?? []).sorted() {
            out += leavesFirst(dir + "/" + name)
        }
        out.append(dir)
        return out
    }

    /// rmdir `dir` and every group below it, leaves first, each retried every 25 ms for up to 10 s.
    /// A group that still has processes (something joined since the kill, or an exiting task is
    /// still attached) gets `killAgain` before the next try.
    func removeLeavesFirst(_ dir: String, killAgain: () throws(CgroupError) -> Void) throws(CgroupError) {
        for group in leavesFirst(dir) {
            var removed = false
            for _ in 0..<400 where !removed {
                removed = try removeDirectory(group)
                if !removed {
                    if !pids(group).isEmpty { try killAgain() }
                    sleepMillis(25)
                }
            }
            if !removed {
                throw .sys(SysError("rmdir", errno: EBUSY, detail: "\(group) (still has \(pids(group).count) processes after 10 s)"))
            }
        }
    }

    /// Pids in `<dir>/cgroup.procs` (empty if the group is gone).
    func pids(_ dir: String) -> [Int32] {
        guard let text = try? Files.read(dir + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Pids in `dir` and every group below it.
    func pidsRecursive(_ dir: String) -> [Int32] {
        leavesFirst(dir).flatMap { pids($0) }
    }

    /// SIGKILL `pid` through a pidfd; returns the pidfd (to wait for the exit), or nil when the
    /// process is already gone (or pidfds are unavailable: then a plain kill).
    func kill(_ pid: Int32, in group: String) -> Int32? {
        Trace.step("cgroup", "kill -9 \(pid) (in \(group))")
        let fd = berth_pidfd_open(pid, 0)
        guard fd >= 0 else {
            _ = Glibc.kill(pid, SIGKILL)
            return nil
        }
        if berth_pidfd_send_signal(fd, SIGKILL) != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    /// Wait until every process behind `pidfds` has exited, or `millis` passed (one poll(2) per
    /// exit, no fixed sleep), then close them. With no pidfd, a plain sleep of `millis` (a process
    /// that could not be opened may still be exiting).
    func waitExited(_ pidfds: [Int32], millis: Int) {
        guard !pidfds.isEmpty else { return sleepMillis(millis) }
        defer { for fd in pidfds { close(fd) } }
        var waiting = pidfds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let deadline = berth_monotonic_ns() + Int64(millis) * 1_000_000
        while !waiting.isEmpty {
            let left = Int32(max(0, (deadline - berth_monotonic_ns()) / 1_000_000) + 1)
            let n = waiting.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), left) }
            if n < 0 && berth_errno() == EINTR { continue }
            if n <= 0 { return }
            waiting.removeAll { $0.revents != 0 }
            for i in waiting.indices { waiting[i].revents = 0 }
        }
    }
}

/// Sleep for `ms` milliseconds (cgroup state changes are asynchronous).
func sleepMillis(_ ms: Int) {
    var request = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && berth_errno() == EINTR { request = remaining }
}

import CBerth

/// The container's exit as `exit.json` (decoded by BerthRuntime's `ExitInfo`).
struct ExitRecord {
    var status: Int32
    var oomKilled: Bool
    var startedAtNanos: Int64
    var finishedAtNanos: Int64

    var signal: Int32? { berth_wifsignaled(status) != 0 ? berth_wtermsig(status) : nil }
    /// As a shell reports it: the status, or 128+signal.
    var exitCode: Int32 { berth_exit_code(status) }

    var json: String {
        var s = "{\"exitCode\":\(exitCode)"
        if let signal { s += ",\"signal\":\(signal)" }
        s += ",\"oomKilled\":\(oomKilled ? "true" : "false")"
        if startedAtNanos > 0 { s += ",\"startedAtNanos\":\(startedAtNanos)" }
        s += ",\"finishedAtNanos\":\(finishedAtNanos)}\n"
        return s
    }

    /// tmp + rename: a reader sees either nothing or the whole record. No fsync: the record has to
    /// outlive the processes that read it (a killed CLI or agent), which the page cache does; a
    /// kernel crash takes every container with it, and runtime state lives on /run (tmpfs by
    /// convention; where /run is on disk, as on the development host, an fsync here was a disk
    /// flush on every container's exit path).
    func write(stateDir: String) -> Bool {
        let final = stateDir + "/exit.json"
        let tmp = final + ".tmp"
        let fd = IO.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { return false }
        let ok = IO.writeAll(fd, json)
        close(fd)
        if !ok || rename(tmp, final) != 0 {
            unlink(tmp)
            return false
        }
        return true
    }
}

/// The cgroup's OOM-kill counter: the `oom_kill N` line of v1 memory.oom_control or v2 memory.events.
enum OOMCounter {
    static func read(_ path: String) -> Int64 {
        if path.isEmpty { return 0 }
        guard let bytes = IO.readFile(path) else { return 0 }
        let key = Array("oom_kill ".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: key) {
            return Bytes.parseInt(line.dropFirst(key.count)) ?? 0
        }
        return 0
    }
}

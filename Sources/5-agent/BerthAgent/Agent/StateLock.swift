import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `<state-dir>/agent.lock` held for the agent's lifetime: two agents
/// writing one state directory would overwrite each other's objects.
enum StateLock {
    static func acquire(stateDir: String) throws -> Int32 {
        let path = stateDir + "/agent.lock"
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600).rawValue
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = berth_errno()
            close(fd)
            if e == EWOULDBLOCK {
                throw AgentStartError("another berth agent is already using the state directory \(stateDir) (lock \(path) is held)")
            }
            throw SysError("flock", errno: e, detail: path)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return fd  // kept open (close-on-exec) until the process exits
    }
}

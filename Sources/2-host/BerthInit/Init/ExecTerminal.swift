import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `exec -t` inside init (runc's console socket): the pty is opened in the container's own
/// devpts after init joined its mount namespace, the child makes the slave its controlling
/// terminal and stdio, and the master goes back to the caller over fd 4 (SCM_RIGHTS). No host
/// terminal ever reaches the container.
struct ExecTerminal {
    /// The console socket: kept by the runtime's spawn as the second extra descriptor (after sync).
    static let socketFd: Int32 = 4
    /// The container's multiplexer (`/dev/ptmx` is a symlink to it; a symlink here is refused).
    static let ptmx = "/dev/pts/ptmx"

    let master: Int32
    let slave: Int32
    let index: Int32

    static func open() throws -> ExecTerminal {
        var peer: Int32 = -1, index: Int32 = -1
        let master = try Sys.call("terminal", detail: "\(ptmx) (the container's devpts)") { berth_pty_open(ptmx, &peer, &index) }
        Trace.step("exec", "terminal /dev/pts/\(index)")
        return ExecTerminal(master: master, slave: peer, index: index)
    }

    /// Init (parent): send the master to the caller, then keep no end of the terminal.
    func handOver() throws {
        defer {
            _ = Glibc.close(master)
            _ = Glibc.close(slave)
            _ = Glibc.close(Self.socketFd)
        }
        _ = try Sys.call("terminal", detail: "send the pty master over the console socket") { berth_send_fd(Self.socketFd, master) }
    }

    /// The exec'd process (child, still root): new session, the slave owned by the process's user,
    /// as controlling terminal and stdin/stdout/stderr.
    func attach(owner: ResolvedUser) throws {
        _ = Glibc.close(master)
        _ = Glibc.close(Self.socketFd)
        _ = try Sys.call("terminal", detail: "chown /dev/pts/\(index)") { fchown(slave, owner.uid, owner.gid) }
        _ = try Sys.call("setsid") { setsid() }
        _ = try Sys.call("terminal", detail: "TIOCSCTTY /dev/pts/\(index)") { berth_set_controlling_tty(slave) }
        for fd: Int32 in 0...2 {
            _ = try Sys.call("terminal", detail: "dup2 onto \(fd)") { dup2(slave, fd) }
        }
        if slave > 2 { _ = Glibc.close(slave) }
    }
}

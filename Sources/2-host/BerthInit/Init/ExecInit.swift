import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth-init` in exec mode: join the running container's cgroup and namespaces, fork into its
/// PID namespace, start `spec.process` there (same identity code as create), and stay as its
/// parent: forward signals, exit with its status (128+signal when killed).
struct ExecInit {
    let config: InitConfig
    let sync: SyncPipe?

    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    /// Joined in this order (user as runc does, see `Namespaces.enter`); mount last so
    /// /proc/<pid>/ns paths stay valid until then.
    static let kinds: [NamespaceKind] = [.ipc, .uts, .network, .pid, .cgroup, .time, .user, .mount]

    func run(_ sys: some InitSyscalls) -> Int32 {
        let process: Spec.Process
        let signals: Int32
        let seccomp: SeccompFilter?
        let terminal: Bool
        var pty: ExecTerminal?
        do {
            guard let pid = config.targetPid, let start = config.targetStartTime else {
                throw InitError("config", "exec mode needs targetPid and targetStartTime")
            }
            guard Proc.isAlive(pid, startTime: start) else {
                throw InitError("exec", "container process \(pid) is not running")
            }
            guard var p = config.spec.process else { throw InitError("config", "process: missing") }
            // Exec mode takes a terminal: fd 4 is then the console socket (ExecTerminal).
            terminal = p.terminal == true
            p.terminal = nil
            process = p
            try ProcessSecurity.validate(p)
            seccomp = try SeccompFilter.load(config.seccomp)
            try Namespaces.setOOMScoreAdj(p.oomScoreAdj, sys)
            let opened = try Namespaces.openDiffering(of: pid, Self.kinds)
            defer { opened.forEach { $0.fd.close() } }
            // The pid could have been reused between the check and the opens: check again now
            // that the namespace files are held.
            guard Proc.isAlive(pid, startTime: start) else {
                throw InitError("exec", "container process \(pid) exited while joining it")
            }
            try Namespaces.enter(opened, sys)
            // Now in the container's mount namespace: the pty comes from its own devpts.
            if terminal { pty = try ExecTerminal.open() }
            signals = try Sys.call("signalfd") {
                let all = Self.forwarded + [SIGCHLD]
                return all.withUnsafeBufferPointer { berth_signalfd($0.baseAddress, Int32($0.count)) }
            }
        } catch {
            return fail(error)
        }

        let gate: ForkGate
        do { gate = try ForkGate.make() } catch { return fail(error) }
        let child = fork()
        if child < 0 { return fail(SysError("fork")) }
        if child == 0 {
            berth_reset_signals()
            _ = Glibc.close(signals)
            gate.wait()
            do {
                let start = try ProcessStart(process: process, parentDeathSignal: SIGKILL, seccomp: seccomp, sys: sys)
                try pty?.attach(owner: start.security.user)
                let executable = try start.prepare()
                start.finish(executable: executable, sync: sync, fifo: nil)
            } catch {
                return fail(error)
            }
        }
        Trace.step("exec", "process is host pid \(child)")
        sync?.pid(child)
        if let pty {
            do { try pty.handOver() } catch {
                _ = kill(child, SIGKILL)
                return fail(error)
            }
        }
        gate.open()
        sync?.close()
        return superviseChild(child, signals: signals)
    }

    /// Forward signals to the child until it exits; return its status as a shell would.
    private func superviseChild(_ child: pid_t, signals: Int32) -> Int32 {
        var info = [UInt8](repeating: 0, count: 128) // struct signalfd_siginfo
        while true {
            let (n, _) = Sys.attempt { info.withUnsafeMutableBytes { read(signals, $0.baseAddress, $0.count) } }
            if n == 128 {
                let signo = info.withUnsafeBytes { $0.load(as: UInt32.self) }
                if Int32(signo) != SIGCHLD {
                    Trace.step("exec", "forward signal \(signo) to \(child)")
                    _ = kill(child, Int32(signo))
                    continue
                }
            }
            var status: Int32 = 0
            let (r, _) = Sys.attempt { waitpid(child, &status, n < 0 ? 0 : WNOHANG) }
            if r == child {
                let exit = ExitStatus(status)
                if exit.terminated { return exit.code }
            } else if r < 0 {
                return 1
            }
        }
    }

    private func fail(_ error: any Error) -> Int32 {
        InitMain.report(error, sync: sync)
        return error.initExitCode
    }
}

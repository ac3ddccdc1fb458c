import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The last steps before execve, shared by create and exec mode: rlimits, cwd, user,
/// capabilities, no_new_privs, fd hygiene, `ready`, the exec fifo, execve.
/// Runs inside the container's root (after pivot_root or after joining its mount namespace).
struct ProcessStart<Kernel: CredentialSyscalls & MountSyscalls> {
    let process: Spec.Process
    let security: ProcessSecurity
    let env: [String]
    /// exec mode: die with the `berth-init` that supervises this process.
    let parentDeathSignal: Int32?
    /// Loaded before the identity switch without no_new_privs (it needs CAP_SYS_ADMIN then), as
    /// the last step before `ready` with it (the filter need not allow init's own calls).
    let seccomp: SeccompFilter?
    let sys: Kernel

    init(process: Spec.Process, parentDeathSignal: Int32? = nil, seccomp: SeccompFilter? = nil, sys: Kernel) throws {
        self.parentDeathSignal = parentDeathSignal
        self.seccomp = seccomp
        self.sys = sys
        self.process = process
        let passwd = (try? Files.read("/etc/passwd")) ?? ""
        let group = (try? Files.read("/etc/group")) ?? ""
        security = try ProcessSecurity(process: process, passwd: passwd, group: group)
        var env = process.env ?? []
        if Executable.lookupEnv(env, "HOME") == nil { env.append("HOME=" + security.user.home) }
        self.env = env
    }

    /// Everything up to `ready`; errors are thrown (the caller reports them on the sync pipe).
    /// Returns the resolved executable path.
    func prepare() throws -> String {
        try security.applyRlimits(sys)
        let cwd = process.cwd.isEmpty ? "/" : process.cwd
        // As root first; only a directory root may not enter (root-squashed NFS) is retried as the user.
        var denied = false
        do throws(SysError) { try sys.changeDirectory(cwd, detail: "\(cwd) (process.cwd)") } catch {
            guard error.errno == EACCES || error.errno == EPERM else { throw error }
            denied = true
        }
        // No descriptor of the runtime may reach the container process (CVE-2024-21626).
        try sys.closeOnExec(from: 3)
        if !security.noNewPrivileges { try loadSeccomp() }
        let warnings = try security.applyIdentity(sys)
        for cap in warnings {
            _ = try? FileDescriptor.standardError.writeAll(
                "berth-init: warning: ambient capability \(cap) is not both permitted and inheritable; not raised\n")
        }
        if denied { try sys.changeDirectory(cwd, detail: "\(cwd) (process.cwd, as the container user)") }
        try verifyCwd()
        if let sig = parentDeathSignal {
            // After the user switch, which clears it; then make sure the parent is still there.
            let parent = getppid()
            try Sys.call("prctl PR_SET_PDEATHSIG") { berth_set_pdeathsig(sig) }
            guard getppid() == parent else { throw InitError("exec", "berth-init exited during setup") }
        }
        let executable = try Executable.resolve(process.args[0], env: env)
        if security.noNewPrivileges { try loadSeccomp() }
        return executable
    }

    private func loadSeccomp() throws {
        guard let seccomp else { return }
        Trace.step("security", "seccomp filter: \(seccomp.instructions) instructions, flags \(seccomp.flags)")
        try sys.loadSeccomp(seccomp)
    }

    /// getcwd must succeed and be absolute: a cwd outside the new root reads "(unreachable)/..."
    /// or fails with ENOENT.
    private func verifyCwd() throws {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else {
            throw SysError("getcwd", detail: "(cwd is outside the container root?)")
        }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard cwd.hasPrefix("/") else {
            throw InitError("cwd", "current directory \(cwd.debugDescription) is outside the container root")
        }
        Trace.step("cwd", cwd)
    }

    /// `ready`, then wait for `berth start` on the exec fifo (if any), then execve. Never returns.
    func finish(executable: String, sync: SyncPipe?, fifo: FileDescriptor?, startHooks: StartHooks? = nil) -> Never {
        sync?.ready()
        sync?.close()
        if let fifo {
            // Re-open the O_PATH handle taken before pivot_root; blocks until start reads it.
            do {
                let w = try FileDescriptor.open(fifo.procPath, startHooks == nil ? O_WRONLY : O_WRONLY | O_CLOEXEC)
                try w.writeAll("0")
                // With hooks, `start` reads on until execve closes it (StartHooks).
                if let startHooks { startHooks.run(reportingTo: w) } else { w.close() }
                fifo.close()
            } catch {
                _ = try? FileDescriptor.standardError.writeAll("berth-init: exec fifo: \(error)\n")
                exit(1)
            }
        }
        Executable.exec(path: executable, args: process.args, env: env)
    }
}

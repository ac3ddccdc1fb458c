import BerthJSON
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A hook that failed: which one (`hooks.createRuntime[1]`), its path, and how.
public struct HookFailure: Error, CustomStringConvertible, Equatable, Sendable {
    public var field: String
    public var path: String
    public var problem: String
    public init(field: String, path: String, problem: String) {
        self.field = field
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(field) (\(path)): \(problem)" }
}

/// Runs OCI hooks (runtime-spec config.md "POSIX-platform Hooks") in the namespaces of the
/// calling process: the runtime for prestart/createRuntime/poststart/poststop, berth-init for
/// createContainer/startContainer. Each hook gets the state JSON on stdin, exactly its `env`,
/// `args` as argv (`[path]` when absent), the caller's stderr for stdout and stderr, and is
/// killed (SIGKILL) when `timeout` seconds pass. Spawned with `berth_spawn` (only
/// async-signal-safe calls between fork and execve), so a threaded caller is safe.
public enum HookRunner {
    /// Runs `hooks` in order; the first failure stops the run and is thrown.
    public static func run(_ hooks: [Spec.Hook]?, kind: String, state: [UInt8]) throws(HookFailure) {
        for (i, hook) in (hooks ?? []).enumerated() {
            let field = "hooks.\(kind)[\(i)]"
            Trace.step("hooks", "\(field): \(hook.path)")
            try runOne(hook, field: field, state: state)
        }
    }

    /// Runs every hook even when some fail (poststop); returns the failures as warnings.
    public static func runAll(_ hooks: [Spec.Hook]?, kind: String, state: [UInt8]) -> [HookFailure] {
        var failures: [HookFailure] = []
        for (i, hook) in (hooks ?? []).enumerated() {
            let field = "hooks.\(kind)[\(i)]"
            Trace.step("hooks", "\(field): \(hook.path)")
            do { try runOne(hook, field: field, state: state) } catch { failures.append(error) }
        }
        return failures
    }

    static func runOne(_ hook: Spec.Hook, field: String, state: [UInt8]) throws(HookFailure) {
        func failure(_ problem: String) -> HookFailure { HookFailure(field: field, path: hook.path, problem: problem) }
        let input: FileDescriptor
        do { input = try stateInput(state) } catch { throw failure("cannot pass the state: \(error)") }
        defer { input.close() }
        let argv = (hook.args ?? []).isEmpty ? [hook.path] : hook.args!
        let pid = spawn(path: hook.path, argv: argv, env: hook.env ?? [], stdin: input.rawValue)
        if pid < 0 { throw failure("cannot run: \(String(cString: strerror(errno)))") }
        let deadline = hook.timeout.map { berth_monotonic_ns() + Int64($0) * 1_000_000_000 }
        let status = waitFor(pid, deadline: deadline)
        guard let status else { throw failure("did not finish within its timeout of \(hook.timeout ?? 0)s; killed") }
        if let signal = status.signal { throw failure("killed by signal \(signal)") }
        if status.code != 0 { throw failure("exited with status \(status.code)") }
    }

    /// A pipe already holding the whole state, write end closed: the hook reads it at its own pace.
    static func stateInput(_ state: [UInt8]) throws(SysError) -> FileDescriptor {
        let (r, w) = try makePipe()
        defer { w.close() }
        if state.count >= 65536 {
            _ = try Sys.call("fcntl F_SETPIPE_SZ", detail: "\(state.count) bytes of state") { fcntl(w.rawValue, 1031 /* F_SETPIPE_SZ */, Int32(state.count + 1)) }
        }
        do { try w.writeAll(state) } catch {
            r.close()
            throw error
        }
        return r
    }

    static func spawn(path: String, argv: [String], env: [String], stdin: Int32) -> pid_t {
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { for p in args + envp { free(p) } }
        return args.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                path.withCString { p in
                    var attr = berth_spawn_attr()
                    attr.path = p
                    attr.argv = a.baseAddress
                    attr.envp = e.baseAddress
                    attr.stdin_fd = stdin
                    attr.stdout_fd = 2  // the caller's stdout may carry its own output (pid files, JSON)
                    attr.stderr_fd = -1
                    return berth_spawn(&attr)
                }
            }
        }
    }

    /// The hook's wait status, or nil when the deadline passed (it is then killed and reaped).
    static func waitFor(_ pid: pid_t, deadline: Int64?) -> ExitStatus? {
        var pause: UInt32 = 500
        while true {
            var status: Int32 = 0
            let (n, err) = Sys.attempt { waitpid(pid, &status, WNOHANG) }
            if n == pid { return ExitStatus(status) }
            if n < 0 && err != EINTR { return ExitStatus(0x7f00) }  // not ours to reap: treated as status 127
            if let deadline, berth_monotonic_ns() >= deadline {
                kill(pid, SIGKILL)
                _ = Sys.attempt { waitpid(pid, &status, 0) }
                return nil
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }
}

/// The runtime-spec state (runtime.md "State") passed to hooks on stdin.
public enum HookState {
    public static let ociVersion = "1.0.2"

    public static func json(id: String, status: String, pid: Int32, bundle: String, annotations: [String: String]?) -> [UInt8] {
        var o = ObjectWriter()
        o.set("ociVersion", ociVersion); o.set("id", id); o.set("status", status); o.set("pid", pid); o.set("bundle", bundle)
        o.set("annotations", annotations)
        return o.value.serializedBytes(sortedKeys: true)
    }
}

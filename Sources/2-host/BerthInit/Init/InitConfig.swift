/// What `berth-init <state-dir>` is told, read from `<state-dir>/init.json`.
/// The contract between the runtime (which writes it) and the container init (which reads it).
/// Init starts inside the container's cgroup: its spawner put it there (`CgroupPlacement`).
///
/// Sync protocol: init inherits a pipe write end as fd 3 and writes lines to it:
///   `pid <N>`                 the container process's host pid (written after the namespace fork)
///   `ready`                   setup finished; the process now waits on the exec fifo (create) or execs (run)
///   `error <message>`         setup failed at the stage named in the message; init exits 1
/// For `exec` mode, init stays as the parent of the exec'd process and exits with its status
/// (128+signal for a signal), forwarding SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to it.
public struct InitConfig: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
        /// Create a new container from `spec` (namespaces per spec.linux.namespaces).
        case create
        /// Join the namespaces and cgroup of the running container `targetPid` and run spec.process.
        case exec
    }

    public var mode: Mode
    public var id: String
    /// The spec, with `root.path` made absolute. For exec only `process` matters.
    public var spec: Spec
    public var bundle: String
    /// create: if set, the container process opens this fifo for writing and blocks until
    /// `berth start` reads it; if nil, it execs as soon as setup is done.
    public var execFifo: String?
    /// exec: the container's pid 1 and its start time (pid-reuse check before joining).
    public var targetPid: Int32?
    public var targetStartTime: UInt64?
    /// The compiled seccomp filter of `spec.linux.seccomp` (a file the runtime wrote; init reads it
    /// before entering any namespace and loads it in `ProcessStart`). Nil: no filter.
    public var seccomp: SeccompProgram?
    /// create: a fifo in the state directory when the spec has prestart or createRuntime hooks:
    /// init sends `hooks` on the sync pipe before pivot_root and waits for `go` on it.
    public var hooksFifo: String? = nil
    /// Print every isolation step (namespaces, mounts, capabilities, exec) to stderr.
    public var explain: Bool

    public init(mode: Mode, id: String, spec: Spec, bundle: String,
                execFifo: String? = nil, targetPid: Int32? = nil, targetStartTime: UInt64? = nil, explain: Bool = false,
                seccomp: SeccompProgram? = nil) {
        self.seccomp = seccomp
        self.mode = mode
        self.id = id
        self.spec = spec
        self.bundle = bundle
        self.execFifo = execFifo
        self.targetPid = targetPid
        self.targetStartTime = targetStartTime
        self.explain = explain
    }

    public struct SeccompProgram: Codable, Sendable, Equatable {
        /// Host path of the struct sock_filter[] bytes.
        public var path: String
        /// SECCOMP_FILTER_FLAG_* for seccomp(2).
        public var flags: UInt32
        public init(path: String, flags: UInt32) {
            self.path = path
            self.flags = flags
        }
    }
}

import BerthInit

/// OCI-style lifecycle status.
public enum ContainerStatus: String, Codable, Sendable {
    case creating, created, running, stopped
}

/// How a container's exit is recorded by its monitor in `exit.json`.
public struct ExitInfo: Codable, Sendable, Equatable {
    /// The exit code as a shell reports it: the status for a normal exit, 128+signal for a signal.
    public var exitCode: Int32
    /// The terminating signal, if any.
    public var signal: Int32?
    /// True only if the process died of SIGKILL and the cgroup's OOM-kill counter moved.
    public var oomKilled: Bool
    /// Nanoseconds since the epoch.
    public var startedAtNanos: Int64?
    public var finishedAtNanos: Int64

    public init(exitCode: Int32, signal: Int32? = nil, oomKilled: Bool = false, startedAtNanos: Int64? = nil, finishedAtNanos: Int64) {
        self.exitCode = exitCode
        self.signal = signal
        self.oomKilled = oomKilled
        self.startedAtNanos = startedAtNanos
        self.finishedAtNanos = finishedAtNanos
    }
}

/// What `state` reports, plus Berth's own facts (pid start time, cgroup, namespaces, exit).
public struct ContainerState: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    public var status: ContainerStatus
    public var pid: Int32
    public var bundle: String
    public var annotations: [String: String]?
    /// Berth extensions.
    public var pidStartTime: UInt64?
    public var monitorPid: Int32?
    /// Start time of the monitor (pid-reuse check before waiting on or signalling it).
    public var monitorStartTime: UInt64?
    /// Absolute rootfs path.
    public var rootfs: String?
    public var createdAtNanos: Int64?
    public var cgroupPath: String?
    /// Levels of `cgroupPath` (e.g. `a`, `a/b`) that did not exist before create: delete removes
    /// these (if empty) and leaves pre-existing parents alone. Never `berth`.
    public var cgroupCreated: [String]?
    /// namespace type (pid, network, ...) -> /proc/<pid>/ns/<name> or a joined path
    public var namespacePaths: [String: String]?
    public var exit: ExitInfo?

    public init(ociVersion: String = "1.0.2", id: String, status: ContainerStatus, pid: Int32, bundle: String,
                annotations: [String: String]? = nil, pidStartTime: UInt64? = nil, monitorPid: Int32? = nil,
                createdAtNanos: Int64? = nil, cgroupPath: String? = nil, namespacePaths: [String: String]? = nil, exit: ExitInfo? = nil,
                monitorStartTime: UInt64? = nil, rootfs: String? = nil) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
        self.pidStartTime = pidStartTime
        self.monitorPid = monitorPid
        self.createdAtNanos = createdAtNanos
        self.cgroupPath = cgroupPath
        self.namespacePaths = namespacePaths
        self.exit = exit
        self.monitorStartTime = monitorStartTime
        self.rootfs = rootfs
    }
}

/// Where a container's stdio goes.
public enum StdioMode: Sendable, Equatable {
    /// The caller's own stdin/stdout/stderr (as `runc run` in the foreground).
    case inherit
    /// stdin from /dev/null; stdout and stderr appended to these files by the monitor, one CRI
    /// record `<RFC3339Nano> <stdout|stderr> <F|P> <line>` per line (P: a line longer than 16 KiB
    /// continues in the next record), rotated at `maxBytes` keeping `maxFiles` files in all
    /// (`name`, `name.1`, ... newest first). stdout and stderr may name the same file.
    case logFiles(stdout: String, stderr: String, maxBytes: Int64, maxFiles: Int)
    /// /dev/null for all three.
    case null
}

public struct CreateRequest: Sendable {
    public var id: String
    /// Absolute bundle directory (holds config.json for OCI use; may be any directory for tasks).
    public var bundle: String
    public var spec: Spec
    public var stdio: StdioMode
    public var pidFile: String?
    public var explain: Bool
    /// `run`: no exec fifo; the process execs as soon as its setup is done (as `crun run`), so
    /// there is no `start` and the container is running when `create` returns.
    public var startAtOnce: Bool
    /// `linux.seccomp` as config.json holds it (`Bundle.load`): the seccomp cache's key.
    public var seccompSource: SeccompSource?

    public init(id: String, bundle: String, spec: Spec, stdio: StdioMode = .inherit, pidFile: String? = nil, explain: Bool = false,
                startAtOnce: Bool = false, seccompSource: SeccompSource? = nil) {
        self.id = id
        self.bundle = bundle
        self.spec = spec
        self.stdio = stdio
        self.pidFile = pidFile
        self.explain = explain
        self.startAtOnce = startAtOnce
        self.seccompSource = seccompSource
    }
}

/// Result of running a command inside a running container.
public struct ExecResult: Sendable, Equatable {
    public var exitCode: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var timedOut: Bool
    public init(exitCode: Int32, stdout: [UInt8] = [], stderr: [UInt8] = [], timedOut: Bool = false) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}

/// The container lifecycle, as the OCI CLI, the task engine and the agent use it.
/// The real implementation is `LinuxRuntime`; tests of higher layers use a fake.
public protocol ContainerRuntime: Sendable {
    /// Create the container (cgroup, monitor, init, namespaces, rootfs); it waits on its exec fifo.
    func create(_ request: CreateRequest) throws -> ContainerState
    /// Let a created container exec its process.
    func start(_ id: String) throws
    func state(_ id: String) throws -> ContainerState
    func list() throws -> [ContainerState]
    /// Signal the container's pid 1, or every process in its cgroup with `all`.
    func kill(_ id: String, signal: Int32, all: Bool) throws
    /// Remove a stopped container (or any, with `force`): processes, cgroup, mounts, state.
    func delete(_ id: String, force: Bool) throws
    /// Run `process` inside the running container, capturing output, killing it after `timeout` seconds.
    func exec(_ id: String, process: Spec.Process, timeout: Double?) throws -> ExecResult
    /// The container's own process (user, env, cwd, security settings): what an exec starts from.
    func execTemplate(_ id: String) throws -> Spec.Process
    /// Block until the container has stopped or `timeout` seconds passed; nil on timeout.
    func wait(_ id: String, timeout: Double?) throws -> ExitInfo?
}

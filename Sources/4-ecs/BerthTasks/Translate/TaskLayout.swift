/// Where one task's files live on the host.
///
///     <runRoot>/tasks/<task>/task.json                    task record (for re-adoption)
///     <runRoot>/tasks/<task>/<container>/{rootfs,upper,work}   overlay rootfs (mounted on rootfs)
///     <runRoot>/tasks/<task>/<container>/etc/{hosts,resolv.conf,hostname}
///     <runRoot>/netns/task-<task>                          the task's network namespace (bind mount)
///     <dataRoot>/tasks/<task>/volumes/<volume>             task-scoped volumes (removed at the end)
///     <dataRoot>/tasks/<task>/logs/<container>.{stdout,stderr}.log   logs (kept; awslogs: symlinks into awslogs/)
///     <dataRoot>/awslogs/<group>/<stream>/{stdout,stderr}.log   awslogs output (AWSLogStore, kept until the group is deleted)
///     <dataRoot>/volumes/<volume>                          shared-scope docker volumes (kept)
///     cgroup berth/task-<task>/<container>
public struct TaskLayout: Sendable, Equatable {
    public var taskId: String
    public var runRoot: String
    public var dataRoot: String

    public init(taskId: String, runRoot: String = "/run/berth", dataRoot: String = "/var/lib/berth") {
        self.taskId = taskId
        self.runRoot = runRoot
        self.dataRoot = dataRoot
    }

    public var taskDir: String { "\(runRoot)/tasks/\(taskId)" }
    public var recordPath: String { "\(taskDir)/task.json" }
    public var dataDir: String { "\(dataRoot)/tasks/\(taskId)" }
    public var netnsPath: String { "\(runRoot)/netns/task-\(taskId)" }
    public var cgroupParent: String { "berth/task-\(taskId)" }

    public func containerDir(_ name: String) -> String { "\(taskDir)/\(name)" }
    public func rootfs(_ name: String) -> String { "\(containerDir(name))/rootfs" }
    public func upperDir(_ name: String) -> String { "\(containerDir(name))/upper" }
    public func workDir(_ name: String) -> String { "\(containerDir(name))/work" }
    public func etcFile(_ name: String, _ file: String) -> String { "\(containerDir(name))/etc/\(file)" }
    public func cgroup(_ name: String) -> String { "\(cgroupParent)/\(name)" }
    public func volumeDir(_ volume: String) -> String { "\(dataDir)/volumes/\(volume)" }
    public func sharedVolumeDir(_ volume: String) -> String { "\(dataRoot)/volumes/\(volume)" }
    public func stdoutLog(_ name: String) -> String { "\(dataDir)/logs/\(name).stdout.log" }
    public func stderrLog(_ name: String) -> String { "\(dataDir)/logs/\(name).stderr.log" }
    /// CloudWatch Logs emulation (AWSLogStore); awslogs containers' log files link into it.
    public var awslogsRoot: String { "\(dataRoot)/awslogs" }
}

/// A translation failure with the JSON path of the field at fault.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, for callers that answer each differently (the agent's ECS errors).
    public enum Kind: Sendable, Equatable {
        /// The task definition cannot run on this host as written.
        case definition
        /// An image: not in the store, or its configuration is unusable.
        case image
        /// The host could not set up the task's network namespace or ports.
        case resourceInitialization
        /// No such task, or no running container of that name.
        case notFound
    }

    public var path: String
    public var message: String
    public var kind: Kind
    public init(_ path: String, _ message: String, kind: Kind = .definition) {
        self.path = path
        self.message = message
        self.kind = kind
    }
    public var description: String { "\(path): \(message)" }
}

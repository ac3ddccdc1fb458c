import BerthCgroups
import BerthECS
import BerthImages
import BerthInit
import BerthRuntime
import BerthSecrets
import BerthSys
import Synchronization

/// Many tasks on this host, keyed by the caller's id (the agent uses the task ARN): launch,
/// stop, observe, adopt after a restart, release, logs, stats, exec. The agent's `TaskEngine`
/// is a thin adapter over this.
public final class HostTaskEngine: Sendable {
    public let runRoot: String
    public let dataRoot: String
    public let images: ImageStore
    public let cgroups: any CgroupDriver
    public let runtime: any ContainerRuntime
    public let initBinary: String?
    /// pids.max of every container (`PidsLimit`).
    public let pidsLimit: Int64
    /// The store plus, when a registry is configured, the pull coordinator and policy.
    public let imageSource: TaskImageSource
    /// The local Secrets Manager and Parameter Store that task secrets resolve against; nil: none
    /// configured (a task with secrets then fails to start).
    public let secrets: SecretResolver?
    /// The agent's region: an awslogs-region naming another one is refused (nil: any, as `berth run`).
    public let awslogsRegion: String?
    let tasks = Mutex<[String: Entry]>([:])

    struct Entry: Sendable {
        var runner: TaskRunner
        var layout: TaskLayout
        var names: [String]
    }

    public init(runRoot: String = "/run/berth", dataRoot: String = "/var/lib/berth", images: ImageStore,
                cgroups: any CgroupDriver, runtime: any ContainerRuntime, initBinary: String?, pidsLimit: Int64 = PidsLimit.defaultLimit,
                imageSource: TaskImageSource? = nil, secrets: SecretResolver? = nil, awslogsRegion: String? = nil) {
        self.secrets = secrets
        self.awslogsRegion = awslogsRegion
        self.runRoot = runRoot
        self.dataRoot = dataRoot
        self.images = images
        self.imageSource = imageSource ?? TaskImageSource(store: images)
        self.cgroups = cgroups
        self.runtime = runtime
        self.initBinary = initBinary
        self.pidsLimit = pidsLimit
    }

    func layout(_ taskId: String) -> TaskLayout { TaskLayout(taskId: taskId, runRoot: runRoot, dataRoot: dataRoot) }

    /// RunTask's overrides are applied here, once, to the registered definition (BerthECS's `applying`).
    func prepared(_ taskId: String, _ registered: TaskDefinitionInput, _ overrides: TaskOverride?,
                  images provisioned: ProvisionedImages? = nil, secrets: TaskSecrets = .none,
                  environment: [String: [(name: String, value: String)]] = [:], nameserver: String? = nil) throws -> (TaskPlan, [ContainerPrep], TaskHost) {
        let layout = layout(taskId)
        let td = overrides.map(registered.applying) ?? registered
        var planner = TaskPlanner(images: images, layout: layout, initBinary: initBinary, pidsLimit: pidsLimit)
        planner.awslogsRegion = awslogsRegion
        planner.extraEnvironment = environment
        planner.taskNameserver = nameserver
        let (plan, preps) = try planner.plan(td, provisioned: provisioned, secrets: secrets)
        var host = TaskHost(layout: layout, networkMode: td.effectiveNetworkMode, cgroups: cgroups, resources: TaskPlanner.taskResources(td))
        host.ports = PublishedPort.from(td)
        return (plan, preps, host)
    }

    /// Resolve the task's secrets and secret registry credentials (`TaskSecrets.resolve`):
    /// throws ECS's ResourceInitializationError for the first that cannot be resolved.
    public func resolveSecrets(_ registered: TaskDefinitionInput, overrides: TaskOverride? = nil) throws -> TaskSecrets {
        try TaskSecrets.resolve(overrides.map(registered.applying) ?? registered, with: secrets)
    }

    /// Fetch a task's images as the pull policy says (blocks while pulling; concurrent tasks
    /// share pulls of the same image). Nothing of the task exists yet; see `TaskImageSource.provision`.
    public func provisionImages(_ registered: TaskDefinitionInput, overrides: TaskOverride? = nil,
                                onPullStart: @Sendable (Double) -> Void = { _ in },
                                willPull: (String) -> Void = { _ in }, secrets: TaskSecrets = .none) throws -> ProvisionedImages {
        try imageSource.provision(overrides.map(registered.applying) ?? registered, onPullStart: onPullStart, willPull: willPull, secrets: secrets)
    }

    /// Plan, prepare the host and start a task. Throws (with nothing left behind) if it cannot begin.
    /// `images`: from `provisionImages`; nil = the images in the store, resolved now.
    /// `environment`: variables added to each container (`SpecBuilder.extraEnvironment`);
    /// `networkReady`: called once the task's host resources exist and before any container
    /// starts (the task metadata endpoint is opened there); a throw fails the launch.
    /// `nameserver`: `SpecBuilder.taskNameserver` (the agent's in-task resolver).
    public func launch(key: String, taskId: String, taskDefinition td: TaskDefinitionInput, overrides: TaskOverride? = nil,
                       images: ProvisionedImages? = nil, secrets: TaskSecrets = .none,
                       environment: [String: [(name: String, value: String)]] = [:], nameserver: String? = nil,
                       networkReady: (TaskHost) throws -> Void = { _ in },
                       onEvent: @escaping @Sendable (TaskEvent) -> Void = { _ in }) throws {
        var (plan, preps, host) = try prepared(taskId, td, overrides, images: images, secrets: secrets, environment: environment, nameserver: nameserver)
        do {
            plan.setNetworkBindings(try host.prepare(preps))
            try networkReady(host)
        } catch {
            _ = host.cleanup(containerNames: plan.containers.map(\.name))
            throw error
        }
        let runner = TaskRunner(plan: plan, runtime: runtime, host: host, onEvent: onEvent)
        tasks.withLock { $0[key] = Entry(runner: runner, layout: host.layout, names: plan.containers.map(\.name)) }
        runner.start()
    }

    /// Re-attach to a task whose record survived (same boot). nil if nothing is left of it.
    /// `stop`: a stop the caller acknowledged before it went away, carried out with that code
    /// and reason even if the task's record was written before the stop reached it.
    public func adopt(key: String, taskId: String, taskDefinition td: TaskDefinitionInput, overrides: TaskOverride? = nil,
                      stop: (code: StopCode, reason: String)? = nil,
                      onEvent: @escaping @Sendable (TaskEvent) -> Void = { _ in }) -> TaskSnapshot? {
        let layout = layout(taskId)
        // Secrets as they are now, for containers the runner restarts (those running keep theirs);
        // one that can no longer be resolved leaves its variable unset rather than losing the task.
        let secrets = (try? resolveSecrets(td, overrides: overrides)) ?? .none
        guard let record = TaskRunner.record(layout), let ready = try? prepared(taskId, td, overrides, secrets: secrets) else { return nil }
        var plan = ready.0
        let host = ready.2
        for i in plan.containers.indices { plan.containers[i].networkBindings = record.container(plan.containers[i].name)?.networkBindings ?? [] }
        let runner = TaskRunner(adopting: plan, record: record, stop: stop, runtime: runtime, host: host, onEvent: onEvent)
        tasks.withLock { $0[key] = Entry(runner: runner, layout: layout, names: plan.containers.map(\.name)) }
        runner.start()
        return runner.snapshot()
    }

    public func stop(key: String, code: StopCode = .userInitiated, reason: String) {
        entry(key)?.runner.stop(code, reason: reason)
    }

    public func snapshot(key: String) -> TaskSnapshot? { entry(key)?.runner.snapshot() }

    public func snapshots() -> [String: TaskSnapshot] {
        tasks.withLock { $0 }.mapValues { $0.runner.snapshot() }
    }

    /// Forget a stopped task and delete its logs.
    public func release(key: String) {
        guard let e = tasks.withLock({ $0.removeValue(forKey: key) }) else { return }
        try? Files.removeTree(e.layout.dataDir)
    }

    public func logs(key: String, container: String?) throws -> [LogLine] {
        guard let e = entry(key) else { throw TranslationError(key, "unknown task", kind: .notFound) }
        let names = e.names.filter { container == nil || $0 == container }
        let follower = LogFollower(names.flatMap { [($0, e.layout.stdoutLog($0)), ($0, e.layout.stderrLog($0))] })
        return follower.poll()
    }

    public func stats(key: String) throws -> [(name: String, stats: CgroupStats)] {
        guard let e = entry(key) else { throw TranslationError(key, "unknown task", kind: .notFound) }
        return Self.stats(layout: e.layout, names: e.names, cgroups: cgroups)
    }

    /// Each container's cgroup counters (`berth run` reads its one task's the same way).
    public static func stats(layout: TaskLayout, names: [String], cgroups: any CgroupDriver) -> [(name: String, stats: CgroupStats)] {
        names.compactMap { name in
            guard let path = try? CgroupPath(layout.cgroup(name)), let s = try? cgroups.stats(path) else { return nil }
            return (name, s)
        }
    }

    /// Per container: memory.stat and the user/kernel CPU split (`CgroupDetail`).
    public func cgroupDetail(key: String) -> [String: CgroupDetail] {
        guard let e = entry(key) else { return [:] }
        return Self.cgroupDetail(layout: e.layout, names: e.names, cgroups: cgroups)
    }

    public static func cgroupDetail(layout: TaskLayout, names: [String], cgroups: any CgroupDriver) -> [String: CgroupDetail] {
        var out: [String: CgroupDetail] = [:]
        for name in names {
            guard let path = try? CgroupPath(layout.cgroup(name)), cgroups.exists(path) else { continue }
            out[name] = CgroupDetail.read(directories: cgroups.directories(path))
        }
        return out
    }

    /// Counters of the task's network interfaces, read in its namespace through a container's
    /// /proc/<pid>/net/dev ([] for host networking or when no container runs).
    public func networkCounters(key: String) -> String? {
        guard let e = entry(key) else { return nil }
        return Self.networkCounters(runner: e.runner, runtime: runtime)
    }

    public static func networkCounters(runner: TaskRunner, runtime: any ContainerRuntime) -> String? {
        for c in runner.snapshot().containers where c.lastStatus == .running {
            guard let pid = try? runtime.state(c.runtimeId).pid, pid > 0, let text = try? Files.read("/proc/\(pid)/net/dev") else { continue }
            return text
        }
        return nil
    }

    /// Run `command` in a running container as `docker exec` does: with the container's user,
    /// environment, working directory and security settings.
    public func exec(key: String, container: String, command: [String], timeout: Double) throws -> ExecResult {
        let id = try runningContainer(key: key, container: container)
        var process = try runtime.execTemplate(id)
        process.args = command
        return try runtime.exec(id, process: process, timeout: timeout)
    }

    /// The runtime id of a running container of the task.
    public func runningContainer(key: String, container: String) throws -> String {
        guard let e = entry(key) else { throw TranslationError(key, "unknown task", kind: .notFound) }
        guard let c = e.runner.snapshot().container(container), c.lastStatus == .running else {
            throw TranslationError(container, "container is not running", kind: .notFound)
        }
        return c.runtimeId
    }

    func entry(_ key: String) -> Entry? { tasks.withLock { $0[key] } }
}

import BerthCgroups
import BerthRuntime
import BerthSys
import Foundation
import Testing

/// A real `berth agent` (real engine) in a private world: temp state dir, unix socket, random
/// loopback port, runtime root and image store with busybox:latest. `cleanUp()` kills the agent
/// and removes every container, mount, cgroup and netns the agent made under that world.
final class AgentRealHarness: @unchecked Sendable {
    let root: String
    var stateDir: String { root + "/state" }
    var runRoot: String { root + "/run" }
    var images: String { root + "/images" }
    var socket: String { root + "/agent.sock" }
    var agent: Process?
    var agentErr = TaskHarness.Buffer()
    var retention: Int?
    /// More `berth agent` arguments (e.g. `--time-scale 0.05` for service tests).
    var extraAgentArgs: [String] = []
    /// More environment for the next `startAgent` (e.g. BERTH_TEST_PAUSE).
    var agentEnvironment: [String: String] = [:]
    /// Hermetic: the agent uses the images in the test's store as they are (never pulled again from
    /// Docker Hub, as ECS's default policy would try), unless a test sets a policy.
    var hermeticPull: [String] {
        extraAgentArgs.contains("--image-pull-behavior") || agentEnvironment["ECS_IMAGE_PULL_BEHAVIOR"] != nil
            ? [] : ["--image-pull-behavior", "prefer-cached"]
    }
    /// Every task id this harness started (cleaned up even if their runtime dirs are gone).
    var launched: [String] = []
    /// The agent's TCP endpoint (`http://127.0.0.1:PORT`, from its `listening` line) once started.
    var endpoint: String?

    init(retention: Int? = nil) throws {
        try #require(getuid() == 0, "agent integration tests run real containers and must run as root")
        try #require(Files.exists(TaskHarness.berth), "build first: \(TaskHarness.berth) is missing")
        root = "/tmp/berth-agenttest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.retention = retention
        try Files.makeDirectories(root)
        let r = try TaskHarness.exec(["/bin/bash", TaskHarness.repoRoot + "/Scripts/make-busybox-image.sh", "--store", images], timeout: 120)
        try #require(r.status == 0, "make-busybox-image.sh failed: \(r.stderr)")
    }

    // MARK: agent process

    /// Start the agent and wait until it serves (its `listening HOST:PORT` line).
    func startAgent() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TaskHarness.berth)
        // --metadata-listen on a free port: agents of tests running at once must not share 51679.
        p.arguments = ["agent", "--state-dir", stateDir, "--socket", socket, "--listen", "127.0.0.1:0", "--metadata-listen", "127.0.0.1:0", "--run-root", runRoot,
                       "--images", images] + (retention.map { ["--stopped-task-retention", String($0)] } ?? []) + hermeticPull + extraAgentArgs
        if !agentEnvironment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(agentEnvironment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let o = TaskHarness.Buffer(), e = TaskHarness.Buffer()
        out.fileHandleForReading.readabilityHandler = { o.append($0.availableData) }
        err.fileHandleForReading.readabilityHandler = { e.append($0.availableData) }
        agentErr = e
        try p.run()
        agent = p
        let deadline = Date().addingTimeInterval(30)
        while !o.text.contains("listening 127.0.0.1:") {
            guard p.isRunning, Date() < deadline else {
                Issue.record("agent did not start: \(e.text)")
                throw CancellationError()
            }
            usleep(20_000)
        }
        if let line = o.text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) {
            endpoint = "http://" + line.dropFirst("listening ".count).trimmingCharacters(in: .whitespaces)
        }
    }

    /// SIGKILL (or another signal) the agent and reap it.
    func killAgent(_ signal: Int32 = SIGKILL) {
        guard let p = agent else { return }
        if p.isRunning { kill(p.processIdentifier, signal) }
        p.waitUntilExit()
        agent = nil
    }

    // MARK: CLI

    /// `berth COMMAND SUBCOMMAND --socket S ARGS...`, returning its result (the socket goes
    /// before the arguments so that it never lands after a `--`).
    @discardableResult
    func cli(_ args: [String], timeout: Double = 60) throws -> TaskHarness.Result {
        let head = Array(args.prefix(2)), tail = Array(args.dropFirst(2))
        return try TaskHarness.exec([TaskHarness.berth] + head + ["--socket", socket] + tail, timeout: timeout)
    }

    /// `berth ARGS --socket S --output json`, parsed; records an issue on failure.
    func json(_ args: [String]) throws -> [String: Any] {
        let r = try cli(args + ["--output", "json"])
        try #require(r.status == 0, "berth \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)\nthe agent's log ends:\n\(String(agentErr.text.suffix(4000)))")
        return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "not JSON: \(r.stdout)")
    }

    func register(_ json: String) throws {
        let path = root + "/td-\(UInt32.random(in: 0...UInt32.max)).json"
        try Files.writeAtomically(path, Array(json.utf8))
        let r = try cli(["taskdef", "register", path])
        try #require(r.status == 0, "register failed: \(r.stderr)")
    }

    /// `berth task run FAMILY --wait`; the task ARNs.
    func run(_ family: String, count: Int = 1) throws -> [String] {
        let out = try json(["task", "run", family, "--wait", "--count", String(count)])
        let tasks = out["tasks"] as? [[String: Any]] ?? []
        let arns = tasks.compactMap { $0["taskArn"] as? String }
        launched += arns.map(Self.taskId)
        return arns
    }

    func describe(_ arn: String) throws -> [String: Any] {
        let out = try json(["task", "describe", arn])
        return try #require((out["tasks"] as? [[String: Any]])?.first, "task \(arn) not described: \(out)")
    }

    /// Poll DescribeTasks until `done` holds (or fail after `timeout`).
    @discardableResult
    func waitFor(_ arn: String, timeout: Double = 60, _ what: String, _ done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try describe(arn)
            if done(last) { return last }
            usleep(200_000)
        }
        Issue.record("task \(arn) did not reach \(what) within \(timeout)s: \(last)")
        throw CancellationError()
    }

    // MARK: host facts

    static func taskId(_ arn: String) -> String { String(arn.split(separator: "/").last ?? "") }
    static func container(_ task: [String: Any], _ name: String) -> [String: Any]? {
        (task["containers"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    /// Runtime state directories (one per container) in this world's runtime root.
    func runtimeContainers() -> [String] {
        ((try? Files.list(runRoot)) ?? []).filter { !$0.hasPrefix(".") && $0 != "tasks" && $0 != "netns" && Files.isDirectory(runRoot + "/" + $0) }.sorted()
    }

    func netnsFiles() -> [String] { (try? Files.list(runRoot + "/netns")) ?? [] }

    func mounts() -> [String] {
        let info = (try? Files.read("/proc/self/mountinfo")) ?? ""
        return info.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            return f.count > 4 && f[4].hasPrefix(root) ? String(f[4]) : nil
        }
    }

    /// Processes other than the agent whose command line names this world (monitors, init, port proxies).
    func processes() -> [String] {
        let agentPid = agent?.processIdentifier ?? -1
        return ((try? Files.list("/proc")) ?? []).compactMap { name -> String? in
            guard let pid = Int32(name), pid != agentPid, pid != getpid(),
                  let raw = try? Files.readBytes("/proc/\(name)/cmdline") else { return nil }
            let cmd = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return cmd.contains(root) ? "\(pid) \(cmd)" : nil
        }
    }

    /// Every mounted hierarchy (v1 controllers such as blkio and devices included, and the v2
    /// tree): a list of names missed the ones this host mounts under other names.
    static var hierarchies: [String] {
        ((try? Files.list("/sys/fs/cgroup")) ?? []).filter { Files.isDirectory("/sys/fs/cgroup/" + $0) }.sorted()
    }

    /// Cgroup directories of a task, in every hierarchy (berth/task-<id> and below).
    static func cgroupDirs(_ taskId: String) -> [String] {
        var out: [String] = []
        for h in hierarchies {
            let dir = "/sys/fs/cgroup/\(h)/berth/task-\(taskId)"
            guard Files.isDirectory(dir) else { continue }
            out.append(dir)
            for child in (try? Files.list(dir)) ?? [] where Files.isDirectory(dir + "/" + child) { out.append(dir + "/" + child) }
        }
        return out
    }

    /// Nothing of these tasks is left on the host.
    func expectNothingLeft(_ arns: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(runtimeContainers().isEmpty, "runtime state dirs left: \(runtimeContainers())", sourceLocation: sourceLocation)
        #expect(mounts().isEmpty, "mounts left: \(mounts())", sourceLocation: sourceLocation)
        #expect(netnsFiles().isEmpty, "netns left: \(netnsFiles())", sourceLocation: sourceLocation)
        #expect(((try? Files.list(runRoot + "/tasks")) ?? []).isEmpty, "task dirs left", sourceLocation: sourceLocation)
        #expect(processes().isEmpty, "processes left (monitors, containers): \(processes())", sourceLocation: sourceLocation)
        for arn in arns {
            let dirs = Self.cgroupDirs(Self.taskId(arn))
            #expect(dirs.isEmpty, "cgroups left: \(dirs)", sourceLocation: sourceLocation)
        }
    }

    // MARK: cleanup

    /// Kill the agent and remove every container, mount, cgroup and netns of this world.
    func cleanUp() {
        killAgent()
        if let cgroups = try? Cgroups.driver() {
            let runtime = LinuxRuntime(root: runRoot, cgroups: cgroups, berthPath: TaskHarness.berth)
            for id in runtimeContainers() { try? runtime.delete(id, force: true) }
            // Port proxies of tasks whose teardown never ran (only processes of this world).
            for p in processes() { if let pid = p.split(separator: " ").first.flatMap({ Int32($0) }) { kill(pid, SIGKILL) } }
            for id in Set(launched + ((try? Files.list(runRoot + "/tasks")) ?? [])) {
                if let path = try? CgroupPath("berth/task-\(id)"), cgroups.exists(path) { try? cgroups.remove(path) }
            }
        }
        for m in mounts().reversed() { umount2(m, Int32(MNT_DETACH)) }
        try? Files.removeTree(root)
    }
}

import BerthSys
import Foundation
import Testing

/// `berth agent` with the real engine: ECS tasks as real containers, driven through the berth
/// CLI over the agent's unix socket, and the agent's durability across SIGKILL.
@Suite(.serialized) struct AgentRealTests {
    static let basic = """
        {"family":"agent-basic","memory":"128","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "stopTimeout":10,"command":["sh","-c","echo hello from agent; trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"]}]}
        """
    /// Runs until stopped; its health check appends a timestamp to /tmp/hc in the container.
    static let long = """
        {"family":"agent-long","memory":"128","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "stopTimeout":2,"command":["sh","-c","while true; do sleep 1; done"],
         "healthCheck":{"command":["CMD-SHELL","date +%s >> /tmp/hc"],"interval":5,"timeout":3,"retries":3}}]}
        """
    /// Exits with code 3 after about 4 s.
    static let short = """
        {"family":"agent-short","memory":"128","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "command":["sh","-c","echo short lived; sleep 4; exit 3"]}]}
        """

    /// Wait (bounded) until the host resources of these tasks are gone, then assert it.
    func expectCleaned(_ h: AgentRealHarness, _ arns: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let left = h.runtimeContainers().count + h.mounts().count + h.netnsFiles().count + h.processes().count
                + ((try? Files.list(h.runRoot + "/tasks")) ?? []).count + arns.flatMap { AgentRealHarness.cgroupDirs(AgentRealHarness.taskId($0)) }.count
            if left == 0 { break }
            usleep(200_000)
        }
        h.expectNothingLeft(arns, sourceLocation: sourceLocation)
    }

    @Test func runDescribeLogsExecStatsStop() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.basic)
        let arns = try h.run("agent-basic")
        let arn = try #require(arns.first)
        #expect(arns.count == 1)

        let running = try h.describe(arn)
        #expect(running["lastStatus"] as? String == "RUNNING")
        #expect(running["desiredStatus"] as? String == "RUNNING")
        #expect(running["startedAt"] != nil && running["connectivityAt"] != nil)
        // busybox came from the local store, not a registry: as ECS for a cached image, no pull times.
        #expect(running["pullStartedAt"] == nil && running["pullStoppedAt"] == nil, "\(running)")
        let app = try #require(AgentRealHarness.container(running, "app"))
        #expect(app["lastStatus"] as? String == "RUNNING")
        #expect(app["runtimeId"] as? String == "\(AgentRealHarness.taskId(arn))-app")
        #expect((app["imageDigest"] as? String)?.hasPrefix("sha256:") == true, "\(app)")
        #expect(h.runtimeContainers() == ["\(AgentRealHarness.taskId(arn))-app"])

        // logs (the container's first line arrives through the monitor's log file)
        var logs = ""
        for _ in 0..<50 where !logs.contains("hello from agent") {
            logs = try h.cli(["task", "logs", arn]).stdout
            usleep(100_000)
        }
        #expect(logs.contains("app | hello from agent"), "logs: \(logs)")

        // exec: output and exit status of a command inside the running container
        let e = try h.cli(["task", "exec", arn, "--", "sh", "-c", "echo $((6*7)); echo oops >&2; exit 5"])
        #expect(e.status == 5)
        #expect(e.stdout == "42\n")
        #expect(e.stderr.contains("oops"))

        // stats from the container's cgroups
        let stats = try h.json(["task", "stats", arn])
        let cs = try #require((stats["containers"] as? [[String: Any]])?.first)
        #expect(cs["name"] as? String == "app")
        #expect((cs["pids"] as? Int ?? 0) >= 1)
        #expect((cs["memoryBytes"] as? Int ?? 0) > 0)
        #expect(cs["memoryLimitBytes"] as? Int == 128 << 20, "the task's 128 MiB limit: \(cs)")
        let table = try h.cli(["task", "stats", arn, "--no-stream"])
        #expect(table.status == 0 && table.stdout.contains("CPU %") && table.stdout.contains("/ 128.0MiB"), "\(table.stdout)\(table.stderr)")
        // No task named: every running task of the cluster.
        let every = try h.cli(["task", "stats", "--no-stream"])
        #expect(every.status == 0 && every.stdout.contains("/ 128.0MiB") && every.stdout.contains("app"), "\(every.stdout)\(every.stderr)")
        // Without --no-stream it refreshes every second, like docker stats (SIGKILL: children of
        // the test runner inherit a blocked SIGTERM).
        let stream = try TaskHarness.exec(["/usr/bin/timeout", "-s", "KILL", "3.5", TaskHarness.berth, "task", "stats", "--socket", h.socket, arn], timeout: 30)
        #expect(stream.stdout.components(separatedBy: "CPU %").count - 1 >= 2, "stats did not refresh: \(stream.stdout)")

        // stop: SIGTERM, the trap exits 0
        let s = try h.cli(["task", "stop", arn])
        #expect(s.status == 0, "\(s.stderr)")
        let stopped = try h.waitFor(arn, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(stopped["desiredStatus"] as? String == "STOPPED")
        #expect(stopped["stopCode"] as? String == "UserInitiated")
        #expect(stopped["stoppedReason"] as? String == "Task stopped by user")
        #expect(stopped["stoppedAt"] != nil && stopped["executionStoppedAt"] != nil && stopped["stoppingAt"] != nil)
        let c = try #require(AgentRealHarness.container(stopped, "app"))
        #expect(c["lastStatus"] as? String == "STOPPED")
        #expect(c["exitCode"] as? Int == 0)
        #expect(try h.cli(["task", "logs", arn]).stdout.contains("app | bye"))
        expectCleaned(h, arns)

        let ls = try h.json(["task", "ls", "--desired-status", "STOPPED"])
        #expect((ls["tasks"] as? [[String: Any]])?.count == 1)
        h.killAgent(SIGTERM)
    }

    /// `berth task logs -f` follows a real container until the task stops, each line once.
    @Test func logsFollowPrintsEachLineOnceAndEndsWhenTheTaskStops() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register("""
            {"family":"agent-count","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
             "command":["sh","-c","for i in 1 2 3 4 5 6; do echo line $i; sleep 0.5; done"]}]}
            """)
        let arn = try #require(try h.run("agent-count").first)
        let r = try h.cli(["task", "logs", arn, "-f"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines == (1...6).map { "app | line \($0)" }, "\(r.stdout)")
        let t = try h.waitFor(arn, timeout: 10, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(AgentRealHarness.container(t, "app")?["exitCode"] as? Int == 0)
        expectCleaned(h, [arn])
    }

    /// An image missing from the store: the task stops at once as TaskFailedToStart with the
    /// ECS-style reason, and nothing is left on the host.
    @Test func unknownImageStopsTheTaskWithCannotPullContainerError() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register("""
            {"family":"agent-noimage","memory":"64","containerDefinitions":[{"name":"app","image":"no-such-image:1.0","essential":true}]}
            """)
        let arn = try #require(try h.run("agent-noimage").first)
        let t = try h.waitFor(arn, timeout: 10, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(t["stopCode"] as? String == "TaskFailedToStart")
        let reason = t["stoppedReason"] as? String ?? ""
        #expect(reason.hasPrefix("CannotPullContainerError: ") && reason.contains("no-such-image:1.0"), "\(reason)")
        expectCleaned(h, [arn])
    }

    /// THE durability test: SIGKILL the agent while two tasks run, let one exit meanwhile,
    /// restart it and check nothing was lost, duplicated or left behind.
    @Test func sigkilledAgentReadoptsRunningTasksAndReportsExitsThatHappenedMeanwhile() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.long)
        try h.register(Self.short)
        let long = try #require(try h.run("agent-long").first)
        let short = try #require(try h.run("agent-short").first)
        let longId = AgentRealHarness.taskId(long), shortId = AgentRealHarness.taskId(short)
        #expect(try h.describe(long)["lastStatus"] as? String == "RUNNING")
        #expect(try h.describe(short)["lastStatus"] as? String == "RUNNING")
        let longPid = try containerPid(h, longId)

        h.killAgent(SIGKILL)
        // The short task's container exits while no agent runs; its monitor records the exit.
        let exitFile = h.runRoot + "/\(shortId)-app/exit.json"
        let deadline = Date().addingTimeInterval(30)
        while !Files.exists(exitFile) && Date() < deadline { usleep(100_000) }
        try #require(Files.exists(exitFile), "the short container's monitor did not record its exit")
        #expect(kill(longPid, 0) == 0, "the long task's container died with the agent")

        let restartedAt = Date().timeIntervalSince1970
        try h.startAgent()
        #expect(h.agentErr.text.contains("adopted task \(long)"), "agent log: \(h.agentErr.text)")

        // The long task: same ARN, still RUNNING, same process, one container, health resumes.
        let l = try h.describe(long)
        #expect(l["lastStatus"] as? String == "RUNNING")
        #expect(l["taskArn"] as? String == long)
        #expect(try containerPid(h, longId) == longPid, "the long task's container was restarted")
        #expect(h.runtimeContainers().filter { $0.hasPrefix(longId) } == ["\(longId)-app"])
        let monitors = h.processes().filter { $0.contains("berth-monitor") && $0.contains(longId) }
        #expect(monitors.count == 1, "one monitor for the one container: \(monitors)")
        #expect(AgentRealHarness.cgroupDirs(longId).filter { $0.hasPrefix("/sys/fs/cgroup/memory/") }.count == 2, "task + app cgroup only")
        let ls = try h.json(["task", "ls"])
        #expect((ls["tasks"] as? [[String: Any]])?.compactMap { $0["taskArn"] as? String } == [long])
        var resumed = false
        for _ in 0..<60 where !resumed {
            let out = try h.cli(["task", "exec", long, "--", "cat", "/tmp/hc"]).stdout
            resumed = out.split(separator: "\n").contains { Double($0).map { $0 >= restartedAt.rounded(.down) } ?? false }
            if !resumed { usleep(250_000) }
        }
        #expect(resumed, "no health check ran after the agent restarted")
        try h.waitFor(long, timeout: 20, "HEALTHY") { $0["healthStatus"] as? String == "HEALTHY" }

        // The short task: STOPPED with its real exit code and the ECS reason.
        let s = try h.waitFor(short, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(s["stopCode"] as? String == "EssentialContainerExited")
        #expect(s["stoppedReason"] as? String == "Essential container in task exited")
        #expect(AgentRealHarness.container(s, "app")?["exitCode"] as? Int == 3)
        let exitedAt = try #require(s["executionStoppedAt"] as? Double)
        #expect(exitedAt < restartedAt, "executionStoppedAt is when the container exited, not when the agent noticed")
        #expect(try h.cli(["task", "logs", short]).stdout.contains("short lived"))

        // Stop everything; nothing of either task is left on the host.
        _ = try h.cli(["task", "stop", long])
        let ls2 = try h.waitFor(long, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(AgentRealHarness.container(ls2, "app")?["exitCode"] as? Int == 137, "sh ignores SIGTERM: SIGKILL after stopTimeout")
        expectCleaned(h, [long, short])
        #expect(kill(longPid, 0) != 0)
    }

    /// The agent died after the task ended and was cleaned up but before it recorded the end:
    /// the engine's final record (kept with the logs) still gives the real exit code.
    @Test func taskThatEndedJustBeforeTheAgentDiedKeepsItsExitCode() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.short)
        let arn = try #require(try h.run("agent-short").first)
        try h.waitFor(arn, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        expectCleaned(h, [arn])
        h.killAgent(SIGKILL)
        // Make the agent's record look as if the end had never been merged.
        let file = h.stateDir + "/state/tasks/\(AgentRealHarness.taskId(arn)).json"
        var record = try #require(JSONSerialization.jsonObject(with: Data(try Files.readBytes(file))) as? [String: Any])
        var task = try #require(record["task"] as? [String: Any])
        task["lastStatus"] = "RUNNING"
        task["desiredStatus"] = "RUNNING"
        for key in ["stopCode", "stoppedReason", "stoppingAt", "executionStoppedAt", "stoppedAt"] { task[key] = nil }
        task["containers"] = (task["containers"] as? [[String: Any]] ?? []).map { c -> [String: Any] in
            var c = c
            c["lastStatus"] = "RUNNING"
            c["exitCode"] = nil
            return c
        }
        record["task"] = task
        try Files.writeAtomically(file, Array(try JSONSerialization.data(withJSONObject: record)))

        try h.startAgent()
        let t = try h.describe(arn)
        #expect(t["lastStatus"] as? String == "STOPPED")
        #expect(t["stopCode"] as? String == "EssentialContainerExited")
        #expect(AgentRealHarness.container(t, "app")?["exitCode"] as? Int == 3)
    }

    /// A corrupt agent state file and a truncated runtime record: reported, set aside, the
    /// tasks they described stopped and cleaned up, and the agent keeps serving.
    @Test func corruptStateFilesAreSetAsideAndTheirTasksCleanedUp() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.long)
        let arns = try h.run("agent-long", count: 2)
        try #require(arns.count == 2)
        let (a, b) = (arns[0], arns[1])
        h.killAgent(SIGKILL)

        // a: the agent's own record is garbage; b: the engine's runtime record is truncated.
        let stateFile = h.stateDir + "/state/tasks/\(AgentRealHarness.taskId(a)).json"
        try #require(Files.exists(stateFile))
        try Files.writeAtomically(stateFile, Array("{\"taskArn\": \"arn:aws:ecs:us-e".utf8))
        let record = h.runRoot + "/tasks/\(AgentRealHarness.taskId(b))/task.json"
        try #require(Files.exists(record))
        try Files.writeAtomically(record, Array("{\"taskId\":".utf8))

        try h.startAgent()
        // stderr is read by its own handler: the lines written before "listening" on stdout may
        // arrive a moment after it.
        let logDeadline = Date().addingTimeInterval(10)
        while !(h.agentErr.text.contains("is unreadable") && h.agentErr.text.contains("no record of it")) && Date() < logDeadline { usleep(50_000) }
        let log = h.agentErr.text
        #expect(log.contains("is unreadable"), "agent log: \(log)")
        #expect(log.contains("no record of it"), "agent log: \(log)")
        let aside = (try? Files.list(h.stateDir + "/state/tasks")) ?? []
        #expect(aside.contains { $0.hasPrefix(AgentRealHarness.taskId(a)) && $0.contains(".corrupt-") })

        // a is unknown to the agent now, and its containers are gone.
        let failures = try h.cli(["task", "describe", a, "--output", "json"])
        #expect(failures.status != 0 && failures.stdout.contains("MISSING"))
        // b is reported STOPPED (its record was lost), and nothing of it runs.
        let sb = try h.waitFor(b, timeout: 10, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(sb["stopCode"] != nil)
        expectCleaned(h, arns)
        // The agent still serves and runs new tasks.
        let c = try #require(try h.run("agent-long").first)
        #expect(try h.describe(c)["lastStatus"] as? String == "RUNNING")
        _ = try h.cli(["task", "stop", c])
        try h.waitFor(c, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        expectCleaned(h, [c])
    }

    /// Stopped tasks are kept for the retention period, then pruned with their logs.
    @Test func stoppedTasksArePrunedWithTheirLogsAfterRetention() throws {
        let h = try AgentRealHarness(retention: 1)
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.short)
        let arn = try #require(try h.run("agent-short").first)
        try h.waitFor(arn, timeout: 30, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        let logs = h.stateDir + "/tasks/\(AgentRealHarness.taskId(arn))"
        #expect(Files.exists(logs + "/logs"))
        let deadline = Date().addingTimeInterval(40)
        var gone = false
        while !gone && Date() < deadline {
            let r = try h.cli(["task", "describe", arn])
            gone = r.status != 0 && !Files.exists(logs)
            if !gone { usleep(500_000) }
        }
        #expect(gone, "the stopped task or its logs were not pruned")
        expectCleaned(h, [arn])
    }

    /// The container's PID 1 as the runtime recorded it.
    func containerPid(_ h: AgentRealHarness, _ taskId: String) throws -> Int32 {
        let text = try Files.read(h.runRoot + "/\(taskId)-app/state.json")
        let obj = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return try #require((obj["pid"] as? Int).map(Int32.init), "no pid in \(text)")
    }
}

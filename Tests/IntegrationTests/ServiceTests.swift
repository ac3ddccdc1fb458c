import BerthSys
import Foundation
import Testing

/// ECS services on `berth agent` with the real engine: every task is a real busybox container.
/// The controller runs with `--time-scale 0.05` (40 s healthy rule → 2 s, throttle delays from
/// 0.5 s); container health checks run at their real interval (5 s, ECS's minimum).
@Suite(.serialized) struct AgentServiceTests {
    static let scale = "0.05"

    static let sleeper = """
        {"family":"svc-sleep","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "stopTimeout":2,"command":["sh","-c","trap 'exit 0' TERM; while true; do sleep 1; done"]}]}
        """
    static func checked(_ family: String, _ marker: String, healthy: Bool) -> String {
        """
        {"family":"\(family)","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "stopTimeout":2,"command":["sh","-c","trap 'exit 0' TERM; echo \(marker); while true; do sleep 1; done"],
         "healthCheck":{"command":["CMD-SHELL","\(healthy ? "true" : "exit 1")"],"interval":5,"timeout":2,"retries":1}}]}
        """
    }
    static let crasher = """
        {"family":"svc-crash","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "command":["sh","-c","exit 1"]}]}
        """

    func world() throws -> AgentRealHarness {
        let h = try AgentRealHarness()
        h.extraAgentArgs = ["--time-scale", Self.scale]
        return h
    }

    // MARK: helpers

    func service(_ h: AgentRealHarness, _ name: String) throws -> [String: Any] {
        let out = try h.json(["service", "describe", name])
        return try #require((out["services"] as? [[String: Any]])?.first, "service \(name) not described: \(out)")
    }

    /// Tasks of the service (desired RUNNING, or STOPPED), described.
    func tasks(_ h: AgentRealHarness, _ name: String, stopped: Bool = false) throws -> [[String: Any]] {
        let ls = try h.json(["task", "ls", "--desired-status", stopped ? "STOPPED" : "RUNNING"])
        let all = ls["tasks"] as? [[String: Any]] ?? []
        return all.filter { $0["group"] as? String == "service:\(name)" }
    }

    @discardableResult
    func waitService(_ h: AgentRealHarness, _ name: String, timeout: Double = 120, _ what: String,
                     _ done: ([String: Any]) throws -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try service(h, name)
            if try done(last) { return last }
            usleep(250_000)
        }
        Issue.record("service \(name) did not reach \(what) within \(timeout)s: \(last["deployments"] ?? "") \(last["events"] ?? "")")
        throw CancellationError()
    }

    func stable(_ s: [String: Any], count: Int) -> Bool {
        let deployments = s["deployments"] as? [[String: Any]] ?? []
        return deployments.count == 1 && s["runningCount"] as? Int == count && s["desiredCount"] as? Int == count
            && deployments[0]["rolloutState"] as? String == "COMPLETED"
    }

    func events(_ s: [String: Any]) -> [String] { (s["events"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String } }

    func create(_ h: AgentRealHarness, _ name: String, _ family: String, count: Int, extra: [String] = []) throws {
        let r = try h.cli(["service", "create", name, "--task-definition", family, "--desired-count", String(count)] + extra)
        try #require(r.status == 0, "service create failed: \(r.stderr)")
    }

    func update(_ h: AgentRealHarness, _ name: String, _ args: [String]) throws {
        let r = try h.cli(["service", "update", name] + args)
        try #require(r.status == 0, "service update failed: \(r.stderr)")
    }

    /// Container runtime directories of live containers on the host (one per task here).
    func hostContainers(_ h: AgentRealHarness) -> Int { h.runtimeContainers().count }

    // MARK: tests

    @Test func scaleFromZeroToFiveToTwo() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.sleeper)
        try create(h, "scale", "svc-sleep", count: 0)
        try waitService(h, "scale", "stable at 0") { stable($0, count: 0) }
        #expect(hostContainers(h) == 0)
        try update(h, "scale", ["--desired-count", "5"])
        try waitService(h, "scale", "stable at 5") { stable($0, count: 5) }
        let five = try tasks(h, "scale")
        #expect(five.count == 5 && five.allSatisfy { $0["lastStatus"] as? String == "RUNNING" })
        #expect(hostContainers(h) == 5, "containers on the host: \(h.runtimeContainers())")
        try update(h, "scale", ["--desired-count", "2"])
        try waitService(h, "scale", "stable at 2") { try stable($0, count: 2) && tasks(h, "scale").count == 2 }
        let deadline = Date().addingTimeInterval(30)
        while hostContainers(h) != 2 && Date() < deadline { usleep(200_000) }
        #expect(hostContainers(h) == 2, "containers on the host: \(h.runtimeContainers())")
        let stopped = try tasks(h, "scale", stopped: true)
        #expect(stopped.count == 3)
        for t in stopped {
            #expect(t["stopCode"] as? String == "ServiceSchedulerInitiated")
            #expect((t["stoppedReason"] as? String ?? "").hasPrefix("Scaling activity initiated by (deployment ecs-svc/"))
            let id = AgentRealHarness.taskId(t["taskArn"] as? String ?? "")
            let cleanDeadline = Date().addingTimeInterval(20)
            while !AgentRealHarness.cgroupDirs(id).isEmpty && Date() < cleanDeadline { usleep(200_000) }
            #expect(AgentRealHarness.cgroupDirs(id).isEmpty, "cgroups of a scaled-in task left")
            // The engine's final record (kept with the logs) says what the API says.
            let final = (try? Files.readBytes(h.stateDir + "/tasks/\(id)/task.json")).flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
            #expect(final?["stopCode"] as? String == "ServiceSchedulerInitiated", "engine record: \(final ?? [:])")
            #expect(final?["stoppedReason"] as? String == t["stoppedReason"] as? String, "engine record: \(final ?? [:])")
        }
        let r = try h.cli(["service", "rm", "scale", "--force", "--wait"], timeout: 120)
        #expect(r.status == 0 && r.stdout.contains("INACTIVE"), "\(r.stderr)")
        #expect((try service(h, "scale")["deployments"] as? [Any])?.isEmpty == true, "an INACTIVE service lists no deployments")
        // INACTIVE once every task is STOPPING or later (as in ECS); the containers go right after.
        let gone = Date().addingTimeInterval(30)
        while hostContainers(h) != 0 && Date() < gone { usleep(200_000) }
        #expect(hostContainers(h) == 0)
    }

    @Test func rollingUpdateKeepsMinimumHealthyAndMaximumPercent() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.checked("svc-roll", "v1", healthy: true))
        try h.register(Self.checked("svc-roll", "v2", healthy: true))
        try create(h, "roll", "svc-roll:1", count: 4, extra: ["--min-healthy-percent", "50", "--max-percent", "150"])
        try waitService(h, "roll", "first rollout") { stable($0, count: 4) }
        try update(h, "roll", ["--task-definition", "svc-roll:2"])
        var minHealthy = Int.max, maxRunning = 0, maxHost = 0, samples = 0
        let s = try waitService(h, "roll", timeout: 180, "rolling update") { s in
            let live = try tasks(h, "roll")
            let running = live.filter { $0["lastStatus"] as? String == "RUNNING" }
            let healthy = running.filter { $0["healthStatus"] as? String == "HEALTHY" && $0["desiredStatus"] as? String == "RUNNING" }
            minHealthy = min(minHealthy, healthy.count)
            maxRunning = max(maxRunning, running.count)
            maxHost = max(maxHost, hostContainers(h))
            samples += 1
            return stable(s, count: 4) && (s["taskDefinition"] as? String ?? "").hasSuffix("svc-roll:2")
        }
        #expect(samples > 5)
        #expect(minHealthy >= 2, "healthy tasks dropped to \(minHealthy) (minimumHealthyPercent 50 of 4)")
        #expect(maxRunning <= 6, "\(maxRunning) running tasks (maximumPercent 150 of 4)")
        #expect(maxHost <= 6, "\(maxHost) containers on the host")
        let deployments = s["deployments"] as? [[String: Any]] ?? []
        #expect(deployments.count == 1 && deployments[0]["rolloutState"] as? String == "COMPLETED")
        let messages = (s["events"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(!messages.contains { $0.contains("unable to") }, "a completed rollout reported a stall: \(messages)")
        let final = try tasks(h, "roll")
        #expect(final.count == 4 && final.allSatisfy { ($0["taskDefinitionArn"] as? String ?? "").hasSuffix("svc-roll:2") })
    }

    @Test func crashLoopIsThrottledWithGrowingDelays() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.crasher)
        try create(h, "crash", "svc-crash", count: 1)
        var describeText = ""
        let s = try waitService(h, "crash", timeout: 90, "throttle with growing delays") { s in
            let starts = (s["events"] as? [[String: Any]] ?? []).filter { ($0["message"] as? String ?? "").contains("has started 1 tasks") }
                .compactMap { $0["createdAt"] as? Double }.sorted()
            let gaps = zip(starts, starts.dropFirst()).map { $1 - $0 }
            if s["berthThrottle"] != nil {
                let text = try h.cli(["service", "describe", "crash"]).stdout
                if text.contains("launches held until") { describeText = text }
            }
            return gaps.count >= 5 && gaps.last! > 2 * gaps.first! && !describeText.isEmpty
        }
        #expect(events(s).contains {
            $0 == "(service crash) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
        })
        #expect(describeText.contains("exit code 1"), "\(describeText)")
        let stopped = try tasks(h, "crash", stopped: true)
        #expect(stopped.allSatisfy { $0["stopCode"] as? String == "EssentialContainerExited" || $0["stopCode"] as? String == "ServiceSchedulerInitiated" })
        let r = try h.cli(["service", "rm", "crash", "--force", "--wait"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func failingHealthCheckTripsBreakerAndRollsBack() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.checked("svc-cb", "good", healthy: true))
        try h.register(Self.checked("svc-cb", "bad", healthy: false))
        try create(h, "cb", "svc-cb:1", count: 2, extra: ["--circuit-breaker", "on", "--rollback", "on"])
        let first = try waitService(h, "cb", "first rollout") { stable($0, count: 2) }
        let completed = try #require((first["deployments"] as? [[String: Any]])?.first?["id"] as? String)
        try update(h, "cb", ["--task-definition", "svc-cb:2"])
        let failing = try #require((try service(h, "cb")["deployments"] as? [[String: Any]])?.first?["id"] as? String)
        let rollback = try waitService(h, "cb", timeout: 240, "rollback deployment") { s in
            let d = (s["deployments"] as? [[String: Any]])?.first ?? [:]
            return (d["taskDefinition"] as? String ?? "").hasSuffix("svc-cb:1") && d["id"] as? String != completed
        }
        let primary = try #require((rollback["deployments"] as? [[String: Any]])?.first)
        #expect(primary["rolloutStateReason"] as? String == "ECS deployment circuit breaker: rolling back to deploymentId \(completed).")
        let failed = (rollback["deployments"] as? [[String: Any]] ?? []).first { $0["id"] as? String == failing }
        #expect(failed == nil || failed?["rolloutState"] as? String == "FAILED")
        let s = try waitService(h, "cb", timeout: 120, "rollback completed") { s in
            stable(s, count: 2) && (s["deployments"] as? [[String: Any]])?.first?["id"] as? String == primary["id"] as? String
        }
        #expect(events(s).contains("(service cb) (deployment \(failing)) deployment failed: tasks failed to start."))
        #expect(events(s).contains("(service cb) rolling back to deployment \(completed)."))
        #expect(events(s).contains { $0.contains("failed container health checks.") })
        let unhealthy = try tasks(h, "cb", stopped: true).filter { $0["stoppedReason"] as? String == "Task failed container health checks" }
        #expect(!unhealthy.isEmpty)
        let final = try tasks(h, "cb")
        #expect(final.allSatisfy { ($0["taskDefinitionArn"] as? String ?? "").hasSuffix("svc-cb:1") })
    }

    @Test func taskKilledFromOutsideIsReplaced() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.sleeper)
        try create(h, "ext", "svc-sleep", count: 2)
        try waitService(h, "ext", "stable") { stable($0, count: 2) }
        let victim = try #require(try tasks(h, "ext").first?["taskArn"] as? String)
        let pid = try #require(containerInit(AgentRealHarness.taskId(victim)), "pid 1 of the victim's container not found")
        #expect(kill(pid, SIGKILL) == 0)
        let stopped = try h.waitFor(victim, timeout: 60, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(stopped["stopCode"] as? String == "EssentialContainerExited")
        try waitService(h, "ext", timeout: 60, "replacement running") { s in
            let live = try tasks(h, "ext")
            return s["runningCount"] as? Int == 2 && live.count == 2 && !live.contains { $0["taskArn"] as? String == victim }
                && live.allSatisfy { $0["lastStatus"] as? String == "RUNNING" }
        }
        #expect(hostContainers(h) == 2)
    }

    @Test func agentKilledMidDeploymentResumesIt() throws {
        let h = try world()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.checked("svc-kill", "v1", healthy: true))
        try h.register(Self.checked("svc-kill", "v2", healthy: true))
        try create(h, "k", "svc-kill:1", count: 3)
        try waitService(h, "k", "first rollout") { stable($0, count: 3) }
        try update(h, "k", ["--task-definition", "svc-kill:2"])
        let s = try service(h, "k")
        let newId = try #require((s["deployments"] as? [[String: Any]])?.first?["id"] as? String)
        try waitService(h, "k", timeout: 60, "first task of the new deployment") { _ in
            try tasks(h, "k").contains { $0["startedBy"] as? String == newId }
        }
        h.killAgent(SIGKILL)
        try h.startAgent()
        let after = try service(h, "k")
        #expect((after["deployments"] as? [[String: Any]])?.first?["id"] as? String == newId, "deployment restarted instead of resumed")
        let done = try waitService(h, "k", timeout: 180, "deployment finished") { s in
            stable(s, count: 3) && (s["deployments"] as? [[String: Any]])?.first?["id"] as? String == newId
        }
        #expect((done["taskDefinition"] as? String ?? "").hasSuffix("svc-kill:2"))
        let live = try tasks(h, "k")
        #expect(live.count == 3 && live.allSatisfy { $0["startedBy"] as? String == newId })
        let deadline = Date().addingTimeInterval(30)
        while hostContainers(h) != 3 && Date() < deadline { usleep(200_000) }
        #expect(hostContainers(h) == 3, "duplicate or missing containers on the host: \(h.runtimeContainers())")
        let all = live + (try tasks(h, "k", stopped: true))
        let arns = all.compactMap { $0["taskArn"] as? String }
        #expect(Set(arns).count == arns.count)
    }

    /// The host pid of a task container's pid 1: the process in the task's cgroup whose
    /// innermost pid-namespace pid is 1.
    func containerInit(_ taskId: String) -> pid_t? {
        for dir in AgentRealHarness.cgroupDirs(taskId) where dir.contains("/pids/") {
            let procs = (try? Files.read(dir + "/cgroup.procs")) ?? ""
            for line in procs.split(separator: "\n") {
                guard let pid = pid_t(line) else { continue }
                let status = (try? Files.read("/proc/\(pid)/status")) ?? ""
                guard let ns = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { continue }
                if ns.split(whereSeparator: { $0 == " " || $0 == "\t" }).last == "1" { return pid }
            }
        }
        return nil
    }
}

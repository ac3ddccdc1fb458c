import BerthSys
import Foundation
import Testing

/// The agent SIGKILLed while tasks are stopping (Docs/agent.md, "State and durability"): after
/// each restart every host resource of a STOPPED task is gone (mounts, cgroups, netns, run
/// directories, monitors, port proxies), and what DescribeTasks answers is what the agent's
/// record and the engine's final record on disk say.
@Suite(.serialized) struct AgentCrashStopTests {
    /// PID 1 of its namespace with no TERM handler: SIGTERM does nothing, the stop takes the
    /// whole stopTimeout and ends with SIGKILL. awsvpc with a port: a netns and a port proxy.
    static let slowStop = """
        {"family":"agent-slowstop","networkMode":"awsvpc","memory":"128","containerDefinitions":[{"name":"app",
         "image":"busybox:latest","essential":true,"stopTimeout":1,"portMappings":[{"containerPort":8080}],
         "command":["sh","-c","while true; do sleep 1; done"]}]}
        """

    /// Where the agent dies. `after`: seconds after StopTask is sent (during the request, while
    /// SIGTERM is ignored, around the SIGKILL at stopTimeout, while the task is torn down).
    /// `pause`: at a named point of the teardown (`TestPause`), once the agent's record on disk
    /// says STOPPED: before the runner's teardown, and half-way through it (rootfs unmounted).
    enum KillPoint: CustomStringConvertible {
        case after(Double), pause(String)
        var description: String {
            switch self {
            case .after(let s): "kill \(s)s after StopTask"
            case .pause(let point): "kill at \(point)"
            }
        }
    }

    static let killPoints: [KillPoint] = [.after(0), .after(0.01), .after(0.05), .pause("task-teardown"), .after(0.4), .after(1.0),
                                          .pause("task-teardown-midway"), .after(1.15), .after(1.3), .after(1.6)]

    @Test func agentKilledDuringStopsLeavesNothingOfStoppedTasksAndRecordsMatchTheAPI() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(Self.slowStop)
        var all: [String] = []
        for (i, point) in Self.killPoints.enumerated() {
            if case .pause(let name) = point {
                h.killAgent(SIGKILL)
                h.agentEnvironment = ["BERTH_TEST_PAUSE": name]
                try h.startAgent()
                h.agentEnvironment = [:]
            }
            let arns = try h.run("agent-slowstop", count: 2)
            try #require(arns.count == 2)
            all += arns
            let reason = "crash test \(i)"
            try stopAndKill(h, arns, reason: reason, at: point)
            try h.startAgent()
            // A StopTask the agent died before acknowledging is retried, as a client would.
            for arn in arns where try h.describe(arn)["desiredStatus"] as? String != "STOPPED" {
                #expect(try h.cli(["task", "stop", arn, "--reason", reason]).status == 0)
            }
            for arn in arns {
                guard let t = try waitStopped(h, arn) else {
                    Issue.record("\(point): \(arn) never completed its stop after the restart")
                    continue
                }
                #expect(t["stopCode"] as? String == "UserInitiated", "\(point): \(t)")
                #expect(t["stoppedReason"] as? String == reason, "\(point): \(t)")
            }
            let stopped = try all.filter { try h.describe($0)["lastStatus"] as? String == "STOPPED" }
            expectReleased(h, stopped, "\(point)")
            try expectRecordsMatch(h, stopped, "\(point)")
        }
    }

    /// Send StopTask for every task and SIGKILL the agent at `point`.
    func stopAndKill(_ h: AgentRealHarness, _ arns: [String], reason: String, at point: KillPoint) throws {
        switch point {
        case .after(let delay):
            let stops = try arns.map { try startStop(h, $0, reason: reason) }
            if delay > 0 { usleep(UInt32(delay * 1_000_000)) }
            h.killAgent(SIGKILL)
            for p in stops { p.waitUntilExit() }
        case .pause(let name):
            for arn in arns { #expect(try h.cli(["task", "stop", arn, "--reason", reason]).status == 0) }
            let deadline = Date().addingTimeInterval(30)
            var ready = false
            while !ready && Date() < deadline {
                let paused = h.agentErr.text.components(separatedBy: "test pause at \(name)\n").count > arns.count
                let described = try arns.allSatisfy { try h.describe($0)["lastStatus"] as? String == "STOPPED" }
                ready = paused && described && arns.allSatisfy { diskTask(h, $0)["lastStatus"] as? String == "STOPPED" }
                if !ready { usleep(100_000) }
            }
            #expect(ready, "the agent did not pause at \(name) with the tasks STOPPED on disk: \(h.agentErr.text)")
            h.killAgent(SIGKILL)
        }
    }

    /// The Task object in the agent's record on disk.
    func diskTask(_ h: AgentRealHarness, _ arn: String) -> [String: Any] {
        let file = h.stateDir + "/state/tasks/\(AgentRealHarness.taskId(arn)).json"
        let record = (try? Files.readBytes(file)).flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        return record?["task"] as? [String: Any] ?? [:]
    }

    /// The task once DescribeTasks says STOPPED, or nil if it does not within 30 s (the loop goes on).
    func waitStopped(_ h: AgentRealHarness, _ arn: String) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(30)
        repeat {
            let t = try h.describe(arn)
            if t["lastStatus"] as? String == "STOPPED" { return t }
            usleep(200_000)
        } while Date() < deadline
        return nil
    }

    /// `berth task stop` in the background (the agent may die before it answers).
    func startStop(_ h: AgentRealHarness, _ arn: String, reason: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TaskHarness.berth)
        p.arguments = ["task", "stop", "--socket", h.socket, arn, "--reason", reason]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// What of a task is still on the host: mounts, netns, task and container run dirs, cgroups, processes.
    func leftovers(_ h: AgentRealHarness, _ arn: String) -> [String] {
        let id = AgentRealHarness.taskId(arn)
        let taskDir = h.runRoot + "/tasks/" + id, netns = h.runRoot + "/netns/task-" + id
        var out = h.mounts().filter { $0.hasPrefix(taskDir + "/") || $0 == taskDir || $0 == netns }.map { "mount \($0)" }
        if Files.exists(netns) { out.append("netns \(netns)") }
        if Files.exists(taskDir) { out.append("run dir \(taskDir)") }
        out += h.runtimeContainers().filter { $0.hasPrefix(id + "-") }.map { "container state \($0)" }
        out += AgentRealHarness.cgroupDirs(id).map { "cgroup \($0)" }
        out += h.processes().filter { $0.contains(id) }.map { "process \($0)" }
        return out
    }

    /// Every STOPPED task's host resources go at once after a restart (bounded wait: a task
    /// whose stop completed after the restart is torn down by its runner right after STOPPED).
    func expectReleased(_ h: AgentRealHarness, _ arns: [String], _ what: String) {
        var left: [String] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            left = arns.flatMap { leftovers(h, $0) }
            if left.isEmpty { return }
            usleep(100_000)
        } while Date() < deadline
        Issue.record("\(what): host resources of STOPPED tasks left: \(left)")
    }

    /// DescribeTasks equals the agent's record on disk (the writes behind a merge land within
    /// the bound) and the engine's final record, for the fields a stop sets.
    func expectRecordsMatch(_ h: AgentRealHarness, _ arns: [String], _ what: String) throws {
        for arn in arns {
            let id = AgentRealHarness.taskId(arn)
            let api = try h.describe(arn)
            var disk: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(5)
            repeat {
                disk = diskTask(h, arn)
                if Self.stopFacts(disk) == Self.stopFacts(api) { break }
                usleep(100_000)
            } while Date() < deadline
            #expect(Self.stopFacts(disk) == Self.stopFacts(api), "\(what): agent record on disk \(Self.stopFacts(disk)) != API \(Self.stopFacts(api))")
            let finalPath = h.stateDir + "/tasks/\(id)/task.json"
            if let final = (try? JSONSerialization.jsonObject(with: Data(try Files.readBytes(finalPath)))) as? [String: Any] {
                #expect(final["stopCode"] as? String == api["stopCode"] as? String, "\(what): engine record \(final["stopCode"] ?? "nil") != API \(api["stopCode"] ?? "nil")")
                #expect(final["stoppedReason"] as? String == api["stoppedReason"] as? String,
                        "\(what): engine record \(final["stoppedReason"] ?? "nil") != API \(api["stoppedReason"] ?? "nil")")
            }
        }
    }

    static func stopFacts(_ t: [String: Any]) -> [String] {
        var out = ["lastStatus", "desiredStatus", "stopCode", "stoppedReason"].map { "\($0)=\(t[$0] as? String ?? "nil")" }
        for c in t["containers"] as? [[String: Any]] ?? [] {
            out.append("\(c["name"] as? String ?? "?"): \(c["lastStatus"] as? String ?? "nil") exit=\(c["exitCode"] as? Int ?? -1) reason=\(c["reason"] as? String ?? "nil")")
        }
        return out
    }
}

import BerthSys
import Foundation
import Testing

/// `berth agent` with the real engine: tasks started through the ECS API run as real
/// containers, report real exit codes, and survive an agent crash (adopted on restart).
/// Drives the built binary over the agent's unix socket with the `berth task` CLI.
@Suite(.serialized) struct AgentRealEngineTests {
    final class Agent: @unchecked Sendable {
        let root: String
        var socket: String { root + "/agent.sock" }
        var process: Process?

        init() throws {
            try #require(getuid() == 0, "agent integration tests run real containers and must run as root")
            try #require(Files.exists(TaskHarness.berth), "build first: \(TaskHarness.berth) is missing")
            root = "/tmp/berth-agenttest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try Files.makeDirectories(root)
            let r = try TaskHarness.exec(["/bin/bash", TaskHarness.repoRoot + "/Scripts/make-busybox-image.sh", "--store", root + "/images"], timeout: 120)
            try #require(r.status == 0, "make-busybox-image.sh failed: \(r.stderr)")
            try start()
        }

        func start() throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TaskHarness.berth)
            p.arguments = ["agent", "--state-dir", root + "/state", "--socket", socket, "--listen", "none", "--metadata-listen", "127.0.0.1:0",
                           "--images", root + "/images", "--run-root", root + "/run", "--image-pull-behavior", "prefer-cached"]
            FileManager.default.createFile(atPath: root + "/agent.log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/agent.log"))
            log.seekToEndOfFile()
            p.standardOutput = log
            p.standardError = log
            try p.run()
            process = p
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if (try? cli(["cluster", "ls"]))?.status == 0 { return }
                usleep(100_000)
            }
            Issue.record("agent did not start: \((try? Files.read(root + "/agent.log")) ?? "")")
        }

        func kill(_ signal: Int32) {
            guard let p = process, p.isRunning else { return }
            Glibc.kill(p.processIdentifier, signal)
            p.waitUntilExit()
        }

        @discardableResult
        func cli(_ args: [String], timeout: Double = 60) throws -> TaskHarness.Result {
            let (head, tail) = (Array(args.prefix(2)), Array(args.dropFirst(2)))
            return try TaskHarness.exec([TaskHarness.berth] + head + ["--socket", socket] + tail, timeout: timeout)
        }

        func json(_ args: [String]) throws -> [String: Any] {
            let r = try cli(args + ["--output", "json"])
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        func task(_ id: String) throws -> [String: Any] {
            ((try json(["task", "describe", id]))["tasks"] as? [[String: Any]])?.first ?? [:]
        }

        /// Poll until the task reaches `status` (or the timeout passes); returns the last view.
        func wait(_ id: String, for status: String, timeout: Double = 60) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(timeout)
            var t = try task(id)
            while t["lastStatus"] as? String != status && Date() < deadline {
                usleep(200_000)
                t = try task(id)
            }
            return t
        }

        func register(_ name: String, command: [String], stopTimeout: Int = 2) throws {
            let td: [String: Any] = ["family": name, "containerDefinitions": [[
                "name": "app", "image": "busybox:latest", "memory": 64, "essential": true, "stopTimeout": stopTimeout, "command": command,
            ]]]
            let path = root + "/\(name).json"
            try Files.writeAtomically(path, Array(try JSONSerialization.data(withJSONObject: td)))
            let r = try cli(["taskdef", "register", path])
            try #require(r.status == 0, "register: \(r.stderr)")
        }

        func run(_ family: String) throws -> String {
            let r = try cli(["task", "run", family])
            try #require(r.status == 0, "run: \(r.stderr)")
            return String(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last ?? "")
        }

        deinit {
            // Leave nothing running: stop every task through the agent, then stop the agent.
            if process?.isRunning != true { try? start() }
            if let list = try? json(["task", "ls"]), let tasks = list["tasks"] as? [[String: Any]] {
                for t in tasks { if let arn = t["taskArn"] as? String { _ = try? cli(["task", "stop", arn]) } }
                for t in tasks { if let arn = t["taskArn"] as? String { _ = try? wait(String(arn.split(separator: "/").last!), for: "STOPPED", timeout: 30) } }
            }
            kill(SIGTERM)
            try? Files.removeTree(root)
        }
    }

    @Test func taskRunsExecsLogsAndStopsWithRealExitCodes() throws {
        let a = try Agent()
        try a.register("agent-it-sleep", command: ["sh", "-c", "echo hello-from-task; exec sleep 1000"])
        let id = try a.run("agent-it-sleep")
        let running = try a.wait(id, for: "RUNNING")
        #expect(running["lastStatus"] as? String == "RUNNING")
        #expect(running["startedAt"] != nil)
        let container = (running["containers"] as? [[String: Any]])?.first ?? [:]
        #expect(container["lastStatus"] as? String == "RUNNING" && container["runtimeId"] != nil)
        let exec = try a.cli(["task", "exec", id, "--", "sh", "-c", "echo $((6 * 7))"])
        #expect(exec.status == 0 && exec.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "42", "\(exec.stderr)")
        var logs = try a.cli(["task", "logs", id])
        let deadline = Date().addingTimeInterval(10)
        while !logs.stdout.contains("hello-from-task") && Date() < deadline {
            usleep(200_000)
            logs = try a.cli(["task", "logs", id])
        }
        #expect(logs.stdout.contains("hello-from-task"), "\(logs.stdout) \(logs.stderr)")
        let stats = try a.json(["task", "stats", id])
        let usage = (stats["containers"] as? [[String: Any]])?.first ?? [:]
        #expect(usage["name"] as? String == "app" && (usage["memoryBytes"] as? Int ?? 0) > 0 && (usage["pids"] as? Int ?? 0) >= 1, "\(stats)")
        #expect(usage["memoryLimitBytes"] as? Int == 64 * 1024 * 1024, "\(stats)")
        #expect(try a.cli(["task", "stop", id, "--reason", "test over"]).status == 0)
        let stopped = try a.wait(id, for: "STOPPED")
        #expect(stopped["stopCode"] as? String == "UserInitiated" && stopped["stoppedReason"] as? String == "test over")
        let exit = ((stopped["containers"] as? [[String: Any]])?.first?["exitCode"] as? Int)
        #expect(exit == 143 || exit == 137, "exit code \(String(describing: exit))")
    }

    @Test func essentialExitCodeIsReported() throws {
        let a = try Agent()
        try a.register("agent-it-exit", command: ["sh", "-c", "exit 3"])
        let id = try a.run("agent-it-exit")
        let t = try a.wait(id, for: "STOPPED")
        #expect(t["stopCode"] as? String == "EssentialContainerExited")
        #expect((t["containers"] as? [[String: Any]])?.first?["exitCode"] as? Int == 3)
    }

    @Test func tasksSurviveAnAgentCrashAndAreAdopted() throws {
        let a = try Agent()
        try a.register("agent-it-long", command: ["sleep", "1000"])
        try a.register("agent-it-short", command: ["sh", "-c", "sleep 2; exit 5"])
        let long = try a.run("agent-it-long")
        #expect(try a.wait(long, for: "RUNNING")["lastStatus"] as? String == "RUNNING")
        let short = try a.run("agent-it-short")
        #expect(try a.wait(short, for: "RUNNING")["lastStatus"] as? String == "RUNNING")
        a.kill(SIGKILL)
        sleep(4)  // the short task's container exits while no agent is running
        try a.start()
        let adopted = try a.task(long)
        #expect(adopted["lastStatus"] as? String == "RUNNING", "\(adopted)")
        let finished = try a.wait(short, for: "STOPPED", timeout: 20)
        #expect(finished["lastStatus"] as? String == "STOPPED")
        #expect((finished["containers"] as? [[String: Any]])?.first?["exitCode"] as? Int == 5, "\(finished)")
        #expect(try a.cli(["task", "stop", long]).status == 0)
        let stopped = try a.wait(long, for: "STOPPED")
        #expect(stopped["lastStatus"] as? String == "STOPPED")
    }
}

import BerthCgroups
import BerthSys
import Foundation
import Testing

/// Every container of a task gets pids.max (Docs/tasks.md, "Process limit"): a fork loop stops at
/// the limit, is reported, and the other container and the host keep forking.
@Suite(.serialized) struct TaskPidsLimitTests {
    static func cgroup(_ taskId: String, _ container: String) throws -> CgroupPath { try CgroupPath("berth/task-\(taskId)/\(container)") }

    /// pids.max of a container's cgroup as the kernel has it (v1 pids hierarchy or v2 unified dir).
    static func pidsMax(_ path: CgroupPath) throws -> String? {
        try Cgroups.driver().directories(path).lazy.compactMap { try? Files.read($0 + "/pids.max") }.first?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func forkLoopStopsAtTheLimitIsReportedAndOthersKeepForking() throws {
        let h = try TaskHarness()
        // bomb: a subshell forks `sleep 60` until fork fails (it then dies: "can't fork"), and
        // PID 1 stays by exec'ing sleep. calm: forks `date` and `sleep` every 0.1 s throughout.
        let file = try h.write("""
            {"family": "pids", "containerDefinitions": [
              {"name": "bomb", "image": "busybox:latest", "essential": true, "memory": 64, "stopTimeout": 1,
               "command": ["sh", "-c", "(i=0; while [ $i -lt 5000 ]; do sleep 60 & i=$((i+1)); done); echo contained; exec sleep 60"]},
              {"name": "calm", "image": "busybox:latest", "essential": true, "memory": 32, "stopTimeout": 1,
               "command": ["sh", "-c", "while :; do echo tick $(date +%s); sleep 0.1; done"]}]}
            """)
        let limit: UInt64 = 64
        var samples: [UInt64] = [], peak: UInt64?, configured: String?, ticksBefore = 0, ticksAfter = 0, hostForked = false
        let r = try h.run(file, extra: ["--pids-limit", String(limit)], timeout: 90, waitFor: "bomb: pids limit (64) reached") { p, output in
            ticksBefore = output.components(separatedBy: "calm | tick").count
            guard let id = p.arguments?.firstIndex(of: "--task-id").map({ p.arguments![$0 + 1] }),
                  let bomb = try? Self.cgroup(id, "bomb"), let driver = try? Cgroups.driver() else { return }
            configured = try? Self.pidsMax(bomb)
            for _ in 0..<20 {
                if let s = try? driver.stats(bomb) { samples.append(s.pidsCurrent); peak = s.pidsPeak ?? peak }
                usleep(50_000)
            }
            hostForked = (try? TaskHarness.exec(["/bin/true"], timeout: 10).status) == 0
            p.terminate()
        }
        ticksAfter = r.stdout.components(separatedBy: "calm | tick").count
        #expect(configured == String(limit), "pids.max of the container's cgroup")
        #expect(!samples.isEmpty && samples.allSatisfy { $0 <= limit }, "pids.current \(samples)")
        // The subshell that hit the limit exits: PID 1 and the loop's sleeps are left.
        #expect((samples.max() ?? 0) >= limit - 1, "the loop should have filled the limit: \(samples)")
        if let peak { #expect(peak == limit, "pids.peak \(peak)") }
        #expect(r.stdout.contains("bomb | contained"), "\(r.stdout)")
        #expect(r.stderr.contains("bomb: pids limit (64) reached: fork failed"), "\(r.stderr)")
        let reason = r.reason("bomb") ?? ""
        #expect(reason.hasPrefix("pids limit (64) reached: fork failed "), "bomb reason \(reason)")
        #expect(r.reason("calm") == nil, "calm reason \(r.reason("calm") ?? "")")
        #expect(ticksAfter > ticksBefore, "calm stopped forking once bomb hit its limit")
        #expect(hostForked, "the host could not fork")
        #expect(r.stopCode == "UserInitiated")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func everyContainerGetsTheDefaultLimitAndExplainShowsIt() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "pids-default", "containerDefinitions": [
              {"name": "app", "image": "busybox:latest", "memory": 32, "stopTimeout": 1, "command": ["sh", "-c", "echo up; exec sleep 60"]}]}
            """)
        var configured: String?
        let r = try h.run(file, extra: ["--explain"], timeout: 60, waitFor: "app | up") { p, _ in
            if let i = p.arguments?.firstIndex(of: "--task-id"), let path = try? Self.cgroup(p.arguments![i + 1], "app") {
                configured = try? Self.pidsMax(path)
            }
            p.terminate()
        }
        #expect(configured == "2048")
        #expect(r.stdout.contains("pids.max=2048"), "\(r.stdout)")
        #expect(r.stdout.contains("\"limit\" : 2048"), "\(r.stdout)")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func badPidsLimitIsRefusedWithTheOption() throws {
        let h = try TaskHarness()
        for bad in ["0", "-2", "lots"] {
            let r = try h.run(TaskHarness.taskDefinition("hello-world"), extra: ["--pids-limit", bad], timeout: 30)
            #expect(r.status == 2, "--pids-limit \(bad): exit \(r.status)")
            #expect(r.stderr.contains("option --pids-limit: \"\(bad)\" is not a positive number"), "\(r.stderr)")
        }
    }
}

import BerthSys
import Foundation
import Testing

/// `berth run` on the real kernel with the real runtime, using the example task definitions.
@Suite(.serialized) struct TaskRunTests {
    @Test func containersShareLocalhostAndANonEssentialExitKeepsTheTaskRunning() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("web-sidecar"), waitFor: "sidecar: exited with code 0") { p, _ in
            usleep(1_500_000)
            #expect(p.isRunning, "the task stopped when a non-essential container exited")
            p.terminate()  // SIGTERM to berth: the ECS stop sequence
        }
        #expect(r.stdout.contains("sidecar | <h1>hello from berth</h1>"), "sidecar could not reach web on localhost:\n\(r.stdout)")
        #expect(r.exitCode("sidecar") == 0)
        #expect(r.stopCode == "UserInitiated")
        #expect(r.stoppedReason == "Task stopped by user")
        // busybox httpd as PID 1 ignores SIGTERM, so it is SIGKILLed after its stopTimeout (2 s).
        #expect(r.exitCode("web") == 137)
        try h.expectCleanedUp(r.taskId)
    }

    @Test func dependsOnOrderAndConditionsHold() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("depends-healthy"))
        let dbStarted = try #require(r.eventIndex("db: started"))
        let dbHealthy = try #require(r.eventIndex("db: health UNKNOWN -> HEALTHY"))
        let migrateStarted = try #require(r.eventIndex("migrate: started"))
        let migrateDone = try #require(r.eventIndex("migrate: exited with code 0"))
        let appStarted = try #require(r.eventIndex("app: started"))
        #expect(dbStarted < dbHealthy && dbHealthy < migrateStarted && migrateDone < appStarted, "\(r.stderr)")
        #expect(r.stdout.contains("migrate | migrated"))
        #expect(r.container("db")?["healthStatus"] as? String == "HEALTHY")
        #expect(r.stopCode == "EssentialContainerExited")
        #expect(r.status == 0, "exit status is the exit code of app, which ended the task")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func essentialExitStopsTheRestAndSigtermIgnoringContainerIsKilledAfterStopTimeout() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("stop-timeout"))
        #expect(r.stopCode == "EssentialContainerExited")
        #expect(r.stoppedReason == "Essential container in task exited")
        #expect(r.exitCode("main") == 0)
        #expect(r.exitCode("stubborn") == 137)
        #expect(r.stdout.contains("stubborn | got SIGTERM, ignoring it"))
        let term = try #require(r.eventIndex("stubborn: SIGTERM"))
        let kill = try #require(r.eventIndex("stubborn: SIGKILL after stopTimeout 3s"))
        #expect(term < kill)
        // main runs 2 s, then 3 s stopTimeout: well under 2 + 3 + generous slack.
        #expect(r.duration < 15)
        try h.expectCleanedUp(r.taskId)
    }

    @Test func outOfMemoryIsReportedWithECSReason() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("oom"))
        #expect(r.reason("hog") == "OutOfMemoryError: Container killed due to memory usage")
        #expect(r.exitCode("hog") == 137)
        #expect(r.status == 137)
        #expect(r.stopCode == "EssentialContainerExited")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func volumeWrittenByOneContainerIsReadByAnother() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("shared-volume"))
        #expect(r.stdout.contains("reader | read: written-by-writer"), "\(r.stdout)")
        #expect(r.stdout.contains("reader | read-only as declared"))
        #expect(r.status == 0)
        #expect(!Files.exists(h.data + "/tasks/\(r.taskId)/volumes"), "task-scoped volume left behind")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func readonlyRootFilesystemRefusesWrites() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("readonly-root"))
        #expect(r.stdout.contains("Read-only file system"), "\(r.stdout)")
        #expect(r.stdout.contains("app | root filesystem is read-only"))
        #expect(r.stdout.contains("app | tmpfs /scratch is writable"))
        try h.expectCleanedUp(r.taskId)
    }

    @Test func initProcessReapsZombies() throws {
        let h = try TaskHarness()
        let r = try h.run(TaskHarness.taskDefinition("init-process"))
        #expect(r.stdout.contains("parent | zombies: 0"), "\(r.stdout)")
        #expect(r.stdout.contains("parent | pid 1 is .berth-reaper"))
        // The same command without the init leaves its orphans unreaped.
        let without = try String(contentsOfFile: TaskHarness.taskDefinition("init-process"), encoding: .utf8)
            .replacingOccurrences(of: "\"initProcessEnabled\": true", with: "\"initProcessEnabled\": false")
        let r2 = try h.run(try h.write(without))
        #expect(r2.stdout.contains("parent | zombies: 5"), "\(r2.stdout)")
        try h.expectCleanedUp(r.taskId)
        try h.expectCleanedUp(r2.taskId)
    }

    @Test func restartPolicyRestartsAndRespectsIgnoredExitCodes() throws {
        let h = try TaskHarness()
        // restartAttemptPeriod 60 s scaled by 0.1 → 6 s; each failing run lasts 7 s.
        let td = try String(contentsOfFile: TaskHarness.taskDefinition("restart-policy"), encoding: .utf8)
            .replacingOccurrences(of: "sleep 60", with: "sleep 7")
        let r = try h.run(try h.write(td), extra: ["--time-scale", "0.1"], timeout: 90)
        #expect(r.stdout.contains("flaky | run 3"), "\(r.stdout)")
        #expect(r.container("flaky")?["restartCount"] as? Int == 2)
        #expect(r.exitCode("flaky") == 0)
        #expect(r.stopCode == "EssentialContainerExited")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func noRestartWhenTheContainerRanLessThanTheAttemptPeriod() throws {
        let h = try TaskHarness()
        let r = try h.run(try h.write("""
            {"family": "quick-fail", "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64,
              "restartPolicy": {"enabled": true, "restartAttemptPeriod": 60}, "command": ["sh", "-c", "exit 3"]}]}
            """))
        #expect(r.container("app")?["restartCount"] as? Int == 0)
        #expect(r.exitCode("app") == 3)
        #expect(r.status == 3)
        try h.expectCleanedUp(r.taskId)
    }

    @Test func failingHealthCheckMakesContainerUnhealthyButTaskKeepsRunning() throws {
        let h = try TaskHarness()
        let td = try String(contentsOfFile: TaskHarness.taskDefinition("failing-healthcheck"), encoding: .utf8)
            .replacingOccurrences(of: "sleep 18", with: "sleep 5")
        let r = try h.run(try h.write(td), extra: ["--time-scale", "0.2"])
        #expect(r.container("app")?["healthStatus"] as? String == "UNHEALTHY")
        #expect(r.eventIndex("app: health UNKNOWN -> UNHEALTHY") != nil)
        #expect(r.stdout.contains("app | done"), "a standalone task keeps running whatever its health")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func invalidTaskDefinitionStartsNothingAndListsEveryProblem() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "bad", "containerDefinitions": [
              {"name": "a", "image": "busybox", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "interval": 1}},
              {"name": "b", "memory": 64, "dependsOn": [{"containerName": "nope", "condition": "START"}]}
            ]}
            """)
        let r = try h.run(file)
        #expect(r.status == 2)
        #expect(r.stderr.contains("containerDefinitions[0].healthCheck.interval"), "\(r.stderr)")
        #expect(r.stderr.contains("containerDefinitions[1].image"), "\(r.stderr)")
        #expect(r.stderr.contains("containerDefinitions[1].dependsOn[0]"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was started"))
        #expect(!Files.exists(h.state + "/tasks/\(r.taskId)"))
        #expect(!Files.exists(h.data + "/tasks/\(r.taskId)"))
    }

    @Test func unknownImageFailsBeforeAnythingStarts() throws {
        let h = try TaskHarness()
        let r = try h.run(try h.write("""
            {"family": "noimage", "containerDefinitions": [{"name": "a", "image": "127.0.0.1:9/nothing:1.27", "memory": 64}]}
            """))
        #expect(r.status == 1)
        // Not in the store, so pulled (prefer-cached) from a registry that is not there (a name on
        // Docker Hub would be pulled when online): the task fails to start with the registry's reason.
        #expect(r.stderr.contains("(TaskFailedToStart): CannotPullContainerError: 127.0.0.1:9/nothing:1.27: ")
                && r.stderr.contains("Connection refused"), "\(r.stderr)")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func pullPolicies() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "pulls", "containerDefinitions": [{"name": "a", "image": "busybox:latest", "memory": 64, "command": ["true"]}]}
            """)
        // Unknown values are refused by name.
        let bad = try h.run(file, extra: ["--pull", "sometimes"])
        #expect(bad.status == 2 && bad.stderr.contains("option --pull: unknown image pull behavior \"sometimes\""), "\(bad.stderr)")
        // always pulls through the registry client: from a loopback port nothing listens on, the
        // task stops with the registry's reason.
        let always = try h.run(try h.write("""
            {"family": "pulls", "containerDefinitions": [{"name": "a", "image": "127.0.0.1:9/nothing:v1", "memory": 64}]}
            """), extra: ["--pull", "always"])
        #expect(always.status == 1 && always.stderr.contains("CannotPullContainerError") && always.stderr.contains("127.0.0.1:9"), "\(always.stderr)")
        // The cached image runs under the policies that allow it (Docker's missing included), with no pull.
        // default (ECS's) pulls first and falls back to the cached image when the pull fails (Docker
        // Hub is out of reach offline; online, busybox:latest is pulled into the test's store).
        let dflt = try h.run(file, extra: ["--pull", "default"])
        #expect(dflt.status == 0 && dflt.stderr.contains("pulling busybox:latest"), "default: \(dflt.stderr)")
        try h.expectCleanedUp(dflt.taskId)
        for policy in ["prefer-cached", "missing", "never"] {
            let r = try h.run(file, extra: ["--pull", policy])
            #expect(r.status == 0 && !r.stderr.contains("pulling"), "\(policy): \(r.stderr)")
            try h.expectCleanedUp(r.taskId)
        }
        let missing = try h.run(try h.write("""
            {"family": "pulls", "containerDefinitions": [{"name": "a", "image": "nginx:1.27", "memory": 64}]}
            """), extra: ["--pull", "never"])
        #expect(missing.status == 1 && missing.stderr.contains("CannotPullContainerError: image \"nginx:1.27\" not found"), "\(missing.stderr)")
    }

    @Test func pidModeTaskSharesOneProcessNamespace() throws {
        let h = try TaskHarness()
        let r = try h.run(try h.write("""
            {"family": "pidtask", "pidMode": "task", "containerDefinitions": [
              {"name": "a", "image": "busybox", "memory": 64, "command": ["sleep", "3"]},
              {"name": "b", "image": "busybox", "memory": 64, "dependsOn": [{"containerName": "a", "condition": "START"}],
               "command": ["sh", "-c", "echo pid1=$(cat /proc/1/comm)"]}]}
            """))
        #expect(r.stdout.contains("b | pid1=sleep"), "\(r.stdout)")
        try h.expectCleanedUp(r.taskId)
    }

    @Test func publishedPortReachesTheTaskFromTheHost() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "published", "networkMode": "bridge", "containerDefinitions": [
              {"name": "web", "image": "busybox", "memory": 64, "stopTimeout": 2,
               "portMappings": [{"containerPort": 8080}],
               "command": ["httpd", "-f", "-p", "8080", "-h", "/var/www"]}]}
            """)
        final class Box: @unchecked Sendable { var body = "" }
        let box = Box()
        let r = try h.run(file, waitFor: "berth: web: started") { p, output in
            usleep(300_000)
            if let line = output.split(separator: "\n").first(where: { $0.contains("published 127.0.0.1:") }),
               let port = line.split(separator: ":").dropFirst(3).first?.split(separator: " ").first {
                box.body = (try? TaskHarness.exec(["/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/"], timeout: 10).stdout) ?? ""
            }
            p.terminate()
        }
        #expect(box.body == "<h1>hello from berth</h1>\n", "fetched \(box.body.debugDescription) through the published port")
        // The dynamic host port is in the snapshot's networkBindings and the published line.
        let bindings = r.container("web")?["networkBindings"] as? [[String: Any]] ?? []
        let port = try #require(bindings.first?["hostPort"] as? Int)
        #expect(port > 0)
        #expect(bindings.first?["containerPort"] as? Int == 8080)
        #expect(r.stderr.contains("published 127.0.0.1:\(port) -> 8080/tcp"))
        try h.expectCleanedUp(r.taskId)
    }

    @Test func multiLayerOCIImageWithWhiteoutsRuns() throws {
        let h = try TaskHarness()
        let dir = h.root + "/oci"
        let script = """
            set -e
            mkdir -p \(dir) && cd \(dir)
            \(TaskHarness.repoRoot)/Scripts/make-busybox-bundle.sh l1 >/dev/null
            echo gone > l1/etc/removed
            mkdir -p l2/etc && touch l2/etc/.wh.removed && echo layered > l2/etc/motd
            mkdir -p lay/blobs/sha256
            (cd l1 && tar -cf ../l1.tar .) && gzip -n l1.tar && (cd l2 && tar -cf ../l2.tar .)
            put() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" lay/blobs/sha256/$d; echo $d; }
            L1=$(put l1.tar.gz); L2=$(put l2.tar)
            printf '{"config":{"Cmd":["sh","-c","cat /etc/motd; ls /etc/removed 2>&1; echo WHO=$WHO"],"Env":["PATH=/bin","WHO=oci"]},"rootfs":{"type":"layers","diff_ids":[]}}' > config.json
            C=$(put config.json)
            printf '{"schemaVersion":2,"config":{"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s"},{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s"}]}' $C $L1 $L2 > manifest.json
            M=$(put manifest.json)
            printf '{"imageLayoutVersion":"1.0.0"}' > lay/oci-layout
            printf '{"schemaVersion":2,"manifests":[{"digest":"sha256:%s","annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' $M > lay/index.json
            """
        let built = try TaskHarness.exec(["/bin/bash", "-c", script], timeout: 60)
        try #require(built.status == 0, "\(built.stderr)")
        let imported = try TaskHarness.exec([TaskHarness.berth, "image", "import", "--store", h.images, "layered:v1", dir + "/lay"], timeout: 60)
        try #require(imported.status == 0, "\(imported.stderr)")
        let r = try h.run(try h.write("""
            {"family": "layered", "containerDefinitions": [{"name": "app", "image": "layered:v1", "memory": 64}]}
            """))
        #expect(r.stdout.contains("app | layered"), "\(r.stdout)")
        #expect(r.stdout.contains("app | ls: /etc/removed: No such file or directory"))
        #expect(r.stdout.contains("app | WHO=oci"))
        try h.expectCleanedUp(r.taskId)
    }

    @Test func adoptReattachesAfterBerthRunWasKilled() throws {
        let h = try TaskHarness()
        let taskId = "adopt\(UInt32.random(in: 0...UInt32.max))"
        let common = ["run", "--task-id", taskId, "--run-root", h.state, "--data-dir", h.data, "--images", h.images, "--pull", "prefer-cached"]
        let first = try TaskHarness.exec([TaskHarness.berth] + common + [TaskHarness.taskDefinition("web-sidecar")], timeout: 60,
                                         waitFor: "sidecar: started") { p, _ in
            usleep(500_000)
            kill(p.processIdentifier, SIGKILL)  // berth dies; the containers' monitors keep them running
        }
        #expect(first.status != 0)
        #expect(Files.exists(h.state + "/tasks/\(taskId)/task.json"))
        let snap = h.root + "/adopted.json"
        let second = try TaskHarness.exec([TaskHarness.berth] + common + ["--adopt", "--snapshot", snap, TaskHarness.taskDefinition("web-sidecar")],
                                          timeout: 60, waitFor: "re-attached") { p, _ in
            usleep(1_000_000)
            p.terminate()
        }
        #expect(second.stderr.contains("berth: re-attached to task \(taskId) (RUNNING)"), "\(second.stderr)")
        let text = try Files.read(snap)
        #expect(text.contains("\"stopCode\" : \"UserInitiated\""), "\(text)")
        #expect(!text.contains("ContainerVanishedError"), "the running containers were adopted, not lost")
        try h.expectCleanedUp(taskId)
    }
}

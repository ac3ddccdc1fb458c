import BerthCgroups
import BerthRuntime
import BerthSys
import Foundation
import Glibc
import Testing

/// `berth oci` end to end on the real kernel: real namespaces, cgroups, monitor and init.
/// Each test uses its own --root under /run/berth-test-<pid>-<name> and removes it in a defer.
@Suite(.serialized) struct OCILifecycleTests {
    @Test func createStartStateKillDelete() throws {
        let h = try OCIHarness("lifecycle")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sleep", "1000"])

        #expect(try h.oci(["create", "--bundle", bundle, h.id]).status == 0)
        var s = try h.state()
        #expect(s.status == "created")
        #expect(s.pid > 0)
        #expect(s.bundle == bundle)
        #expect(FileManager.default.fileExists(atPath: h.root + "/" + h.id + "/exec.fifo"))
        // Not allowed while created: delete without force.
        let refused = try h.oci(["delete", h.id])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("created"))

        #expect(try h.oci(["start", h.id]).status == 0)
        s = try h.state()
        #expect(s.status == "running")
        #expect(!FileManager.default.fileExists(atPath: h.root + "/" + h.id + "/exec.fifo"))
        #expect(try h.oci(["start", h.id]).status != 0, "start twice")
        let list = try h.oci(["list"])
        #expect(list.stdout.contains(h.id) && list.stdout.contains("running"))

        #expect(try h.oci(["kill", h.id, "KILL"]).status == 0)
        #expect(try h.waitFor(seconds: 10) { try h.state().status == "stopped" })
        s = try h.state()
        #expect(s.exit?.exitCode == 137)
        #expect(s.exit?.signal == 9)
        #expect(s.exit?.oomKilled == false)
        #expect(try h.oci(["kill", h.id, "TERM"]).status != 0, "kill a stopped container")

        #expect(try h.oci(["delete", h.id]).status == 0)
        #expect(try h.oci(["state", h.id]).status != 0)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func runPropagatesExitCodeAndOutput() throws {
        let h = try OCIHarness("exitcode")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "echo out-line; echo err-line >&2; exit 42"])
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 42)
        #expect(r.stdout == "out-line\n")
        #expect(r.stderr.contains("err-line"))
        #expect(try h.leftovers(h.id).isEmpty, "run deletes the container afterwards")
    }

    @Test func psSeesOnlyTheContainer() throws {
        let h = try OCIHarness("ps")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["ps", "-o", "pid,comm"])
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0)
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows.count == 1, "only ps itself: \(r.stdout)")
        #expect(rows.first?.first == "1")
    }

    @Test func memoryLimitOOMIsReportedButKillIsNot() throws {
        let h = try OCIHarness("oom")
        defer { h.cleanUp() }
        let hog = try h.bundle(["tail", "/dev/zero"], name: "hog") { $0.setResources("memory", ["limit": 16 << 20]) }
        #expect(try h.oci(["run", "--detach", "--bundle", hog, h.id]).status == 0)
        #expect(try h.waitFor(seconds: 30) { try h.state().status == "stopped" })
        let oom = try h.state()
        #expect(oom.exit?.exitCode == 137)
        #expect(oom.exit?.oomKilled == true)

        let victim = h.id + "-k"
        let sleeper = try h.bundle(["sleep", "1000"], name: "sleeper") { $0.setResources("memory", ["limit": 16 << 20]) }
        #expect(try h.oci(["run", "--detach", "--bundle", sleeper, victim]).status == 0)
        #expect(try h.oci(["kill", victim, "9"]).status == 0)
        #expect(try h.waitFor(seconds: 10) { try h.state(victim).status == "stopped" })
        let killed = try h.state(victim)
        #expect(killed.exit?.exitCode == 137)
        #expect(killed.exit?.oomKilled == false)
    }

    @Test func pidsLimitStopsAForkBomb() throws {
        let h = try OCIHarness("pids")
        defer { h.cleanUp() }
        // The inner shell dies when fork fails; PID 1 then waits on its own.
        let bundle = try h.bundle(["sh", "-c", "sh -c 'i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done'; echo forks-refused; sleep 1000"]) {
            $0.setResources("pids", ["limit": 20])
        }
        let r = try h.oci(["run", "--detach", "--bundle", bundle, h.id])
        #expect(r.status == 0)
        let cgroup = try CgroupPath("berth/\(h.id)")
        let driver = try h.driver
        // The shell keeps trying; the group never holds more than the limit.
        #expect(try h.waitFor(seconds: 10) { try driver.stats(cgroup).pidsCurrent >= 18 })
        usleep(500_000)
        let current = try driver.stats(cgroup).pidsCurrent
        #expect(current <= 20)
        #expect(try h.state().status == "running")
        #expect(try h.oci(["delete", "--force", h.id]).status == 0)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func cpuQuotaOfHalfACore() throws {
        let h = try OCIHarness("cpu")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "while :; do :; done & while :; do :; done"]) {
            $0.setResources("cpu", ["quota": 50_000, "period": 100_000])
        }
        #expect(try h.oci(["run", "--detach", "--bundle", bundle, h.id]).status == 0)
        let cgroup = try CgroupPath("berth/\(h.id)")
        let driver = try h.driver
        usleep(300_000)
        // Two busy loops want two cores; the quota allows half of one. Other load on the host can
        // only lower the share, so measure a few windows: none may exceed the quota, one must reach it.
        var shares: [Double] = []
        for _ in 0..<4 {
            let before = try driver.stats(cgroup).cpuUsageNanos
            let t0 = DispatchTime.now().uptimeNanoseconds
            usleep(1_500_000)
            let used = try driver.stats(cgroup).cpuUsageNanos - before
            shares.append(Double(used) / Double(DispatchTime.now().uptimeNanoseconds - t0))
            if shares.last! > 0.4 { break }
        }
        #expect(shares.allSatisfy { $0 < 0.6 }, "cpu shares \(shares) of one core with a 50% quota")
        #expect(shares.contains { $0 > 0.4 }, "cpu shares \(shares) of one core with a 50% quota")
        #expect(try h.oci(["delete", "--force", h.id]).status == 0)
    }

    @Test func killAllRemovesADoubleForkedDaemon() throws {
        let h = try OCIHarness("killall")
        defer { h.cleanUp() }
        // No PID namespace: killing PID 1 alone would leave the daemon running.
        let bundle = try h.bundle(["sh", "-c", "(setsid sleep 1001 &); sleep 1000"]) { config in
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = [["type": "network"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
            config["linux"] = linux
        }
        #expect(try h.oci(["run", "--detach", "--bundle", bundle, h.id]).status == 0)
        let cgroup = try CgroupPath("berth/\(h.id)")
        let driver = try h.driver
        #expect(try h.waitFor(seconds: 10) { try driver.processes(cgroup).count >= 2 })
        let pids = try driver.processes(cgroup)
        #expect(try h.oci(["kill", "--all", h.id, "KILL"]).status == 0)
        #expect(try h.waitFor(seconds: 10) { try driver.processes(cgroup).isEmpty })
        for pid in pids { #expect(kill(pid, 0) != 0 || Proc.state(pid) == "Z", "pid \(pid) survived") }
        #expect(try h.waitFor(seconds: 10) { try h.state().status == "stopped" })
        #expect(try h.oci(["delete", h.id]).status == 0)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func sigkillOfTheManagerKeepsTheExitCode() throws {
        let h = try OCIHarness("sigkill")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "sleep 2; exit 7"])
        let p = try h.runInForeground(bundle: bundle)
        #expect(h.waitFor(seconds: 10) { h.status() == "running" })
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(try h.state().status == "running", "the container outlives the CLI")
        #expect(try h.waitFor(seconds: 20) { try h.state().status == "stopped" })
        let s = try h.state()
        #expect(s.exit?.exitCode == 7)
        #expect(try h.oci(["delete", h.id]).status == 0)
    }

    /// `run` has no exec fifo and no separate start (as `crun run`): the container is running as
    /// soon as it is set up; a foreground `run` relays SIGTERM to it and exits with its status.
    @Test func foregroundRunRelaysSignalsAndReturnsTheExitCode() throws {
        let h = try OCIHarness("fgrun")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "trap 'exit 42' TERM; touch /tmp/trapped; while :; do sleep 0.05; done"]) {
            var mounts = $0["mounts"] as! [[String: Any]]
            mounts.append(["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]])
            $0["mounts"] = mounts
        }
        let p = try h.runInForeground(bundle: bundle)
        #expect(h.waitFor(seconds: 10) { h.status() == "running" })
        #expect(!Files.exists(h.root + "/" + h.id + "/exec.fifo"), "run makes no exec fifo")
        let pid = try h.recordedState().pid
        #expect(h.waitFor(seconds: 10) { Files.exists("/proc/\(pid)/root/tmp/trapped") }, "the trap is set")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 42, "status \(p.terminationStatus)")
        #expect(try h.leftovers(h.id).isEmpty, "a foreground run deletes the container")
    }

    @Test func monitorStaysUnderTwoMegabytes() throws {
        let h = try OCIHarness("rss")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "while :; do echo tick; sleep 0.01; done"])
        #expect(try h.oci(["run", "--detach", "--bundle", bundle, h.id]).status == 0)
        usleep(300_000)
        let monitor = try #require(try h.recordedState().monitorPid)
        let status = try Files.read("/proc/\(monitor)/status")
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kb = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        #expect(kb < 2048, "monitor VmRSS \(kb) kB")
        let threads = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        #expect(threads?.hasSuffix("\t1") == true, "monitor is single-threaded: \(threads ?? "")")
        #expect(try h.oci(["delete", "--force", h.id]).status == 0)
    }
}

/// Bad input of every kind: a clear error naming the field, non-zero exit, nothing left behind.
@Suite(.serialized) struct OCIInvalidInputTests {
    @Test func invalidConfigsLeaveNothingBehind() throws {
        let h = try OCIHarness("invalid")
        defer { h.cleanUp() }
        var base = try JSONSerialization.jsonObject(with: Data(OCIHarness.baseConfig.utf8)) as! [String: Any]
        base["root"] = ["path": OCIHarness.rootfs, "readonly": true]
        func variant(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var config = base
            edit(&config)
            return String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        }
        func process(_ key: String, _ value: Any) throws -> String {
            try variant { c in
                var p = c["process"] as! [String: Any]
                p[key] = value
                c["process"] = p
            }
        }
        let cases: [(name: String, config: String, expected: String)] = [
            ("syntax", "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"args\": [\"sh\" \"x\"]}\n}", "invalid JSON at line 3, column 29"),
            ("type", try process("args", "sh"), "process.args: expected an array"),
            ("noargs", try process("args", [String]()), "process.args: must not be empty"),
            ("rootfs", try variant { $0["root"] = ["path": "/nonexistent/rootfs"] }, "root.path: \"/nonexistent/rootfs\" does not exist"),
            ("cap", try process("capabilities", ["bounding": ["CAP_KILL", "CAP_FOO"]]), "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\""),
            ("rlimit", try process("rlimits", [["type": "RLIMIT_NOPE", "soft": 1, "hard": 1]]), "process.rlimits[0].type"),
            ("memory", try variant { $0.setResources("memory", ["limit": -7]) }, "linux.resources.memory.limit: -7 is out of range"),
            ("cpu", try variant { $0.setResources("cpu", ["quota": 5]) }, "linux.resources.cpu.quota"),
            ("ns", try variant { c in
                var linux = c["linux"] as! [String: Any]
                linux["namespaces"] = [["type": "pid"], ["type": "everything"]]
                c["linux"] = linux
            }, "linux.namespaces[1].type: unknown namespace type \"everything\""),
            ("cgpath", try variant { c in
                var linux = c["linux"] as! [String: Any]
                linux["cgroupsPath"] = "system.slice:berth:evil"
                c["linux"] = linux
            }, "linux.cgroupsPath"),
            ("mountdest", try variant { c in
                var mounts = c["mounts"] as! [[String: Any]]
                mounts.append(["destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"])
                c["mounts"] = mounts
            }, "mounts[5].destination"),
            // Passes validation; fails inside init after the cgroup, namespaces and some mounts exist.
            ("initfail", try variant { c in
                var mounts = c["mounts"] as! [[String: Any]]
                mounts.append(["destination": "/data", "type": "nosuchfs", "source": "none"])
                c["mounts"] = mounts
            }, "mounts[5]"),
            ("noexec", try process("args", ["/no/such/binary"]), "/no/such/binary"),
        ]
        for c in cases {
            let bundle = try h.writeConfig(c.config, name: c.name)
            let id = "\(h.id)-\(c.name)"
            for command in ["create", "run"] {
                let r = try h.oci([command, "--bundle", bundle, id])
                #expect(r.status != 0, "\(c.name) \(command) should fail")
                #expect(r.stderr.contains(c.expected), "\(c.name) \(command): \(r.stderr)")
                let left = try h.leftovers(id)
                #expect(left.isEmpty, "\(c.name) \(command) left \(left)")
            }
        }
    }

    @Test func badIdsAndCommandsAreRefused() throws {
        let h = try OCIHarness("badids")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["true"])
        let badID = try h.oci(["create", "--bundle", bundle, "../escape"])
        #expect(badID.status != 0)
        #expect(badID.stderr.contains("invalid container id"))
        #expect(!Files.exists(h.root + "/../escape"))
        #expect(try h.oci(["state", "missing"]).stderr.contains("does not exist"))
        #expect(try h.oci(["kill", "missing", "NOTASIGNAL"]).stderr.contains("unknown signal"))
        #expect(try h.oci(["frobnicate"]).status == 2)
        // A duplicate id is refused and the first container is untouched.
        let sleeper = try h.bundle(["sleep", "100"], name: "sleeper")
        #expect(try h.oci(["create", "--bundle", sleeper, h.id]).status == 0)
        let dup = try h.oci(["create", "--bundle", sleeper, h.id])
        #expect(dup.status != 0)
        #expect(dup.stderr.contains("already exists"))
        #expect(try h.state().status == "created")
        // --log gets the error too, as containerd expects.
        let log = h.work + "/runtime.log"
        _ = try h.oci(["--log", log, "--log-format", "json", "state", "missing"])
        let line = try String(contentsOfFile: log, encoding: .utf8)
        #expect(line.contains("\"level\":\"error\"") && line.contains("does not exist"))
    }
}

/// The same bundle under runc, crun and berth gives the same output.
@Suite(.serialized) struct OCICompatibilityTests {
    @Test func sameBundleRunsUnderRuncCrunAndBerth() throws {
        let h = try OCIHarness("compat")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "echo hello; hostname; id; ls /; cat /proc/self/status | grep -E '^(CapEff|NoNewPrivs)'; ps -o pid,comm"])
        let berth = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(berth.status == 0, "berth: \(berth.stderr)")
        #expect(berth.stdout.contains("hello\nberth\n"))
        let runc = try h.run("/usr/sbin/runc", ["--root", h.work + "/runc", "run", "--bundle", bundle, h.id + "-runc"])
        #expect(runc.status == 0, "runc: \(runc.stderr)")
        #expect(berth.stdout == runc.stdout)
        // crun refuses this hybrid host's cgroup2 mount; hide it in a private mount namespace.
        let crun = try h.run("/usr/bin/unshare", ["-m", "sh", "-c",
            "umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root \(h.work)/crun run --bundle \(bundle) \(h.id)-crun"])
        #expect(crun.status == 0, "crun: \(crun.stderr)")
        #expect(berth.stdout == crun.stdout)
    }
}

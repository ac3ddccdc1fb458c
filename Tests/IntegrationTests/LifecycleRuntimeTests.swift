import BerthCgroups
import BerthInit
import BerthRuntime
import BerthSys
import Foundation
import Glibc
import Testing

/// `LinuxRuntime` used in-process the way the task engine uses it: log files written by the
/// monitor, exec with captured output and timeouts, wait, and a killed monitor.
@Suite(.serialized) struct LifecycleRuntimeTests {

    /// The lines of a log file, checking every record's shape; returns the messages.
    func messages(_ path: String, stream: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let record = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) F (.*)$/#
            let match = try #require(try record.wholeMatch(in: String(line)), "bad record \(line.debugDescription)")
            #expect(match.output.1 == stream)
            return String(match.output.2)
        }
    }

    @Test func logFilesHoldCRIRecordsAndRotate() throws {
        let h = try OCIHarness("logs")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let logs = h.work + "/logs"
        try Files.makeDirectories(logs)
        let script = "i=0; while [ $i -lt 400 ]; do echo \"line $i\"; echo \"err $i\" >&2; i=$((i+1)); done; printf partial"
        let request = CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sh", "-c", script]),
                                    stdio: .logFiles(stdout: logs + "/out.log", stderr: logs + "/err.log", maxBytes: 4096, maxFiles: 3))
        _ = try rt.create(request)
        try rt.start(h.id)
        let exit = try #require(try rt.wait(h.id, timeout: 30))
        #expect(exit.exitCode == 0)
        #expect(exit.signal == nil)
        let s = try rt.state(h.id)
        #expect(s.status == .stopped && s.exit == exit)

        #expect(!Files.exists(logs + "/out.log.3"), "keeps 3 files in all")
        var stdout: [String] = []
        for name in ["out.log.2", "out.log.1", "out.log"] {
            let path = logs + "/" + name
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(size <= 4096, "\(name) is \(size) bytes")
            stdout += try messages(path, stream: "stdout")
        }
        // The newest records survive, in order, ending with the partial last line flushed at exit.
        #expect(stdout.last == "partial")
        let numbers = stdout.dropLast().map { Int($0.dropFirst("line ".count)) ?? -1 }
        #expect(numbers.last == 399)
        #expect(numbers == Array((numbers.first ?? 0)...399), "records out of order or missing")
        #expect(try messages(logs + "/err.log", stream: "stderr").last == "err 399")

        try rt.delete(h.id, force: false)
        #expect(Files.exists(logs + "/out.log"), "logs outside the state dir are kept")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func longLinesBecomePartialRecordsInOneSharedFile() throws {
        let h = try OCIHarness("longlines")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let log = h.work + "/both.log"
        let script = "echo first; head -c 40000 /dev/zero | tr '\\0' x; echo; echo 'F looks like a tag' >&2"
        _ = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sh", "-c", script]),
                                        stdio: .logFiles(stdout: log, stderr: log, maxBytes: 0, maxFiles: 1)))
        try rt.start(h.id)
        #expect(try rt.wait(h.id, timeout: 30)?.exitCode == 0)
        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        }
        // The two pipes are read as data arrives, so only the order within a stream is fixed.
        let stdout = records.filter { $0[1] == "stdout" }, stderr = records.filter { $0[1] == "stderr" }
        #expect(stdout.map { $0[2] } == ["F", "P", "P", "F"])
        #expect(stdout.first?[3] == "first")
        let joined = stdout.dropFirst().map { $0[3] }.joined()
        #expect(joined.count == 40000 && joined.allSatisfy { $0 == "x" }, "long line rejoined: \(joined.count) bytes")
        #expect(stderr.map { $0[2] + " " + $0[3] } == ["F F looks like a tag"])
        try rt.delete(h.id, force: false)
    }

    @Test func execCapturesOutputExitCodeAndTimeout() throws {
        let h = try OCIHarness("exec")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        _ = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sleep", "1000"]), stdio: .null))
        try rt.start(h.id)
        let base = try #require(try OCIHarness.spec(["true"]).process)

        var p = base
        p.args = ["sh", "-c", "echo hi; echo oops >&2; cat /proc/1/cmdline | tr '\\0' ' '; exit 3"]
        let r = try rt.exec(h.id, process: p, timeout: 30)
        #expect(r.exitCode == 3)
        #expect(r.stdout == Array("hi\nsleep 1000 ".utf8))
        #expect(r.stderr == Array("oops\n".utf8))
        #expect(!r.timedOut)

        p.args = ["sh", "-c", "yes | head -c 200000"]
        let big = try rt.exec(h.id, process: p, timeout: 30)
        #expect(big.exitCode == 0)
        #expect(big.stdout.count == LinuxRuntime.execOutputLimit)

        p.args = ["sleep", "100"]
        let t0 = Date()
        let slow = try rt.exec(h.id, process: p, timeout: 0.5)
        #expect(slow.timedOut)
        #expect(slow.exitCode == 137)
        #expect(Date().timeIntervalSince(t0) < 10)
        #expect(try Files.list(h.root + "/" + h.id).allSatisfy { !$0.hasPrefix("exec-") }, "exec state dirs are removed")

        try rt.kill(h.id, signal: SIGKILL, all: false)
        #expect(try rt.wait(h.id, timeout: 10)?.exitCode == 137)
        #expect(throws: RuntimeError.self) { try rt.exec(h.id, process: base, timeout: 5) }
        try rt.delete(h.id, force: false)
    }

    @Test func waitTimesOutThenReportsTheExit() throws {
        let h = try OCIHarness("wait")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        _ = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sh", "-c", "sleep 1; exit 5"]), stdio: .null))
        try rt.start(h.id)
        #expect(try rt.wait(h.id, timeout: 0.1) == nil)
        let exit = try #require(try rt.wait(h.id, timeout: 20))
        #expect(exit.exitCode == 5)
        let started = try #require(exit.startedAtNanos)
        #expect(exit.finishedAtNanos - started >= 900_000_000)
        try rt.delete(h.id, force: false)
    }

    /// Without `berth-init` create and exec fail naming the missing path and leave nothing behind.
    @Test func missingInitExecutableIsAClearErrorAndLeavesNothing() throws {
        let h = try OCIHarness("noinit")
        defer { h.cleanUp() }
        let missing = h.work + "/no-such-dir/berth-init"
        let broken = LinuxRuntime(root: h.root, cgroups: try Cgroups.driver(), berthPath: OCIHarness.berth,
                                  monitorPath: OCIHarness.monitor, initPath: missing)
        #expect(broken.initPath == missing)
        let request = CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sleep", "1000"]), stdio: .null)
        let createError = #expect(throws: RuntimeError.self) { _ = try broken.create(request) }
        #expect(createError?.description.contains(missing) == true, "\(String(describing: createError))")
        #expect(createError?.description.contains("No such file or directory") == true)
        #expect(try h.leftovers(h.id).isEmpty)

        let rt = try h.runtime()
        _ = try rt.create(request)
        try rt.start(h.id)
        let process = try #require(try OCIHarness.spec(["true"]).process)
        let execError = #expect(throws: RuntimeError.self) { _ = try broken.exec(h.id, process: process, timeout: 5) }
        #expect(execError?.description.contains(missing) == true, "\(String(describing: execError))")
        #expect(try Files.list(h.root + "/" + h.id).allSatisfy { !$0.hasPrefix("exec-") }, "exec state dirs are removed")
        #expect(try rt.exec(h.id, process: process, timeout: 30).exitCode == 0)
        try rt.kill(h.id, signal: SIGKILL, all: false)
        _ = try rt.wait(h.id, timeout: 10)
        try rt.delete(h.id, force: false)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    /// Documented behaviour: if the monitor itself is SIGKILLed, the container keeps running and,
    /// once it exits, is reported stopped with an unknown exit (no exit.json).
    @Test func killedMonitorMeansUnknownExit() throws {
        let h = try OCIHarness("nomonitor")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let created = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sleep", "1000"]), stdio: .null))
        try rt.start(h.id)
        let monitor = try #require(created.monitorPid)
        kill(monitor, SIGKILL)
        #expect(h.waitFor(seconds: 5) { kill(monitor, 0) != 0 || Proc.state(monitor) == "Z" })
        #expect(try rt.state(h.id).status == .running)
        try rt.kill(h.id, signal: SIGKILL, all: true)
        #expect(try h.waitFor(seconds: 10) { try rt.state(h.id).status == .stopped })
        #expect(try rt.state(h.id).exit == nil)
        #expect(throws: RuntimeError.exitUnknown(h.id)) { _ = try rt.wait(h.id, timeout: 1) }
        try rt.delete(h.id, force: false)
        #expect(try h.leftovers(h.id).isEmpty)
    }
}

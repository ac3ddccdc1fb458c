import BerthCgroups
import BerthInit
import BerthRuntime
import BerthSys
import CBerth
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The monitor and berth-init start before the runtime has read config.json (`PendingStart`):
/// init reads init.json only after the runtime's `config` line, makes nothing (no namespace, no
/// process) before `start`, then joins the container's cgroups itself; a runtime that gives up
/// leaves no process, state directory or cgroup behind.
@Suite(.serialized) struct EarlyStartTests {
    // MARK: berth-init and its start pipe

    /// init spawned as the monitor spawns it early: fd 3 sync pipe, fd 4 start pipe.
    struct EarlyInit {
        let pid: pid_t
        let dir: String
        let sync: FileDescriptor
        var start: FileDescriptor?

        /// The namespace `kind` of init is still this test's own.
        func sharesNamespace(_ kind: String) -> Bool {
            readLink("/proc/\(pid)/ns/\(kind)") == readLink("/proc/self/ns/\(kind)")
        }

        func children() -> String {
            (try? Files.read("/proc/\(pid)/task/\(pid)/children"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "gone"
        }

        mutating func send(_ text: String) throws {
            try #require(start != nil)
            try start?.writeAll(Array(text.utf8))
        }

        mutating func closeStart() {
            start?.close()
            start = nil
        }

        /// Every sync line, once init and the container process closed the pipe.
        func lines() throws -> [String] {
            String(decoding: try sync.readAll(), as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    static func readLink(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    static func spawnEarly(dir: String) throws -> EarlyInit {
        let (syncR, syncW) = try makePipe()
        let (startR, startW) = try makePipe()
        let out = open(dir + "/stdout", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let pid = InitHarness.spawn([InitHarness.initExe, dir, "--start-fd", "4"], stdin: null, stdout: out, stderr: out,
                                    keep: [syncW.rawValue, startR.rawValue])
        close(out); close(null)
        syncW.close(); startR.close()
        try #require(pid > 0)
        return EarlyInit(pid: pid, dir: dir, sync: syncR, start: startW)
    }

    /// A cgroup of this test under berth's subtree, and the files init joins.
    static func testCgroup(_ tag: String) throws -> (driver: any CgroupDriver, path: CgroupPath, join: [String]) {
        let driver = try Cgroups.driver()
        let path = try CgroupPath("berth/test-early-\(tag)-\(getpid())")
        try driver.create(path, resources: CgroupResources())
        return (driver, path, driver.placement(path).joinFiles)
    }

    @Test func initReadsInitJsonAfterConfigAndMakesNothingBeforeStart() throws {
        try InitHarness.requireRoot()
        let bundle = try InitHarness.makeBundle()
        let dir = try InitHarness.tempDir("early")
        defer { InitHarness.cleanup(bundle, dir) }
        let cgroup = try Self.testCgroup("join")
        defer { try? cgroup.driver.remove(cgroup.path) }

        // No init.json yet: init must not look for it before `config`.
        var early = try Self.spawnEarly(dir: dir)
        defer { early.sync.close(); early.closeStart() }
        usleep(200_000)
        #expect(kill(early.pid, 0) == 0, "init gave up before config: \((try? Files.read(dir + "/stdout")) ?? "")")
        let spec = InitHarness.spec(bundle: bundle, args: ["cat", "/proc/self/cgroup"])
        try Files.writeAtomically(dir + "/init.json", Array(try JSONEncoder().encode(InitConfig(mode: .create, id: "early", spec: spec, bundle: bundle))))
        try early.send("config\n")
        usleep(200_000)
        // init.json is read; still nothing made: no child, every namespace is ours.
        #expect(kill(early.pid, 0) == 0)
        #expect(early.children() == "")
        for kind in ["net", "mnt", "pid", "ipc", "uts"] { #expect(early.sharesNamespace(kind), "\(kind) namespace made before start") }

        try early.send(cgroup.join.map { $0 + "\n" }.joined() + "start\n")
        early.closeStart()
        let lines = try early.lines()
        _ = InitHarness.waitStatus(early.pid)
        #expect(lines.count == 2 && lines.first?.hasPrefix("pid ") == true && lines.last == "ready", "\(lines)")
        if let first = lines.first, let child = Int32(first.dropFirst(4)) { #expect(InitHarness.waitGone(child)) }
        // The container process was in the cgroup init joined.
        let output = (try? Files.read(dir + "/stdout")) ?? ""
        #expect(output.contains("/\(cgroup.path.relative)\n"), "\(output)")
    }

    @Test func aStartPipeClosedBeforeConfigOrStartEndsInitHavingMadeNothing() throws {
        try InitHarness.requireRoot()
        let bundle = try InitHarness.makeBundle()
        let dir = try InitHarness.tempDir("abandon")
        defer { InitHarness.cleanup(bundle, dir) }

        var before = try Self.spawnEarly(dir: dir)
        before.closeStart()
        let beforeLines = try before.lines()
        before.sync.close()
        #expect(InitHarness.waitStatus(before.pid) == 1)
        #expect(beforeLines == ["error start: the runtime closed the start pipe before init.json was made"], "\(beforeLines)")

        let spec = InitHarness.spec(bundle: bundle, args: ["/bin/true"])
        try Files.writeAtomically(dir + "/init.json", Array(try JSONEncoder().encode(InitConfig(mode: .create, id: "abandon", spec: spec, bundle: bundle))))
        var after = try Self.spawnEarly(dir: dir)
        try after.send("config\n")
        usleep(100_000)
        after.closeStart()
        let afterLines = try after.lines()
        after.sync.close()
        #expect(InitHarness.waitStatus(after.pid) == 1)
        #expect(afterLines == ["error start: the runtime closed the start pipe before the container's cgroups were made"], "\(afterLines)")
    }

    // MARK: the runtime


    /// Processes whose command line names `text` (the monitor and init name the state dir).
    static func processes(naming text: String) -> [String] {
        ((try? Files.list("/proc")) ?? []).compactMap { entry -> String? in
            guard Int32(entry) != nil, let bytes = try? Files.readBytes("/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: bytes.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) && !Self.exited(Int32(entry) ?? 0) ? "\(entry): \(line)" : nil
        }
    }

    /// Gone, or a zombie (re-parented to a subreaper this test process may be).
    static func exited(_ pid: Int32) -> Bool {
        guard let stat = try? Files.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    @Test func aCancelledPendingStartLeavesNoProcess() throws {
        let h = try OCIHarness("pending-cancel")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let pending = try rt.prepareStart(id: h.id, stdio: .null)
        let stateDir = h.root + "/" + h.id
        #expect(kill(pending.monitorPid, 0) == 0)
        #expect(h.waitFor(seconds: 5) { !Self.processes(naming: stateDir).isEmpty })
        pending.cancel()
        #expect(Self.exited(pending.monitorPid), "the monitor outlived cancel")
        #expect(h.waitFor(seconds: 5) { Self.processes(naming: stateDir).isEmpty }, "\(Self.processes(naming: stateDir))")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func aRefusedSpecWithAPendingStartLeavesNothing() throws {
        let h = try OCIHarness("pending-refused")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let pending = try rt.prepareStart(id: h.id, stdio: .null)
        var bad = try OCIHarness.spec(["/bin/true"])
        bad.linux?.namespaces = [Spec.Namespace(type: "pid")]
        #expect(throws: (any Error).self) { try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: bad, stdio: .null), pending: pending) }
        #expect(Self.exited(pending.monitorPid), "the monitor outlived the failed create")
        #expect(h.waitFor(seconds: 5) { Self.processes(naming: h.root + "/" + h.id).isEmpty })
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func aPendingStartRunsTheContainerInsideItsCgroup() throws {
        let h = try OCIHarness("pending-run")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        let log = h.work + "/out.log"
        let stdio = StdioMode.logFiles(stdout: log, stderr: log, maxBytes: 0, maxFiles: 1)
        let pending = try rt.prepareStart(id: h.id, stdio: stdio)
        _ = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["cat", "/proc/self/cgroup"]), stdio: stdio,
                                        startAtOnce: true), pending: pending)
        let exit = try #require(try rt.wait(h.id, timeout: 30))
        #expect(exit.exitCode == 0)
        let output = try Files.read(log)
        #expect(output.contains("/berth/\(h.id)\n"), "\(output)")
        try rt.delete(h.id, force: false)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    /// A second create of a running container's id: the early monitor and init, which were given
    /// that container's state directory, make nothing there and the container is untouched.
    @Test func aPendingStartForAnExistingIdLeavesThatContainerAlone() throws {
        let h = try OCIHarness("pending-exists")
        defer { h.cleanUp() }
        let rt = try h.runtime()
        _ = try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["sleep", "30"]), stdio: .null, startAtOnce: true))
        let before = try rt.state(h.id)
        // The monitor records container.pid on `ready`, as create returns.
        #expect(h.waitFor(seconds: 5) { Files.exists(h.root + "/" + h.id + "/container.pid") })
        let files = try Files.list(h.root + "/" + h.id).sorted()
        let pending = try rt.prepareStart(id: h.id, stdio: .null)
        #expect(throws: (any Error).self) {
            try rt.create(CreateRequest(id: h.id, bundle: h.work, spec: try OCIHarness.spec(["/bin/true"]), stdio: .null, startAtOnce: true), pending: pending)
        }
        #expect(Self.exited(pending.monitorPid))
        let after = try rt.state(h.id)
        #expect(after.status == .running && after.pid == before.pid && after.monitorPid == before.monitorPid)
        let filesAfter = try Files.list(h.root + "/" + h.id).sorted()
        #expect(filesAfter == files, "\(filesAfter) != \(files)")
        try rt.delete(h.id, force: true)
        #expect(try h.leftovers(h.id).isEmpty)
    }
}

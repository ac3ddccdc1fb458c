@testable import BerthInit
@testable import BerthRuntime
import BerthCgroups
import BerthSys
import Foundation
import Testing

/// State on disk and the OCI CLI's formats: bundle decoding errors, state JSON, timestamps, signals.
@Suite struct StateTests {
    @Test func configErrorsNameTheKeyPath() throws {
        func message(_ json: String) -> String {
            do {
                _ = try Bundle.decode(Array(json.utf8), file: "config.json")
                return ""
            } catch { return error.message }
        }
        #expect(message(#"{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":"sh","cwd":"/"}}"#)
            .contains("process.args: expected an array"))
        #expect(message(#"{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh", 5],"cwd":"/"}}"#)
            .contains("process.args[1]: expected a string"))
        #expect(message(#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"}}"#)
            .contains("process.user: missing required field"))
        #expect(message(#"{"ociVersion":"1.0.2","linux":{"resources":{"memory":{"limit":"lots"}}}}"#)
            .contains("linux.resources.memory.limit: expected an integer"))
        #expect(message(#"{"ociVersion":"1.0.2","process":{"user":{"uid":-1,"gid":0},"args":["sh"],"cwd":"/"}}"#)
            .contains("process.user.uid: expected a non-negative integer, found -1"))
        #expect(message(#"{"ociVersion":"1.0.2","process":null}"#) == "")
        #expect(message(#"{"ociVersion":null}"#) == "config.json: ociVersion: null where a value is required")
        #expect(message("[1]") == "config.json: (top level): expected an object")
        #expect(try Bundle.decode(Array(#"{"ociVersion":"1","linux":{"resources":{"memory":{"limit":1e9}}},"x":{"y":[]}}"#.utf8),
                                  file: "config.json").linux?.resources?.memory?.limit == 1_000_000_000)
        let syntax = message("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {,}\n}")
        #expect(syntax.hasPrefix("config.json: invalid JSON"))
        #expect(syntax == "config.json: invalid JSON at line 3, column 15: expected a member name in double quotes, found ','", "\(syntax)")
        #expect(message("{\"a\": [1, 2") == "config.json: invalid JSON at line 1, column 12: expected ',' or ']' after array element, found end of input")
    }

    @Test func absolutePaths() {
        #expect(Bundle.absolute("/a/b/../c/./d/") == "/a/c/d")
        #expect(Bundle.absolute("/") == "/")
        #expect(Bundle.absolute("x").hasSuffix("/x"))
        #expect(Bundle.absolute("x").hasPrefix("/"))
    }

    @Test func rfc3339WithNanoseconds() {
        #expect(UTC.rfc3339(nanos: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(UTC.rfc3339(nanos: 951_782_400_000_000_001) == "2000-02-29T00:00:00.000000001Z")
        #expect(UTC.rfc3339(nanos: 1_795_380_635_782_709_101) == "2026-11-22T20:50:35.782709101Z")
    }

    @Test func signalNames() {
        #expect(SignalNames.parse("TERM") == 15)
        #expect(SignalNames.parse("SIGKILL") == 9)
        #expect(SignalNames.parse("kill") == 9)
        #expect(SignalNames.parse("9") == 9)
        #expect(SignalNames.parse("SIGRTMIN+2") == 36)
        #expect(SignalNames.parse("NOPE") == nil)
        #expect(SignalNames.parse("0") == nil)
        #expect(SignalNames.parse("65") == nil)
    }

    @Test func stateOutputHasRuncFieldsAndExit() throws {
        let exit = ExitInfo(exitCode: 137, signal: 9, oomKilled: true, startedAtNanos: 1, finishedAtNanos: 2)
        let state = ContainerState(id: "c", status: .stopped, pid: 0, bundle: "/b", createdAtNanos: 0, exit: exit, rootfs: "/b/rootfs")
        let data = try JSONEncoder().encode(OCIStateOutput(state))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["ociVersion", "id", "status", "pid", "bundle", "rootfs", "created", "owner"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["status"] as? String == "stopped")
        let exitObject = try #require(object["exit"] as? [String: Any])
        #expect(exitObject["oomKilled"] as? Bool == true)
        #expect(exitObject["exitCode"] as? Int == 137)
    }

    /// The monitor writes exit.json by hand (Embedded Swift, no Codable): it must decode as ExitInfo.
    @Test func monitorExitRecordDecodes() throws {
        let signalled = #"{"exitCode":137,"signal":9,"oomKilled":true,"startedAtNanos":1795380635782734629,"finishedAtNanos":1795380636087304129}"#
        let info = try JSONDecoder().decode(ExitInfo.self, from: Data(signalled.utf8))
        #expect(info == ExitInfo(exitCode: 137, signal: 9, oomKilled: true, startedAtNanos: 1_795_380_635_782_734_629, finishedAtNanos: 1_795_380_636_087_304_129))
        let plain = #"{"exitCode":7,"oomKilled":false,"finishedAtNanos":5}"#
        #expect(try JSONDecoder().decode(ExitInfo.self, from: Data(plain.utf8)) == ExitInfo(exitCode: 7, finishedAtNanos: 5))
    }

    /// The first part is known before the spec is read; `spawn` (cgroup v1) has the monitor spawn
    /// init at once. The rest follows once the cgroups exist, ending in `start`.
    @Test func monitorConfiguration() {
        let logs = MonitorProcess.configuration(initPath: "/usr/bin/berth-init", stdio: .logFiles(stdout: "/l/o", stderr: "/l/e", maxBytes: 1000, maxFiles: 3),
                                                startFd: 6, spawnsEarly: true)
        #expect(logs == "init=/usr/bin/berth-init\ninit-fd=5\nstart-fd=6\nstdio=logs\nstdout=/l/o\nstderr=/l/e\nmax-bytes=1000\nmax-files=3\nspawn\n")
        let v1 = CgroupPlacement(cloneInto: nil, joinFiles: ["/sys/x/memory/c/tasks", "/sys/x/pids/c/tasks"])
        #expect(MonitorProcess.startConfiguration(oomFile: "/sys/x/memory.oom_control", placement: v1)
                == "oom-file=/sys/x/memory.oom_control\ncgroup-join=/sys/x/memory/c/tasks\ncgroup-join=/sys/x/pids/c/tasks\nstart\n")
        // v2: init is created inside the cgroup at `start`, so no `spawn`; the monitor makes init's
        // sealed view itself: no inherited descriptor.
        #expect(MonitorProcess.configuration(initPath: "/b", stdio: .null, initView: "/run/berth/.empty", startFd: 5, spawnsEarly: false)
                == "init=/b\ninit-view=/run/berth/.empty\nstart-fd=5\nstdio=null\n")
        let v2 = CgroupPlacement(cloneInto: "/sys/fs/cgroup/berth/c", joinFiles: ["/sys/fs/cgroup/berth/c/cgroup.procs"])
        #expect(MonitorProcess.startConfiguration(oomFile: nil, placement: v2)
                == "cgroup-dir=/sys/fs/cgroup/berth/c\ncgroup-join=/sys/fs/cgroup/berth/c/cgroup.procs\nstart\n")
    }

    @Test func stateOfUnknownAndInvalidIDs() throws {
        let root = "/tmp/berth-state-test-\(getpid())"
        defer { try? Files.removeTree(root) }
        let runtime = LinuxRuntime(root: root, cgroups: NoCgroups(), berthPath: "/bin/false")
        #expect(throws: RuntimeError.notFound("nope")) { try runtime.state("nope") }
        #expect(throws: RuntimeError.invalidID("../etc")) { try runtime.state("../etc") }
        #expect(try runtime.list().isEmpty)
        // A directory without state.json is a container being created.
        try Files.makeDirectories(root + "/half")
        #expect(try runtime.state("half").status == .creating)
    }
}

/// A driver for tests that never reach the cgroup layer.
struct NoCgroups: CgroupDriver {
    var mode: CgroupMode { .v1 }
    func create(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) { throw .unsupported("test") }
    func apply(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) { throw .unsupported("test") }
    func placement(_ path: CgroupPath) -> CgroupPlacement { CgroupPlacement(cloneInto: nil, joinFiles: []) }
    func addProcess(_ pid: Int32, to path: CgroupPath) throws(CgroupError) { throw .unsupported("test") }
    func processes(_ path: CgroupPath) throws(CgroupError) -> [Int32] { [] }
    func stats(_ path: CgroupPath) throws(CgroupError) -> CgroupStats { CgroupStats() }
    func oomKillCount(_ path: CgroupPath) -> UInt64 { 0 }
    func oomCounterFile(_ path: CgroupPath) -> String? { nil }
    func killAll(_ path: CgroupPath) throws(CgroupError) {}
    func remove(_ path: CgroupPath) throws(CgroupError) {}
    func exists(_ path: CgroupPath) -> Bool { false }
}

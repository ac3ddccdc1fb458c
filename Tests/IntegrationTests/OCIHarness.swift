import BerthCgroups
import BerthInit
import BerthRuntime
import BerthSys
import Foundation
import Glibc
import Testing

/// Shared pieces of the OCI/lifecycle integration tests: the built binaries, a busybox rootfs
/// made once per test run, a private runtime root per test, and helpers to run `berth oci`.
struct OCIHarness {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let berth = repo + "/.build/debug/berth"
    static let monitor = repo + "/.build/debug/berth-monitor"
    static let initExe = repo + "/.build/debug/berth-init"

    /// A busybox rootfs shared by all tests (read-only in every config). One fixed directory
    /// reused across runs (the script is idempotent) rather than a new copy per test process.
    static let rootfs: String = {
        let dir = "/tmp/berth-oci-test-rootfs"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo + "/Scripts/make-busybox-bundle.sh")
        p.arguments = [dir]
        p.standardOutput = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        return dir
    }()

    /// Per-test state root and bundle directory; `cleanUp()` removes everything.
    let root: String
    let work: String
    let id: String

    init(_ name: String) throws {
        try #require(getuid() == 0, "OCI integration tests must run as root")
        _ = OCIHarness.rootfs
        id = "t-\(name)-\(getpid())"
        root = "/run/berth-test-\(getpid())-\(name)"
        work = "/tmp/berth-oci-test-\(getpid())-\(name)"
        try Files.makeDirectories(work)
    }

    /// The same config.json as Scripts/make-busybox-bundle.sh, with `args`, an absolute rootfs and
    /// optional edits to the JSON object.
    func bundle(_ args: [String], name: String = "bundle", edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        let dir = work + "/" + name
        try Files.makeDirectories(dir)
        var config = try JSONSerialization.jsonObject(with: Data(OCIHarness.baseConfig.utf8)) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["args"] = args
        config["process"] = process
        config["root"] = ["path": OCIHarness.rootfs, "readonly": true]
        edit(&config)
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted])
        try data.write(to: URL(fileURLWithPath: dir + "/config.json"))
        return dir
    }

    func writeConfig(_ text: String, name: String) throws -> String {
        let dir = work + "/" + name
        try Files.makeDirectories(dir)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return dir
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Run `berth oci --root <root> args...`. Output goes to files (a container started by the
    /// command may keep its stdio open), read after the command itself exits.
    @discardableResult
    func oci(_ args: [String], timeout: Double = 60) throws -> Result {
        try run(OCIHarness.berth, ["oci", "--root", root] + args, timeout: timeout)
    }

    func run(_ executable: String, _ args: [String], timeout: Double = 60) throws -> Result {
        let out = work + "/out.\(UUID().uuidString)", err = work + "/err.\(UUID().uuidString)"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            Issue.record("\(executable) \(args) timed out after \(timeout)s")
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// `berth oci state` decoded.
    func state(_ id: String? = nil) throws -> OCIStateOutput {
        let r = try oci(["state", id ?? self.id])
        try #require(r.status == 0, "state failed: \(r.stderr)")
        return try JSONDecoder().decode(OCIStateOutput.self, from: Data(r.stdout.utf8))
    }

    /// The status, or nil if `state` fails (for polling).
    func status(_ id: String? = nil) -> String? {
        guard let r = try? oci(["state", id ?? self.id]), r.status == 0 else { return nil }
        return (try? JSONDecoder().decode(OCIStateOutput.self, from: Data(r.stdout.utf8)))?.status
    }

    /// The private state.json (Berth's own fields: monitorPid, cgroupPath, ...).
    func recordedState(_ id: String? = nil) throws -> ContainerState {
        try JSONDecoder().decode(ContainerState.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/" + (id ?? self.id) + "/state.json")))
    }

    func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    var driver: any CgroupDriver { get throws { try Cgroups.driver() } }

    /// `berth oci run` of the harness's container in the foreground, stdio on /dev/null; not waited for.
    func runInForeground(bundle: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: OCIHarness.berth)
        p.arguments = ["oci", "--root", root, "run", "--bundle", bundle, id]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// True if nothing of container `id` is left: no state dir, no cgroup, no mount of the rootfs.
    func leftovers(_ id: String) throws -> [String] {
        var found: [String] = []
        if Files.exists(root + "/" + id) { found.append("state dir \(root)/\(id)") }
        let cgroup = try CgroupPath("berth/\(id)")
        if try driver.exists(cgroup) { found.append("cgroup \(cgroup)") }
        let mountinfo = try Files.read("/proc/self/mountinfo")
        for line in mountinfo.split(separator: "\n") where line.contains(OCIHarness.rootfs) || line.contains(work) {
            found.append("mount \(line)")
        }
        return found
    }

    /// `LinuxRuntime` in-process on this harness's state root, with the debug build's helpers.
    func runtime() throws -> LinuxRuntime {
        LinuxRuntime(root: root, cgroups: try Cgroups.driver(), berthPath: OCIHarness.berth, monitorPath: OCIHarness.monitor,
                     initPath: OCIHarness.initExe)
    }

    /// `baseConfig` with `args` on the shared busybox rootfs (read-only).
    static func spec(_ args: [String]) throws -> Spec {
        var spec = try JSONDecoder().decode(Spec.self, from: Data(baseConfig.utf8))
        spec.process?.args = args
        spec.root = Spec.Root(path: rootfs, readonly: true)
        return spec
    }

    /// Remove every container under the test root (force) and the directories.
    func cleanUp() {
        if let ids = try? Files.list(root) {
            for id in ids { _ = try? oci(["delete", "--force", id]) }
        }
        try? Files.removeTree(root)
        try? Files.removeTree(work)
    }

    static let baseConfig = """
    {
      "ociVersion": "1.0.2",
      "process": {
        "terminal": false,
        "user": {"uid": 0, "gid": 0},
        "args": ["/bin/true"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {
          "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
          "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
          "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": true
      },
      "root": {"path": "rootfs", "readonly": true},
      "hostname": "berth",
      "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
      ],
      "linux": {
        "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
        "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
        "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
      }
    }
    """
}

extension Dictionary where Key == String, Value == Any {
    /// Set `linux.resources.<section>` (creating `linux.resources` if needed).
    mutating func setResources(_ section: String, _ value: [String: Any]) {
        var linux = self["linux"] as? [String: Any] ?? [:]
        var resources = linux["resources"] as? [String: Any] ?? [:]
        resources[section] = value
        linux["resources"] = resources
        self["linux"] = linux
    }
}

import BerthCgroups
import BerthSys
import Foundation
import Testing

/// Every container gets a device cgroup policy (Docs/init.md "Devices"): with CAP_MKNOD it can
/// make a node for any host device, but not open one outside the allow list (here kmsg, c 1:11,
/// opened for writing, which needs no capability of its own); the default devices keep working.
@Suite(.serialized) struct DevicePolicyTests {
    /// Makes /dev/k (c 1:11), opens it for writing, then the default devices; one line each.
    /// (`:` with a failing redirection would end the shell, so each open runs in a subshell.)
    static let probe = """
        mknod /dev/k c 1 11 && echo "mknod ok"
        if err=$( (: > /dev/k) 2>&1 ); then echo "kmsg opened"; else echo "kmsg refused: $err"; fi
        echo x > /dev/null && echo "null ok"
        [ "$(head -c 3 /dev/zero | wc -c)" = 3 ] && echo "zero ok"
        [ "$(head -c 8 /dev/urandom | wc -c)" = 8 ] && echo "urandom ok"
        echo x > /dev/full 2>/dev/null || echo "full ENOSPC"
        err=$( (: > /dev/tty) 2>&1 ) || echo "tty: $err"
        """

    static func expectDefaultsWork(_ out: String) {
        for line in ["mknod ok", "null ok", "zero ok", "urandom ok", "full ENOSPC"] { #expect(out.contains(line), "\(line): \(out)") }
        // No controlling terminal: ENXIO from the tty driver, not EPERM from the device cgroup.
        #expect(out.contains("tty: ") && !out.contains("tty: sh: can't create /dev/tty: Operation not permitted"), "\(out)")
    }

    /// The devices.list (v1) of a group, or nil on v2 (no such file: the policy is an eBPF program).
    static func devicesList(_ path: CgroupPath) throws -> [String]? {
        let dirs = try Cgroups.driver().directories(path)
        guard let text = dirs.lazy.compactMap({ try? Files.read($0 + "/devices.list") }).first else { return nil }
        return text.split(separator: "\n").map(String.init)
    }

    static let dockerList = ["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                             "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"]

    static func withMknod(_ config: inout [String: Any]) {
        var process = config["process"] as! [String: Any]
        var caps = process["capabilities"] as! [String: Any]
        for set in ["bounding", "effective", "permitted"] { caps[set] = (caps[set] as! [String]) + ["CAP_MKNOD"] }
        process["capabilities"] = caps
        config["process"] = process
    }

    /// `linux.resources.devices` (an array, which `setResources` does not take).
    static func withDevices(_ config: inout [String: Any], _ rules: [[String: Any]]) {
        var linux = config["linux"] as? [String: Any] ?? [:]
        linux["resources"] = ["devices": rules]
        config["linux"] = linux
    }

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
    }

    @Test func ociContainerWithoutRulesCannotOpenAHostDevice() throws {
        let h = try OCIHarness("devdefault")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", Self.probe]) { Self.withMknod(&$0) }
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kmsg refused: sh: can't create /dev/k: Operation not permitted"), "\(r.stdout)")
        #expect(!r.stdout.contains("kmsg opened"), "\(r.stdout)")
        Self.expectDefaultsWork(r.stdout)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func ociRulesAreAppliedInOrderAndShowInDevicesList() throws {
        let h = try OCIHarness("devrules")
        defer { h.cleanUp() }
        let rules: [[String: Any]] = [["allow": false, "access": "rwm"],
                                      ["allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"],
                                      ["allow": true, "type": "b", "major": 7, "minor": NSNull(), "access": "m"]]
        let bundle = try h.bundle(["sh", "-c", Self.probe]) {
            Self.withMknod(&$0)
            Self.withDevices(&$0, rules)
        }
        let r = try h.oci(["--explain", "run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kmsg opened"), "allowed by the spec's rule: \(r.stdout)")
        Self.expectDefaultsWork(r.stdout)
        if try Cgroups.driver().mode != .v2 {
            #expect(r.stderr.contains("devices.deny") && r.stderr.contains("write c 1:11 w >"), "--explain shows the writes: \(r.stderr)")
        }

        // The list as the kernel has it, while the container exists.
        let created = try h.bundle(["sleep", "30"], name: "created") { Self.withDevices(&$0, rules) }
        let c = try h.oci(["create", "--bundle", created, "listed"])
        try #require(c.status == 0, "\(c.stderr)")
        if let list = try Self.devicesList(try CgroupPath("berth/listed")) {
            #expect(Set(list) == Set(Self.dockerList + ["c 1:11 w", "b 7:* m"]), "\(list)")
        }
        _ = try h.oci(["delete", "--force", "listed"])
        #expect(try h.leftovers("listed").isEmpty)
    }

    @Test func taskContainerCannotOpenAHostDeviceAndHasDockersList() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "devices", "containerDefinitions": [
              {"name": "app", "image": "busybox:latest", "essential": true, "memory": 32, "stopTimeout": 1,
               "command": ["sh", "-c", \(try Self.quoted(Self.probe + "\necho probed; exec sleep 60"))]}]}
            """)
        var list: [String]?
        let r = try h.run(file, timeout: 60, waitFor: "app | probed") { p, _ in
            if let i = p.arguments?.firstIndex(of: "--task-id"), let path = try? CgroupPath("berth/task-\(p.arguments![i + 1])/app") {
                list = try? Self.devicesList(path)
            }
            p.terminate()
        }
        #expect(r.stdout.contains("app | kmsg refused: sh: can't create /dev/k: Operation not permitted"), "\(r.stdout)")
        #expect(!r.stdout.contains("kmsg opened"), "\(r.stdout)")
        Self.expectDefaultsWork(r.stdout)
        if try Cgroups.driver().mode != .v2 {
            #expect(list.map(Set.init) == Set(Self.dockerList), "\(list ?? [])")
        }
        try h.expectCleanedUp(r.taskId)
    }
}

import BerthCgroups
import BerthSys
import Foundation
import Testing

/// `linux.devices` (OCI) and `linuxParameters.devices` (ECS): the node is made in the container
/// with its type, numbers, mode and owner, and the device cgroup lets the container use it (and
/// only with the permissions given); a device it was not given stays refused (Docs/init.md "Devices").
@Suite(.serialized) struct LinuxDevicesTests {
    /// One line per fact; each open in a subshell (a failed redirection would end the shell).
    static let ociProbe = """
        stat -c '%n %F %t:%T %a %u:%g' /dev/mynull /dev/sub/tun /dev/fifo
        if err=$( (echo hi > /dev/mynull) 2>&1 ); then echo mynull=written; else echo "mynull=refused $err"; fi
        echo hi > /dev/othernull && echo othernull=written
        if err=$( (exec 3< /dev/sub/tun) 2>&1 ); then echo tun=opened; else echo "tun=refused $err"; fi
        mknod /dev/k c 1 11 && echo mknod=ok
        if err=$( (: > /dev/k) 2>&1 ); then echo kmsg=opened; else echo "kmsg=refused $err"; fi
        (echo through-fifo > /dev/fifo &); read line < /dev/fifo; echo "fifo=$line"
        """

    static var devices: [[String: Any]] { [
        ["path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 1000, "gid": 5],
        ["path": "/dev/othernull", "type": "c", "major": 1, "minor": 3],
        ["path": "/dev/sub/tun", "type": "c", "major": 10, "minor": 200],
        ["path": "/dev/fifo", "type": "p", "fileMode": 0o600],
    ] }

    static func withDevices(_ config: inout [String: Any]) {
        var linux = config["linux"] as? [String: Any] ?? [:]
        linux["devices"] = devices
        config["linux"] = linux
        DevicePolicyTests.withMknod(&config)
    }

    @Test func ociLinuxDevicesAreCreatedAndUsableOthersStayRefused() throws {
        let h = try OCIHarness("linuxdevs")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", Self.ociProbe]) { Self.withDevices(&$0) }
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        for line in ["/dev/mynull character special file 1:3 620 1000:5", "/dev/sub/tun character special file a:c8 666 0:0",
                     "/dev/fifo fifo 0:0 600 0:0", "othernull=written", "tun=opened", "mknod=ok", "fifo=through-fifo"] {
            #expect(r.stdout.split(separator: "\n").contains { $0 == line }, "\(line): \(r.stdout)")
        }
        #expect(r.stdout.contains("kmsg=refused sh: can't create /dev/k: Operation not permitted"), "\(r.stdout)")
        // 0620 1000:5 is enforced: root without CAP_DAC_OVERRIDE is neither owner nor in group 5.
        #expect(r.stdout.contains("mynull=refused sh: can't create /dev/mynull: Permission denied"), "\(r.stdout)")
        #expect(try h.leftovers(h.id).isEmpty)

        // On v1 the kernel's list shows the node's rule.
        let created = try h.bundle(["sleep", "30"], name: "created") { Self.withDevices(&$0) }
        let c = try h.oci(["create", "--bundle", created, "linuxdevs-listed"])
        try #require(c.status == 0, "\(c.stderr)")
        if let list = try DevicePolicyTests.devicesList(try CgroupPath("berth/linuxdevs-listed")) {
            #expect(Set(list) == Set(DevicePolicyTests.dockerList + ["c 10:200 rwm"]), "\(list)")
        }
        _ = try h.oci(["delete", "--force", "linuxdevs-listed"])
        #expect(try h.leftovers("linuxdevs-listed").isEmpty)
    }

    @Test func ociBadLinuxDeviceIsRefusedByFieldAndLeavesNothing() throws {
        let h = try OCIHarness("linuxdevbad")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["true"]) {
            var linux = $0["linux"] as? [String: Any] ?? [:]
            linux["devices"] = [["path": "/dev/x", "type": "c", "minor": 3]]
            $0["linux"] = linux
        }
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("linux.devices[0].major: is required for type \"c\""), "\(r.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func taskLinuxParametersDevicesGetTheirPermissionsOnly() throws {
        let h = try TaskHarness()
        let probe = """
            stat -c '%n %F %t:%T %a' /dev/tun /dev/kmsg
            if err=$( (exec 3< /dev/tun) 2>&1 ); then echo tun-read=opened; else echo "tun-read=refused $err"; fi
            if err=$( (exec 3> /dev/tun) 2>&1 ); then echo tun-write=opened; else echo "tun-write=refused $err"; fi
            if err=$( (: > /dev/kmsg) 2>&1 ); then echo kmsg-write=opened; else echo "kmsg-write=refused $err"; fi
            """
        let file = try h.write("""
            {"family": "devices", "containerDefinitions": [
              {"name": "app", "image": "busybox:latest", "essential": true, "memory": 32,
               "linuxParameters": {"devices": [{"hostPath": "/dev/net/tun", "containerPath": "/dev/tun", "permissions": ["read"]},
                                               {"hostPath": "/dev/kmsg", "permissions": ["write"]}]},
               "command": ["sh", "-c", \(try DevicePolicyTests.quoted(probe))]}]}
            """)
        let r = try h.run(file, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.exitCode("app") == 0, "\(r.stdout)")
        for line in ["app | /dev/tun character special file a:c8 666", "app | /dev/kmsg character special file 1:b 644",
                     "app | tun-read=opened", "app | kmsg-write=opened"] {
            #expect(r.stdout.split(separator: "\n").contains { $0 == line }, "\(line): \(r.stdout)")
        }
        #expect(r.stdout.contains("app | tun-write=refused sh: can't create /dev/tun: Operation not permitted"), "\(r.stdout)")
        try h.expectCleanedUp(r.taskId)
    }
}

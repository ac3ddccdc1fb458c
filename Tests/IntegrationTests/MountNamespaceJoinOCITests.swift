import BerthSys
import Foundation
import Glibc
import Testing

/// `linux.namespaces[{type: mount, path}]` on the real kernel, through `berth oci` (root; fails
/// when not root): the container runs in the joined namespace's root, which Berth leaves as it is
/// (Docs/init.md "Joining a mount namespace").
@Suite(.serialized) struct MountNamespaceJoinOCITests {
    /// The first container: the harness's config with a writable /tmp tmpfs.
    static func withTmp(_ config: inout [String: Any]) {
        var mounts = config["mounts"] as! [[String: Any]]
        mounts.append(["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]])
        config["mounts"] = mounts
    }

    /// A second container joining the mount (and pid) namespace of `pid`: nothing that would
    /// change the joined mounts, a new network, ipc and uts namespace of its own.
    static func joining(_ pid: Int32, rootfs: String = OCIHarness.rootfs) -> (inout [String: Any]) -> Void {
        { config in
            config["mounts"] = [[String: Any]]()
            config["root"] = ["path": rootfs]
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = [["type": "pid", "path": "/proc/\(pid)/ns/pid"], ["type": "network"], ["type": "ipc"], ["type": "uts"],
                                   ["type": "mount", "path": "/proc/\(pid)/ns/mnt"]]
            linux.removeValue(forKey: "maskedPaths")
            linux.removeValue(forKey: "readonlyPaths")
            config["linux"] = linux
        }
    }

    static func link(_ path: String) -> String { (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?" }

    static func identity(_ path: String) -> [UInt64] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    @Test func aSecondContainerJoinsTheFirstsMountNamespaceAndSeesItsFiles() throws {
        let h = try OCIHarness("mntjoin")
        defer { h.cleanUp() }
        let first = try h.bundle(["sleep", "60"], name: "first", edit: Self.withTmp)
        let created = try h.oci(["run", "--detach", "--bundle", first, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let wrote = try h.oci(["exec", h.id, "sh", "-c", "echo from-first > /tmp/shared"])
        try #require(wrote.status == 0, "\(wrote.stderr)")
        let mountsBefore = try Files.read("/proc/\(pid)/mountinfo")
        let rootBefore = Self.identity("/proc/\(pid)/root")

        let second = try h.bundle(["sh", "-c", "cat /tmp/shared; echo from-second > /tmp/second; ps -o comm | grep -c sleep; readlink /proc/self/ns/mnt; pwd; id -u"],
                                  name: "second", edit: Self.joining(pid))
        let r = try h.oci(["run", "--bundle", second, h.id + "-2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "from-first\n1\n\(Self.link("/proc/\(pid)/ns/mnt"))\n/\n0\n", "\(r.stdout)")

        // The first container's root and mounts are as they were; it sees what the second wrote.
        #expect(try Files.read("/proc/\(pid)/mountinfo") == mountsBefore)
        #expect(Self.identity("/proc/\(pid)/root") == rootBefore && !rootBefore.isEmpty)
        let back = try h.oci(["exec", h.id, "cat", "/tmp/second"])
        #expect(back.status == 0 && back.stdout == "from-second\n", "\(back.stdout) \(back.stderr)")
        #expect(try h.leftovers(h.id + "-2").isEmpty)
    }

    /// The first container has its own user namespace: the second joins user, pid and mount;
    /// it is the namespace's root (host 100000) and sees the first's files.
    @Test func joinsAMountNamespaceTogetherWithItsUserNamespace() throws {
        let h = try OCIHarness("mntjoinuser")
        defer { h.cleanUp() }
        let first = try h.bundle(["sleep", "60"], name: "first") { config in
            UserNamespaceOCITests.withUserNamespace(volume: nil)(&config)
            Self.withTmp(&config)
        }
        let created = try h.oci(["run", "--detach", "--bundle", first, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let wrote = try h.oci(["exec", h.id, "sh", "-c", "echo from-first > /tmp/shared"])
        try #require(wrote.status == 0, "\(wrote.stderr)")
        let mountsBefore = try Files.read("/proc/\(pid)/mountinfo")
        let second = try h.bundle(["sh", "-c", "cat /tmp/shared; id -u; cat /proc/self/uid_map; readlink /proc/self/ns/mnt; readlink /proc/self/ns/user"],
                                  name: "second") { config in
            Self.joining(pid)(&config)
            var linux = config["linux"] as! [String: Any]
            var namespaces = linux["namespaces"] as! [[String: Any]]
            namespaces.append(["type": "user", "path": "/proc/\(pid)/ns/user"])
            linux["namespaces"] = namespaces
            config["linux"] = linux
        }
        let r = try h.oci(["run", "--bundle", second, h.id + "-2"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["from-first", "0", "0 100000 65536", Self.link("/proc/\(pid)/ns/mnt"), Self.link("/proc/\(pid)/ns/user")], "\(r.stdout)")
        #expect(try Files.read("/proc/\(pid)/mountinfo") == mountsBefore)
    }

    @Test func fieldsThatWouldChangeTheJoinedMountsAreRefusedByName() throws {
        let h = try OCIHarness("mntjoinbad")
        defer { h.cleanUp() }
        let first = try h.bundle(["sleep", "60"], name: "first")
        let created = try h.oci(["run", "--detach", "--bundle", first, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let bundle = try h.bundle(["true"], name: "second") { config in
            config["root"] = ["path": OCIHarness.rootfs, "readonly": true]
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = [["type": "pid"], ["type": "mount", "path": "/proc/\(pid)/ns/mnt"], ["type": "user"]]
            linux["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            linux["gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            linux["rootfsPropagation"] = "rslave"
            config["linux"] = linux
            config.removeValue(forKey: "hostname")
            config["hooks"] = ["createContainer": [["path": "/bin/true"]]]
        }
        let r = try h.oci(["create", "--bundle", bundle, h.id + "-2"])
        #expect(r.status != 0)
        for field in ["mounts[0]", "mounts[4]", "root.readonly", "linux.maskedPaths", "linux.readonlyPaths", "linux.rootfsPropagation",
                      "hooks.createContainer", "linux.namespaces[2]"] {
            #expect(r.stderr.contains("\(field): "), "\(field): \(r.stderr)")
        }
        #expect(r.stderr.contains("would change the mounts of the joined mount namespace"), "\(r.stderr)")
        #expect(try h.leftovers(h.id + "-2").isEmpty)
    }

    /// root.path must be the joined namespace's root: init compares them after the join and the
    /// create fails naming root.path, leaving nothing behind.
    @Test func aRootPathThatIsNotTheJoinedRootIsRefused() throws {
        let h = try OCIHarness("mntjoinroot")
        defer { h.cleanUp() }
        let first = try h.bundle(["sleep", "60"], name: "first")
        let created = try h.oci(["run", "--detach", "--bundle", first, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let other = h.work + "/other-rootfs"
        try Files.makeDirectories(other)
        let bundle = try h.bundle(["true"], name: "second", edit: Self.joining(pid, rootfs: other))
        let r = try h.oci(["run", "--bundle", bundle, h.id + "-2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("root.path: \(other) is not the root of the mount namespace joined by path"), "\(r.stderr)")
        #expect(try h.leftovers(h.id + "-2").isEmpty)
        #expect(try h.state().status == "running")
    }
}

import BerthCgroups
import BerthSys
import Foundation
import Glibc
import Testing

/// User namespaces (uid/gid mappings, idmapped rootfs), namespaces joined by path and
/// `linux.cgroupsPath` on the real kernel, through `berth oci` (root; fails when not root).
@Suite(.serialized) struct UserNamespaceOCITests {
    nonisolated(unsafe) static let mapping: [[String: Any]] = [["containerID": 0, "hostID": 100000, "size": 65536]]

    /// Own user namespace (container 0 -> host 100000, 65536 ids) plus the usual ones, and a
    /// writable volume owned by the mapped root.
    static func withUserNamespace(volume: String?) -> (inout [String: Any]) -> Void {
        { config in
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = [["type": "pid"], ["type": "network"], ["type": "ipc"], ["type": "uts"], ["type": "mount"],
                                   ["type": "user"], ["type": "cgroup"]]
            linux["uidMappings"] = mapping
            linux["gidMappings"] = mapping
            config["linux"] = linux
            if let volume {
                var mounts = config["mounts"] as! [[String: Any]]
                mounts.append(["destination": "/vol", "type": "bind", "source": volume, "options": ["rbind", "rw"]])
                config["mounts"] = mounts
            }
        }
    }

    static func owner(_ path: String) -> (uid: UInt32, gid: UInt32)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (st.st_uid, st.st_gid)
    }

    @Test func mappedRootIsHostUid100000WithAnIdmappedRootfs() throws {
        let h = try OCIHarness("userns")
        defer { h.cleanUp() }
        let volume = h.work + "/vol"
        try Files.makeDirectories(volume)
        #expect(chown(volume, 100000, 100000) == 0)
        let bundle = try h.bundle(["sleep", "60"], edit: Self.withUserNamespace(volume: volume))
        let created = try h.oci(["run", "--detach", "--bundle", bundle, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        // From the host the container's process belongs to the mapped ids.
        #expect(Self.owner("/proc/\(pid)")?.uid == 100000)
        #expect(try Files.read("/proc/\(pid)/status").contains("Uid:\t100000\t100000\t100000\t100000"))

        let r = try h.oci(["exec", h.id, "sh", "-c",
            "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /vol/made; ls -ln /etc/passwd | awk '{print $3\":\"$4}'; cat /dev/null && echo null-ok"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["0", "0", "0 100000 65536", "0 100000 65536", "0:0", "null-ok"], "\(r.stdout)")
        // A file the container's root makes in a plain (not idmapped) volume belongs to host 100000;
        // the rootfs, owned by host 0, shows as container 0 only through the idmapped mount.
        let made = Self.owner(volume + "/made")
        #expect(made?.uid == 100000 && made?.gid == 100000, "\(String(describing: made))")
        #expect(Self.owner(OCIHarness.rootfs + "/etc/passwd")?.uid == 0)

        let deleted = try h.oci(["delete", "--force", h.id])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func joinsAnotherContainersNamespacesByPath() throws {
        let h = try OCIHarness("nsjoin")
        defer { h.cleanUp() }
        let first = try h.bundle(["sleep", "60"], name: "first", edit: Self.withUserNamespace(volume: nil))
        let created = try h.oci(["run", "--detach", "--bundle", first, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let joined: [(type: String, proc: String)] = [("user", "user"), ("pid", "pid"), ("network", "net"), ("ipc", "ipc"), ("uts", "uts")]
        let second = try h.bundle(["sh", "-c", "id -u; cat /proc/self/uid_map; ps -o comm | grep -c sleep; ls -ln /etc/passwd | awk '{print $3\":\"$4}'; for n in user pid net ipc uts; do readlink /proc/self/ns/$n; done"],
                                  name: "second") { config in
            config.removeValue(forKey: "hostname")
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = joined.map { ["type": $0.type, "path": "/proc/\(pid)/ns/\($0.proc)"] } + [["type": "mount"], ["type": "cgroup"]]
            config["linux"] = linux
        }
        let r = try h.oci(["run", "--bundle", second, h.id + "-2"])
        #expect(r.status == 0, "\(r.stderr)")
        // The rootfs is idmapped to the joined user namespace too: host 0 shows as container 0.
        let expected = ["0", "0 100000 65536", "1", "0:0"] + joined.map { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\($0.proc)")) ?? "?" }
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == expected, "\(r.stdout)")
    }

    @Test func namespacePathsMustBeNamespaceFilesOfTheirType() throws {
        let h = try OCIHarness("nsbad")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["true"]) { config in
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = [["type": "pid"], ["type": "network", "path": "/proc/self/ns/ipc"], ["type": "ipc", "path": "/etc/hostname"],
                                   ["type": "uts"], ["type": "mount", "path": "/proc/self/ns/pid"]]
            config["linux"] = linux
        }
        let r = try h.oci(["create", "--bundle", bundle, h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("linux.namespaces[1].path: \"/proc/self/ns/ipc\" is a namespace of type ipc, not network"), "\(r.stderr)")
        #expect(r.stderr.contains("linux.namespaces[2].path: \"/etc/hostname\" is not a namespace file (nsfs)"), "\(r.stderr)")
        #expect(r.stderr.contains("linux.namespaces[4].path: \"/proc/self/ns/pid\" is a namespace of type pid, not mount"), "\(r.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    /// ramfs cannot be idmapped: create fails naming root.path and leaves nothing. The same rootfs
    /// owned in advance by the mapped ids (as runc expects) is used without an idmapped mount.
    @Test func aRootfsThatCannotBeIdmappedIsRefusedUnlessTheMappedRootOwnsIt() throws {
        let h = try OCIHarness("usernsramfs")
        let rootfs = h.work + "/ramfs-rootfs"
        try Files.makeDirectories(rootfs)
        #expect(mount("ramfs", rootfs, "ramfs", 0, nil) == 0)
        defer {
            // The ramfs first: the harness cannot remove its work directory with a mount in it.
            umount2(rootfs, Int32(MNT_DETACH))
            rmdir(rootfs)
            h.cleanUp()
        }
        let copy = try h.run("/bin/cp", ["-a", OCIHarness.rootfs + "/.", rootfs + "/"])
        try #require(copy.status == 0, "\(copy.stderr)")
        let bundle = try h.bundle(["sh", "-c", "id -u; ls -ln /etc/passwd | awk '{print $3\":\"$4}'"]) { config in
            Self.withUserNamespace(volume: nil)(&config)
            config["root"] = ["path": rootfs, "readonly": true]
        }
        let refused = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("root.path: \(rootfs): an idmapped mount of the rootfs failed (mount_setattr MOUNT_ATTR_IDMAP: Invalid argument)"), "\(refused.stderr)")
        // Only the test's own ramfs mount of the rootfs remains.
        let left = try h.leftovers(h.id)
        #expect(left.count == 1 && left[0].contains(" \(rootfs) "), "\(left)")

        let chowned = try h.run("/bin/chown", ["-R", "100000:100000", rootfs])
        try #require(chowned.status == 0, "\(chowned.stderr)")
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "0\n0:0\n", "\(r.stdout)")
    }

    // MARK: cgroupsPath

    /// A top-level name no one else uses, removed at the end in every hierarchy.
    static func uniqueTop() -> String { "berthtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    func runInCgroup(_ h: OCIHarness, _ cgroupsPath: String, id: String) throws -> String {
        let bundle = try h.bundle(["sleep", "60"], name: id) { config in
            var linux = config["linux"] as! [String: Any]
            linux["cgroupsPath"] = cgroupsPath
            config["linux"] = linux
        }
        let r = try h.oci(["run", "--detach", "--bundle", bundle, id])
        try #require(r.status == 0, "\(r.stderr)")
        return try Files.read("/proc/\(try h.state(id).pid)/cgroup")
    }

    func dirs(_ driver: any CgroupDriver, _ relative: String) throws -> [String] {
        driver.directories(try CgroupPath(spec: relative)).filter { Files.isDirectory($0) }
    }

    @Test func absoluteAndRelativeCgroupsPathsAreCreatedAndRemoved() throws {
        let h = try OCIHarness("cgpath")
        let driver = try h.driver
        let top = Self.uniqueTop(), kept = Self.uniqueTop(), rel = Self.uniqueTop()
        defer {
            h.cleanUp()
            for name in [top, kept, "berth/" + rel] {
                for d in (try? CgroupPath(spec: name)).map({ driver.directories($0) }) ?? [] {
                    if Files.isDirectory(d + "/c1") { rmdir(d + "/c1") }
                    rmdir(d)
                }
            }
        }
        // Absolute, nothing there before: both levels are made, both go on delete.
        let absolute = try runInCgroup(h, "/\(top)/c1", id: h.id)
        #expect(absolute.contains(":/\(top)/c1\n"), "\(absolute)")
        #expect(try !dirs(driver, "\(top)/c1").isEmpty)
        #expect(try h.oci(["delete", "--force", h.id]).status == 0)
        #expect(try dirs(driver, top).isEmpty)

        // Absolute below a parent that exists: the parent stays.
        for d in driver.directories(try CgroupPath(spec: kept)) { mkdir(d, 0o755) }
        let existing = try dirs(driver, kept)
        #expect(!existing.isEmpty)
        _ = try runInCgroup(h, "/\(kept)/c1", id: h.id + "-k")
        #expect(try h.oci(["delete", "--force", h.id + "-k"]).status == 0)
        #expect(try dirs(driver, kept) == existing)
        #expect(try dirs(driver, kept + "/c1").isEmpty)

        // Relative: below berth/, gone with its created parent.
        let relative = try runInCgroup(h, "\(rel)/c1", id: h.id + "-r")
        #expect(relative.contains(":/berth/\(rel)/c1\n"), "\(relative)")
        #expect(try h.oci(["delete", "--force", h.id + "-r"]).status == 0)
        #expect(try dirs(driver, "berth/" + rel).isEmpty)
        #expect(try !dirs(driver, "berth").isEmpty)
    }
}

import CBerth
import Testing
@testable import BerthInit
@testable import BerthRuntime

@Suite struct MountOptionsTests {
    @Test func flagsDataAndClearingOptions() throws {
        let o = try MountOptions.parse(["nosuid", "noexec", "nodev", "mode=1777", "size=65536k", "ro"], field: "mounts[0]")
        #expect(o.flags == BERTH_MS_NOSUID | BERTH_MS_NOEXEC | BERTH_MS_NODEV | BERTH_MS_RDONLY)
        #expect(o.data == "mode=1777,size=65536k")
        #expect(o.isReadOnly && !o.isBind)

        let cleared = try MountOptions.parse(["ro", "nosuid", "rw", "suid", "exec", "defaults"], field: "m")
        #expect(cleared.flags == 0)
        #expect(cleared.data.isEmpty)
    }

    @Test func bindAndRemount() throws {
        let plain = try MountOptions.parse(["rbind"], field: "m")
        #expect(plain.flags == BERTH_MS_BIND | BERTH_MS_REC && plain.bindRemountFlags == nil)
        let ro = try MountOptions.parse(["bind", "ro", "nosuid"], field: "m")
        #expect(ro.bindRemountFlags == BERTH_MS_RDONLY | BERTH_MS_NOSUID | BERTH_MS_BIND | BERTH_MS_REMOUNT)
    }

    @Test func propagationIsSeparate() throws {
        let o = try MountOptions.parse(["rbind", "rslave", "private"], field: "m")
        #expect(o.propagation == [BERTH_MS_SLAVE | BERTH_MS_REC, BERTH_MS_PRIVATE])
        #expect(o.flags == BERTH_MS_BIND | BERTH_MS_REC)
    }

    @Test func unsupportedOptionNamesItsPlace() {
        #expect(throws: InitError("mount", "mounts[2].options[1]: \"idmap\" is not supported by berth")) {
            try MountOptions.parse(["bind", "idmap"], field: "mounts[2]")
        }
    }

    @Test func describeFlags() {
        #expect(MountOptions.describe(BERTH_MS_BIND | BERTH_MS_REC | BERTH_MS_RDONLY) == "ro|bind|rec")
        #expect(MountOptions.describe(0) == "0")
    }
}

@Suite struct ContainerPathTests {
    @Test func cleaningClampsAtRoot() throws {
        #expect(try ContainerPath.components("/a//b/./c/", field: "f") == ["a", "b", "c"])
        #expect(try ContainerPath.components("/../../etc/../tmp", field: "f") == ["tmp"])
        #expect(try ContainerPath.clean("/", field: "f") == "/")
        #expect(throws: InitError.self) { try ContainerPath.components("relative/path", field: "mounts[0].destination") }
    }

    @Test func procDestinations() throws {
        try ContainerPath.checkProcDestination("/proc", type: "proc", field: "m")
        try ContainerPath.checkProcDestination("/proc/cpuinfo", type: "bind", field: "m")
        #expect(throws: InitError.self) { try ContainerPath.checkProcDestination("/proc", type: "tmpfs", field: "m") }
        #expect(throws: InitError.self) { try ContainerPath.checkProcDestination("/proc/self/root", type: "bind", field: "m") }
        try ContainerPath.checkProcDestination("/process", type: "tmpfs", field: "m")
    }

    @Test func mountinfoUnescape() {
        #expect(MountInfo.unescape("/mnt/with\\040space") == "/mnt/with space")
        #expect(MountInfo.unescape("/plain") == "/plain")
        #expect(MountInfo.unescape("/a\\134b") == "/a\\b")
    }
}

@Suite struct CgroupMountParsingTests {
    static let mountinfo = """
        25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
        32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
        35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:14 - cgroup cgroup rw,cpu,cpuacct
        36 30 0:32 /sub /sys/fs/cgroup/memory rw,nosuid shared:15 - cgroup cgroup rw,memory
        """
    static let procCgroup = """
        12:memory:/sub/berth/c1
        4:cpu,cpuacct:/berth/c1
        1:name=systemd:/user.slice
        0::/berth/c1
        """

    @Test func hierarchiesFromMountinfo() {
        let h = CgroupMount.hierarchies(mountinfo: Self.mountinfo)
        #expect(h.map(\.name) == ["unified", "systemd", "cpu,cpuacct", "memory"])
        #expect(h[0].isV2 && h[0].controllers.isEmpty)
        #expect(h[1].controllers == ["name=systemd"])
        #expect(h[2].controllers == ["cpu", "cpuacct"])
        #expect(h[3].mountRoot == "/sub")
    }

    @Test func ownPathPerHierarchy() {
        let h = CgroupMount.hierarchies(mountinfo: Self.mountinfo)
        #expect(h.map { CgroupMount.ownPath(in: $0, procCgroup: Self.procCgroup) } ==
                ["/berth/c1", "/user.slice", "/berth/c1", "/sub/berth/c1"])
    }
}

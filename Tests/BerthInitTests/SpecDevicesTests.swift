import BerthSys
import CBerth
import Glibc
import Testing
@testable import BerthInit

/// `SpecDevices` through the syscall seam on a real temp rootfs (only the parent directories are
/// really made): mknod, check, owner and mode; an existing node of another kind refused; the
/// host node bound when mknod is EPERM (what a user namespace gets), never chmod'ed.
@Suite struct SpecDevicesTests {
    static func withRootfs(_ body: (RootedPath, String) throws -> Void) throws {
        let dir = "/tmp/berth-specdev-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectories(dir + "/dev")
        defer { try? Files.removeTree(dir) }
        let root = try FileDescriptor.open(dir, O_DIRECTORY | BERTH_O_PATH)
        defer { root.close() }
        try body(RootedPath(root: root), dir)
    }

    static let mynull = Spec.Device(path: "/dev/sub/mynull", type: "c", major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 5)

    @Test func nodeIsMadeCheckedThenOwnedWithItsExactMode() throws {
        try Self.withRootfs { rooted, dir in
            let sys = RecordingSyscalls()
            sys.rootfs = dir
            try SpecDevices.create([Self.mynull, Spec.Device(path: "/dev/fifo", type: "p")], rooted: rooted, sys)
            #expect(sys.calls == ["mknod <rootfs>/dev/sub/mynull 020620 1:3", "stat <rootfs>/dev/sub/mynull",
                                  "chown <rootfs>/dev/sub/mynull 1000:5 0620",
                                  "mknod <rootfs>/dev/fifo 010666 0:0", "stat <rootfs>/dev/fifo", "chown <rootfs>/dev/fifo 0:0 0666"],
                    "\(sys.calls)")
            #expect(Files.isDirectory(dir + "/dev/sub"))
        }
    }

    @Test func mknodRefusedBindsTheSameHostNodeOnly() throws {
        try Self.withRootfs { rooted, dir in
            let sys = RecordingSyscalls()
            sys.rootfs = dir
            sys.failName = "mknod"
            sys.failErrno = EPERM
            sys.hostNodes["/dev/sub/mynull"] = (S_IFCHR | 0o666, dev_t(1) << 8 | 3)
            try SpecDevices.create([Self.mynull], rooted: rooted, sys)
            #expect(sys.calls.count == 3, "\(sys.calls)")
            #expect(sys.calls.last == "mount /dev/sub/mynull on <rootfs>/dev/sub/mynull type=none flags=bind", "\(sys.calls)")
            #expect(!sys.calls.contains { $0.hasPrefix("chown") }, "a host node is never chmod'ed: \(sys.calls)")

            let other = RecordingSyscalls()
            other.rootfs = dir
            other.failName = "mknod"
            other.hostNodes["/dev/sub/mynull"] = (S_IFCHR | 0o666, dev_t(1) << 8 | 5)
            #expect {
                try SpecDevices.create([Self.mynull], rooted: rooted, other)
            } throws: { error in
                "\(error)".contains("linux.devices[0]: mknod is not permitted here (user namespace) and the host's /dev/sub/mynull is not the character device 1:3")
            }
        }
    }

    @Test func badEntriesAreRefusedByField() {
        for (device, message) in [
            (Spec.Device(path: "/dev/../x", type: "c", major: 1, minor: 3), "linux.devices[0].path: \"/dev/../x\" must not contain .."),
            (Spec.Device(path: "/dev/x", type: "z", major: 1, minor: 3), "linux.devices[0].type: \"z\" is not c, u, b or p"),
            (Spec.Device(path: "/dev/x", type: "b", major: nil, minor: 3), "linux.devices[0]: major and minor (0 or more) are required for type b"),
        ] {
            #expect { _ = try SpecDevices.nodes([device]) } throws: { "\($0)".contains(message) }
        }
    }
}

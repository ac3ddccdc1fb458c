import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The runtime-spec default devices and /dev symlinks, created in a fresh /dev tmpfs.
enum Devices {
    struct Node {
        var name: String
        var major: UInt32
        var minor: UInt32
    }

    static let nodes: [Node] = [
        Node(name: "null", major: 1, minor: 3), Node(name: "zero", major: 1, minor: 5),
        Node(name: "full", major: 1, minor: 7), Node(name: "random", major: 1, minor: 8),
        Node(name: "urandom", major: 1, minor: 9), Node(name: "tty", major: 5, minor: 0),
    ]

    static let links: [(name: String, target: String)] = [
        ("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
    ]

    /// Create the nodes relative to an opened /dev (never through a path that could be a
    /// symlink), then verify each with fstatat(AT_SYMLINK_NOFOLLOW): type and major:minor.
    static func populate(rooted: RootedPath, _ sys: some MountSyscalls) throws {
        let dev = try rooted.open(["dev"])
        defer { dev.close() }
        for node in nodes {
            try sys.makeCharDevice(in: dev, node.name, major: node.major, minor: node.minor)
            try verify(dev: dev, node, sys)
            Trace.step("device", "mknod /dev/\(node.name) c \(node.major):\(node.minor) 0666")
        }
        var all = links
        if Files.exists("/proc/kcore") { all.append(("core", "/proc/kcore")) }
        for link in all {
            try sys.symlink(link.target, in: dev, link.name, detail: "/dev/\(link.name) -> \(link.target)")
            Trace.step("device", "symlink /dev/\(link.name) -> \(link.target)")
        }
    }

    static func verify(dev: FileDescriptor, _ node: Node, _ sys: some MountSyscalls) throws {
        let (mode, rdev) = try sys.statAt(dev, node.name)
        guard mode & S_IFMT == S_IFCHR, berth_major(rdev) == node.major, berth_minor(rdev) == node.minor,
              mode & 0o777 == 0o666 else {
            throw InitError("devices", "/dev/\(node.name) is not the character device \(node.major):\(node.minor) mode 0666 after mknod")
        }
    }

    /// After pivot_root: stdio descriptors that point at the host's /dev/null (a host inode the
    /// container could fstat) are replaced by the container's own /dev/null, as runc does.
    static func reopenNullStdio() throws {
        var null = stat()
        guard stat("/dev/null", &null) == 0, null.st_mode & S_IFMT == S_IFCHR,
              berth_major(null.st_rdev) == 1, berth_minor(null.st_rdev) == 3 else { return }
        for fd: Int32 in 0...2 {
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFCHR, st.st_rdev == null.st_rdev,
                  st.st_dev != null.st_dev || st.st_ino != null.st_ino else { continue }
            let mine = try FileDescriptor.open("/dev/null", O_RDWR)
            defer { mine.close() }
            try Sys.call("dup3", detail: "/dev/null onto fd \(fd)") { berth_dup3(mine.rawValue, fd, 0) }
            Trace.step("device", "fd \(fd): host /dev/null replaced by the container's")
        }
    }

    /// True if `fd` is the null device (c 1:3): masking binds it, so a look-alike must be refused.
    static func isNullDevice(_ fd: FileDescriptor) -> Bool {
        var mode: mode_t = 0
        var rdev: dev_t = 0
        guard berth_fstatat_mode(fd.rawValue, "", BERTH_AT_EMPTY_PATH, &mode, &rdev) == 0 else { return false }
        return mode & S_IFMT == S_IFCHR && berth_major(rdev) == 1 && berth_minor(rdev) == 3
    }
}

import BerthSys
import CBerth
import Foundation
import Testing
@testable import BerthInit

/// Init's create-mode setup order (Docs/init.md, "Create mode"), driven through the syscall
/// seam with `RecordingSyscalls`: no root, no namespace, no mount. Only the rootfs lookups
/// (openat2, mkdirat in a scratch directory) run for real.
@Suite struct InitSetupOrderTests {
    /// A scratch bundle with a rootfs and a bind source; removed when the test ends.
    final class Bundle {
        let dir: String
        init() throws {
            dir = NSTemporaryDirectory() + "berth-initseam-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir + "/rootfs", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        /// As init sees them: symlink-free (`realpath`).
        var rootfs: String { URL(fileURLWithPath: dir + "/rootfs").resolvingSymlinksInPath().path }
        var resolvedDir: String { URL(fileURLWithPath: dir).resolvingSymlinksInPath().path }
    }

    /// Docker-like: new mount, pid, net and uts namespaces, ipc joined by path, proc, a /dev
    /// tmpfs, a read-only bind, cgroup; read-only rootfs, hostname, a sysctl, read-only and
    /// masked paths; a non-root user with one capability, an rlimit and no_new_privs.
    static func spec(bundle: Bundle) -> Spec {
        var process = Spec.Process(args: ["/bin/sh"], cwd: "/work")
        process.user = .init(uid: 1000, gid: 1000)
        process.capabilities = .init(bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"])
        process.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 64, hard: 64)]
        process.noNewPrivileges = true
        process.oomScoreAdj = 100
        return Spec(
            process: process, root: .init(path: "rootfs", readonly: true), hostname: "box",
            mounts: [
                .init(destination: "/proc", type: "proc", source: "proc"),
                .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"]),
                .init(destination: "/data", type: "bind", source: bundle.dir + "/data", options: ["rbind", "ro"]),
                .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"]),
            ],
            linux: .init(namespaces: [.init(type: "mount"), .init(type: "pid"), .init(type: "network"), .init(type: "uts"),
                                      .init(type: "ipc", path: "/proc/self/ns/ipc")],
                         maskedPaths: ["/proc/kcore", "/proc/acpi", "/proc/missing"], readonlyPaths: ["/proc/sys"],
                         sysctl: ["net.ipv4.ip_forward": "1"]))
    }

    /// Runs create mode up to the executable lookup (the fork between the namespace steps and
    /// the container's first process is left out: the double creates no namespace).
    static func run(_ sys: RecordingSyscalls, bundle: Bundle) throws {
        sys.rootfs = bundle.rootfs
        sys.bundle = bundle.dir
        sys.lastCap = 2
        sys.fileModes = ["/proc/kcore": S_IFREG | 0o400, "/proc/acpi": S_IFDIR | 0o555]
        let config = InitConfig(mode: .create, id: "c1", spec: spec(bundle: bundle), bundle: bundle.dir)
        let create = CreateInit(config: config, sync: nil, sys: sys)
        let prepared = try create.enterNamespaces()
        let start = try create.containerSetup(prepared)
        _ = try start.prepare()
    }

    /// Docs/init.md, create mode steps 1-7, in order.
    static var expected: [String] {
        let devices = Devices.nodes.flatMap { n in
            ["mknod <rootfs>/dev/\(n.name) c \(n.major):\(n.minor)", "stat <rootfs>/dev/\(n.name)"]
        }
        let links = (Devices.links + (Files.exists("/proc/kcore") ? [("core", "/proc/kcore")] : []))
            .map { "symlink <rootfs>/dev/\($0.name) -> \($0.target)" }
        return [
            // namespaces (oom_score_adj while still privileged; joins before the one unshare)
            "oom_score_adj 100", "setns ipc /proc/self/ns/ipc", "unshare mount,pid,network,uts",
            // the container's first process
            "setsid", "umask 0", "up lo",
            // propagation, parent of the rootfs private, rootfs bind
            "mount none on / type=none flags=rec|slave", "read mountinfo", "mount none on / type=none flags=private",
            "mount <rootfs> on <rootfs> type=none flags=bind|rec",
            // spec mounts in config order
            "mount proc on <rootfs>/proc type=proc flags=0",
            "mount tmpfs on <rootfs>/dev type=tmpfs flags=nosuid data=mode=755",
            "mount <bundle>/data on <rootfs>/data type=none flags=bind|rec",
            "mount none on <rootfs>/data type=none flags=ro|remount|bind",
            "statfs /sys/fs/cgroup", "mount cgroup on <rootfs>/sys/fs/cgroup type=cgroup2 flags=ro|nosuid|nodev|noexec",
        ] + devices + links + [
            // pivot_root, old root detached
            "fchdir <rootfs>", "pivot_root", "fchdir /", "mount none on . type=none flags=rec|slave",
            "umount . flags=\(BERTH_MNT_DETACH)", "chdir /",
            // read-only rootfs, hostname, sysctls, read-only paths, masked paths
            "statfs /", "mount none on / type=none flags=ro|remount|bind", "sethostname box",
            "sysctl /proc/sys/net/ipv4/ip_forward=1",
            "mount /proc/sys on /proc/sys type=none flags=bind|rec", "statfs /proc/sys",
            "mount none on /proc/sys type=none flags=ro|remount|bind|rec",
            "stat /proc/kcore", "mount /dev/null on /proc/kcore type=none flags=bind",
            "stat /proc/acpi", "mount tmpfs on /proc/acpi type=tmpfs flags=ro|nosuid|nodev|noexec",
            "stat /proc/missing",
            // credentials (runc's order, see ProcessSecurity)
            "rlimit RLIMIT_NOFILE 64 64", "chdir /work", "cloexec from 3", "drop 1", "drop 2", "keepcaps true",
            "setgroups []", "setresgid 1000", "setresuid 1000", "keepcaps false", "capset e=1 p=1 i=0",
            "ambient clear", "nnp", "umask 22",
        ]
    }

    @Test func setupRunsInTheDocumentedOrder() throws {
        let bundle = try Bundle()
        let sys = RecordingSyscalls()
        try Self.run(sys, bundle: bundle)
        #expect(sys.calls == Self.expected)
    }

    /// A failure at any step ends setup there with an error naming the step's stage and errno;
    /// no later call is made and nothing is undone by hand: mounts die with the container's
    /// mount namespace, credentials with the process (Docs/init.md, "Syscall seam").
    @Test func aFailureAtEachStepStopsThereWithItsStageAndErrno() throws {
        let full = RecordingSyscalls()
        try Self.run(full, bundle: try Bundle())
        let failable = full.stages.indices.filter { full.stages[$0] != nil }
        #expect(failable.count == full.calls.count - 3) // setsid, umask 0, umask 22 cannot fail
        for index in failable {
            let bundle = try Bundle()
            let sys = RecordingSyscalls()
            sys.failIndex = index
            sys.failErrno = EIO
            var message = ""
            do { try Self.run(sys, bundle: bundle) } catch { message = error.initMessage }
            let stage = full.stages[index]!
            #expect(message.contains(stage) && message.contains("Input/output error (errno 5)"),
                    "call \(index) \(full.calls[index]): \(message)")
            #expect(sys.calls == Array(full.calls[...index]), "call \(index) \(full.calls[index])")
        }
    }

    @Test func aNamedCallFailsWithTheGivenErrno() throws {
        let bundle = try Bundle()
        let sys = RecordingSyscalls()
        sys.failName = "pivot_root"
        sys.failErrno = EINVAL
        #expect(throws: SysError("pivot_root", errno: EINVAL, detail: bundle.rootfs)) { try Self.run(sys, bundle: bundle) }
        #expect(sys.calls.last == "pivot_root")
        #expect(!sys.calls.contains { $0.hasPrefix("umount") })
    }

    /// A read-only path that does not exist is skipped (ENOENT), not an error.
    @Test func aMissingReadonlyPathIsSkipped() throws {
        let bundle = try Bundle()
        let sys = RecordingSyscalls()
        sys.failName = "mount /proc/sys on /proc/sys"
        sys.failErrno = ENOENT
        try Self.run(sys, bundle: bundle)
        #expect(sys.calls == Self.expected.filter { !$0.hasSuffix("/proc/sys") && !$0.contains("on /proc/sys type=none flags=ro") })
    }
}

import BerthSys
import CBerth
import Glibc
import Testing
@testable import BerthInit

/// The steps `InitSetupOrderTests`' Docker-like spec does not reach, driven through the same
/// syscall seam: a cgroup v1 host (tmpfs with one fresh mount per hierarchy, symlinks for
/// co-mounted controllers, read-only remount), a read-only /dev, shared rootfs propagation and a
/// mount's own propagation option, domainname, ambient capabilities; and exec mode's joins of a
/// running container's namespaces. A failure injected at each call ends setup there.
@Suite struct InitFailureCoverageTests {
    typealias Bundle = InitSetupOrderTests.Bundle

    /// A v1/hybrid host: cgroup v1 hierarchies (one co-mounted) and the v2 `unified` one.
    static let v1MountInfo = """
        1 0 8:1 / / rw shared:1 - ext4 /dev/sda1 rw
        30 1 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec shared:10 - cgroup2 cgroup2 rw,nsdelegate
        33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec shared:14 - cgroup cgroup rw,cpu,cpuacct
        34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec shared:15 - cgroup cgroup rw,memory

        """

    /// Root user keeping two capabilities, both ambient; uts and cgroup namespaces of its own.
    static func spec(bundle: Bundle) -> Spec {
        var process = Spec.Process(args: ["/bin/sh"], cwd: "/")
        let caps = ["CAP_CHOWN", "CAP_KILL"]
        process.capabilities = .init(bounding: caps, effective: caps, inheritable: caps, permitted: caps, ambient: caps)
        return Spec(
            process: process, root: .init(path: "rootfs"), hostname: "box", domainname: "example.org",
            mounts: [
                .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "ro"]),
                .init(destination: "/data", type: "bind", source: bundle.dir + "/data", options: ["rbind", "rprivate"]),
                .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"]),
            ],
            linux: .init(namespaces: [.init(type: "mount"), .init(type: "pid"), .init(type: "uts"), .init(type: "cgroup")],
                         rootfsPropagation: "shared"))
    }

    static func run(_ sys: RecordingSyscalls, bundle: Bundle) throws {
        sys.rootfs = bundle.rootfs
        sys.bundle = bundle.dir
        sys.lastCap = 5
        sys.statfsAnswer = (Int(BERTH_TMPFS_MAGIC), 0)
        sys.mountInfoText = v1MountInfo
        let config = InitConfig(mode: .create, id: "c2", spec: spec(bundle: bundle), bundle: bundle.dir)
        let create = CreateInit(config: config, sync: nil, sys: sys)
        let prepared = try create.enterNamespaces()
        let start = try create.containerSetup(prepared)
        _ = try start.prepare()
    }

    /// The steps this spec adds, in the order they must come (other calls in between).
    static let steps = [
        "unshare mount,pid,uts,cgroup",
        "mount none on / type=none flags=rec|slave",
        "mount <bundle>/data on <rootfs>/data type=none flags=bind|rec",
        "mount none on <rootfs>/data type=none flags=rec|private",
        "statfs /sys/fs/cgroup",
        "mount tmpfs on <rootfs>/sys/fs/cgroup type=tmpfs flags=nosuid|nodev|noexec data=mode=755",
        "mount cgroup on <rootfs>/sys/fs/cgroup/unified type=cgroup2 flags=ro|nosuid|nodev|noexec",
        "mount cgroup on <rootfs>/sys/fs/cgroup/cpu,cpuacct type=cgroup flags=ro|nosuid|nodev|noexec data=cpu,cpuacct",
        "mount cgroup on <rootfs>/sys/fs/cgroup/memory type=cgroup flags=ro|nosuid|nodev|noexec data=memory",
        "symlink <rootfs>/sys/fs/cgroup/cpu -> cpu,cpuacct",
        "symlink <rootfs>/sys/fs/cgroup/cpuacct -> cpu,cpuacct",
        "mount none on <rootfs>/sys/fs/cgroup type=none flags=ro|nosuid|nodev|noexec|remount",
        "pivot_root",
        "mount none on /dev type=none flags=ro|nosuid|remount",
        "mount none on / type=none flags=shared",
        "sethostname box", "setdomainname example.org",
        "capset e=21 p=21 i=21", "ambient clear", "ambient 0", "ambient 5",
    ]

    @Test func theUncommonStepsRunInOrder() throws {
        let sys = RecordingSyscalls()
        try Self.run(sys, bundle: try Bundle())
        var rest = sys.calls[...]
        for step in Self.steps {
            guard let i = rest.firstIndex(of: step) else {
                Issue.record("\(step) missing or out of order in:\n\(sys.calls.joined(separator: "\n"))")
                return
            }
            rest = rest[(i + 1)...]
        }
    }

    /// As `InitSetupOrderTests.aFailureAtEachStepStopsThereWithItsStageAndErrno`, over this spec.
    @Test func aFailureAtEachStepStopsThereWithItsStageAndErrno() throws {
        let full = RecordingSyscalls()
        try Self.run(full, bundle: try Bundle())
        let failable = full.stages.indices.filter { full.stages[$0] != nil }
        #expect(failable.count == full.calls.count - 3) // setsid, umask 0, umask 22 cannot fail
        for index in failable {
            let sys = RecordingSyscalls()
            sys.failIndex = index
            sys.failErrno = EIO
            var message = ""
            do { try Self.run(sys, bundle: try Bundle()) } catch { message = error.initMessage }
            #expect(message.contains(full.stages[index]!) && message.contains("Input/output error (errno 5)"),
                    "call \(index) \(full.calls[index]): \(message)")
            #expect(sys.calls == Array(full.calls[...index]), "call \(index) \(full.calls[index])")
        }
    }

    /// Exec mode joins a running container's namespaces (`ExecInit.kinds` order, here our own
    /// namespace files as stand-ins): every path is opened before the first setns, a failure at
    /// any join stops there with its stage, and every opened descriptor is closed either way.
    @Test func execJoinsInOrderAndClosesItsDescriptorsOnFailure() throws {
        let kinds = ExecInit.kinds.filter { Files.exists("/proc/self/ns/\($0.procName)") }
        let targets = kinds.map { (kind: $0, path: "/proc/self/ns/\($0.procName)") }
        for failAt in [nil] + Array(targets.indices) {
            let sys = RecordingSyscalls()
            sys.failIndex = failAt
            // EIO: an EPERM before the user namespace is retried after it (NamespaceJoinOrderTests).
            sys.failErrno = EIO
            var thrown: SysError?
            do { try Namespaces.join(targets, sys) } catch { thrown = error }
            let joined = targets.prefix(failAt.map { $0 + 1 } ?? targets.count)
            #expect(sys.calls == joined.map { "setns \($0.kind.rawValue) \($0.path)" })
            if let failAt {
                #expect(thrown == SysError("setns \(targets[failAt].kind.rawValue)", errno: EIO, detail: targets[failAt].path))
            } else {
                #expect(thrown == nil)
            }
            // Opened all at once before the first join, so the descriptors are distinct...
            #expect(Set(sys.setnsDescriptors).count == sys.setnsDescriptors.count)
            // ...and none still names a namespace file afterwards.
            for fd in sys.setnsDescriptors {
                var buf = [CChar](repeating: 0, count: 256)
                let n = readlink("/proc/self/fd/\(fd)", &buf, buf.count - 1)
                let target = n > 0 ? String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
                #expect(!target.contains(":["), "fd \(fd) still open: \(target)")
            }
        }
    }
}

import BerthSys
import CBerth
import Foundation
import Testing
@testable import BerthInit

/// Create mode with the mount namespace joined by path (Docs/init.md "Joining a mount
/// namespace"), through `RecordingSyscalls`: the joins in runc's order, mount last, then the
/// check that the joined root is root.path, no mount and no pivot_root, every other step as usual.
@Suite struct JoinedMountNamespaceTests {
    typealias Bundle = InitSetupOrderTests.Bundle

    /// Joins network and mount by path, creates pid and uts; a non-root user with one capability,
    /// an rlimit, a hostname, no_new_privs.
    static func spec() -> Spec {
        var process = Spec.Process(args: ["/bin/sh"], cwd: "/work")
        process.user = .init(uid: 1000, gid: 1000)
        process.capabilities = .init(bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"])
        process.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 64, hard: 64)]
        process.noNewPrivileges = true
        return Spec(process: process, root: .init(path: "rootfs"), hostname: "box", mounts: [],
                    linux: .init(namespaces: [.init(type: "mount", path: "/proc/self/ns/mnt"), .init(type: "pid"),
                                              .init(type: "network", path: "/proc/self/ns/net"), .init(type: "uts")]))
    }

    static func run(_ sys: RecordingSyscalls, bundle: Bundle, spec: Spec = spec()) throws {
        sys.rootfs = bundle.rootfs
        sys.bundle = bundle.dir
        sys.lastCap = 2
        let config = InitConfig(mode: .create, id: "c1", spec: spec, bundle: bundle.dir)
        let create = CreateInit(config: config, sync: nil, sys: sys)
        let prepared = try create.enterNamespaces()
        let start = try create.containerSetup(prepared)
        _ = try start.prepare()
    }

    static func sameRoot() -> RecordingSyscalls {
        let sys = RecordingSyscalls()
        sys.identities = ["<rootfs>": .init(device: 7, inode: 42), "/": .init(device: 7, inode: 42)]
        return sys
    }

    static let expected = [
        // root.path noted on the host, joins with mount last, the joined root checked, then unshare
        "identity <rootfs>", "setns network /proc/self/ns/net", "setns mount /proc/self/ns/mnt", "identity /",
        "chdir /", "unshare pid,uts",
        // the container's first process: no lo (joined netns), no mount, no pivot_root
        "setsid", "umask 0", "sethostname box",
        "rlimit RLIMIT_NOFILE 64 64", "chdir /work", "cloexec from 3", "drop 1", "drop 2", "keepcaps true",
        "setgroups []", "setresgid 1000", "setresuid 1000", "keepcaps false", "capset e=1 p=1 i=0",
        "ambient clear", "nnp", "umask 22",
    ]

    @Test func joinsMountLastAndBuildsNoRootfs() throws {
        let sys = Self.sameRoot()
        try Self.run(sys, bundle: try Bundle())
        #expect(sys.calls == Self.expected)
        #expect(!sys.calls.contains { $0.hasPrefix("mount") || $0.hasPrefix("pivot_root") || $0.hasPrefix("umount") })
    }

    @Test func aFailureAtEachStepStopsThereWithItsStageAndErrno() throws {
        let full = Self.sameRoot()
        try Self.run(full, bundle: try Bundle())
        for index in full.stages.indices where full.stages[index] != nil {
            let sys = Self.sameRoot()
            sys.failIndex = index
            sys.failErrno = EIO
            var message = ""
            do { try Self.run(sys, bundle: try Bundle()) } catch { message = error.initMessage }
            #expect(message.contains(full.stages[index]!) && message.contains("Input/output error (errno 5)"),
                    "call \(index) \(full.calls[index]): \(message)")
            #expect(sys.calls == Array(full.calls[...index]), "call \(index) \(full.calls[index])")
        }
    }

    /// The joined namespace's root is another directory than root.path: refused naming root.path
    /// right after the joins, before anything is created.
    @Test func aJoinedRootThatIsNotRootPathIsRefused() throws {
        let bundle = try Bundle()
        let sys = RecordingSyscalls()
        sys.identities = ["<rootfs>": .init(device: 7, inode: 42), "/": .init(device: 7, inode: 2)]
        var message = ""
        do { try Self.run(sys, bundle: bundle) } catch { message = error.initMessage }
        #expect(message.contains("root.path: \(bundle.rootfs) is not the root of the mount namespace joined by path"), "\(message)")
        #expect(sys.calls == Array(Self.expected.prefix(4)))
    }

    /// Fields that would change the joined namespace's mounts are named (pure, shared by the
    /// runtime's validator and init); init refuses before any call.
    @Test func fieldsThatWouldChangeTheJoinedMountsAreNamed() throws {
        var spec = Self.spec()
        #expect(JoinedMountNamespace.problems(spec).isEmpty)
        spec.mounts = [.init(destination: "/proc", type: "proc", source: "proc"), .init(destination: "/tmp", type: "tmpfs", source: "tmpfs")]
        spec.root?.readonly = true
        spec.linux?.maskedPaths = ["/proc/kcore"]
        spec.linux?.readonlyPaths = ["/proc/sys"]
        spec.linux?.rootfsPropagation = "rprivate"
        spec.linux?.devices = [.init(path: "/dev/fuse", type: "c", major: 10, minor: 229)]
        spec.linux?.namespaces?.append(.init(type: "user"))
        spec.hooks = .init(createContainer: [.init(path: "/bin/true")])
        #expect(JoinedMountNamespace.problems(spec).map(\.field) == [
            "mounts[0]", "mounts[1]", "root.readonly", "linux.maskedPaths", "linux.readonlyPaths", "linux.rootfsPropagation",
            "linux.devices", "hooks.createContainer", "linux.namespaces[4]",
        ])
        let sys = Self.sameRoot()
        var message = ""
        do { try Self.run(sys, bundle: try Bundle(), spec: spec) } catch { message = error.initMessage }
        #expect(message.hasPrefix("namespaces: mounts[0]: would change the mounts of the joined mount namespace"), "\(message)")
        #expect(sys.calls.isEmpty)
    }
}

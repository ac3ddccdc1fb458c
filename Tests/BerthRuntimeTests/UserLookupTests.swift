import Testing
@testable import BerthInit
@testable import BerthRuntime

@Suite struct UserLookupTests {
    static let passwd = UserLookup.parsePasswd("""
        root:x:0:0:root:/root:/bin/sh
        # a comment
        app:x:1000:1000:app:/home/app:/bin/sh
        web:x:33:33::/var/www:/bin/false
        broken line
        """)
    static let group = UserLookup.parseGroup("""
        root:x:0:
        staff:x:50:app,web
        www:x:33:
        app:x:1000:
        wheel:x:10: app
        """)

    func resolve(_ user: String, extra: [UInt32] = []) throws -> ResolvedUser {
        try UserLookup.resolve(user, passwd: Self.passwd, group: Self.group, additionalGids: extra)
    }

    @Test func parsing() {
        #expect(Self.passwd.map(\.name) == ["root", "app", "web"])
        #expect(Self.group.first { $0.name == "wheel" }?.members == ["app"])
    }

    @Test func byName() throws {
        #expect(try resolve("app") == ResolvedUser(uid: 1000, gid: 1000, groups: [50, 10], home: "/home/app"))
        #expect(try resolve("web") == ResolvedUser(uid: 33, gid: 33, groups: [50], home: "/var/www"))
    }

    @Test func byNumber() throws {
        #expect(try resolve("1000") == ResolvedUser(uid: 1000, gid: 1000, groups: [50, 10], home: "/home/app"))
        // A uid without a passwd entry is allowed (Docker): gid 0, home /.
        #expect(try resolve("4242") == ResolvedUser(uid: 4242, gid: 0, groups: [], home: "/"))
    }

    @Test func withGroup() throws {
        #expect(try resolve("app:staff") == ResolvedUser(uid: 1000, gid: 50, groups: [50], home: "/home/app"))
        #expect(try resolve("1000:33") == ResolvedUser(uid: 1000, gid: 33, groups: [33], home: "/home/app"))
        #expect(try resolve("app:777", extra: [5]) == ResolvedUser(uid: 1000, gid: 777, groups: [777, 5], home: "/home/app"))
    }

    @Test func errorsNameTheField() {
        #expect(throws: InitError("user", "process.user.username: unable to find user nobody: no matching entries in passwd file")) {
            try resolve("nobody")
        }
        #expect(throws: InitError("user", "process.user.username: unable to find group wheelz: no matching entries in group file")) {
            try resolve("app:wheelz")
        }
        #expect(throws: InitError.self) { try resolve(":") }
        #expect(throws: InitError.self) { try resolve("app:") }
    }
}

@Suite struct RlimitsTests {
    @Test func namesAndValidation() throws {
        #expect(Rlimits.resource("RLIMIT_NOFILE") == 7)
        #expect(Rlimits.resource("nofile") == 7)
        #expect(Rlimits.resource("RLIMIT_RTTIME") == 15)
        #expect(Rlimits.resource("RLIMIT_FOO") == nil)
        let parsed = try Rlimits.parse([.init(type: "core", soft: 0, hard: 0), .init(type: "RLIMIT_NOFILE", soft: 1, hard: 2)])
        #expect(parsed.map(\.name) == ["RLIMIT_CORE", "RLIMIT_NOFILE"])
        #expect(throws: InitError("rlimits", "process.rlimits[0]: soft limit 3 is above hard limit 2")) {
            try Rlimits.parse([.init(type: "nofile", soft: 3, hard: 2)])
        }
        #expect(throws: InitError.self) {
            try Rlimits.parse([.init(type: "nofile", soft: 1, hard: 2), .init(type: "RLIMIT_NOFILE", soft: 1, hard: 2)])
        }
    }
}

@Suite struct NamespaceAndSysctlTests {
    @Test func plan() throws {
        let plan = try NamespacePlan([.init(type: "pid"), .init(type: "mount"), .init(type: "network", path: "/run/berth/netns/x"),
                                      .init(type: "uts"), .init(type: "ipc", path: "/proc/1/ns/ipc")])
        #expect(plan.create == [.pid, .mount, .uts])
        #expect(plan.joinOrder.map(\.kind) == [.network, .ipc])
        #expect(plan.isolates(.network) && !plan.creates(.network) && !plan.isolates(.cgroup))
        #expect(plan.unshareFlags == NamespaceKind.pid.cloneFlag | NamespaceKind.mount.cloneFlag | NamespaceKind.uts.cloneFlag)
    }

    @Test func planErrors() {
        #expect(throws: InitError("namespaces", "linux.namespaces[1].type: unknown namespace type \"netw\"")) {
            try NamespacePlan([.init(type: "pid"), .init(type: "netw")])
        }
        #expect(throws: InitError.self) { try NamespacePlan([.init(type: "pid"), .init(type: "pid")]) }
        // A user namespace is a plan like any other (its mappings are checked by IDMappingCheck).
        #expect((try? NamespacePlan([.init(type: "user")]))?.create == [.user])
        #expect(throws: InitError.self) { try NamespacePlan([.init(type: "network", path: "relative")]) }
    }

    @Test func sysctlNeedsTheOwningNamespace() throws {
        let own = try NamespacePlan([.init(type: "network"), .init(type: "ipc"), .init(type: "uts")])
        let none = try NamespacePlan([])
        #expect(try Sysctl.path(for: "net.ipv4.ip_forward", namespaces: own) == "/proc/sys/net/ipv4/ip_forward")
        #expect(try Sysctl.path(for: "net/core/somaxconn", namespaces: own) == "/proc/sys/net/core/somaxconn")
        #expect(try Sysctl.path(for: "kernel.shmmax", namespaces: own) == "/proc/sys/kernel/shmmax")
        #expect(try Sysctl.path(for: "fs.mqueue.msg_max", namespaces: own) == "/proc/sys/fs/mqueue/msg_max")
        #expect(throws: InitError.self) { try Sysctl.path(for: "net.ipv4.ip_forward", namespaces: none) }
        #expect(throws: InitError.self) { try Sysctl.path(for: "kernel.shmmax", namespaces: none) }
        #expect(throws: InitError.self) { try Sysctl.path(for: "kernel.pid_max", namespaces: own) }
        #expect(throws: InitError.self) { try Sysctl.path(for: "net..x", namespaces: own) }
        #expect(throws: InitError.self) { try Sysctl.path(for: "net/../../etc", namespaces: own) }
    }

    @Test func executableLookupEnv() {
        #expect(Executable.lookupEnv(["PATH=/a", "X=1", "PATH=/b"], "PATH") == "/b")
        #expect(Executable.lookupEnv(["PATHX=/a"], "PATH") == nil)
    }
}

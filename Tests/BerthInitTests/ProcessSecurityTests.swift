import Testing
@testable import BerthInit

@Suite struct ProcessSecurityTests {
    static let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
    static let group = "root:x:0:\nstaff:x:50:app\napp:x:1000:\n"

    @Test func identityIsAppliedInRuncOrder() throws {
        var process = Spec.Process(args: ["/bin/true"])
        process.user = .init(umask: 0o027, username: "app")
        process.capabilities = .init(bounding: ["KILL", "NET_BIND_SERVICE"], effective: ["NET_BIND_SERVICE"],
                                     inheritable: ["NET_BIND_SERVICE"], permitted: ["NET_BIND_SERVICE"],
                                     ambient: ["NET_BIND_SERVICE", "KILL"])
        process.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 10, hard: 20)]
        process.noNewPrivileges = true
        let security = try ProcessSecurity(process: process, passwd: Self.passwd, group: Self.group)
        let sys = RecordingSyscalls()
        sys.lastCap = 12
        try security.applyRlimits(sys)
        let skipped = try security.applyIdentity(sys)
        #expect(skipped == ["CAP_KILL"])
        let drops = (0...12).filter { $0 != 5 && $0 != 10 }.map { "drop \($0)" }
        #expect(sys.calls == ["rlimit RLIMIT_NOFILE 10 20"] + drops + [
            "keepcaps true", "setgroups [50]", "setresgid 1000", "setresuid 1000", "keepcaps false",
            "capset e=400 p=400 i=400", "ambient clear", "ambient 10", "nnp", "umask 27",
        ])
    }

    @Test func defaultsForANumericUser() throws {
        var process = Spec.Process(args: ["x"])
        process.user = .init(uid: 4242, gid: 7, additionalGids: [8, 8])
        let s = try ProcessSecurity(process: process, passwd: Self.passwd, group: Self.group)
        #expect(s.user == ResolvedUser(uid: 4242, gid: 7, groups: [8], home: "/"))
        #expect(s.umask == 0o022 && !s.noNewPrivileges && s.capabilities == CapabilitySets())
    }

    @Test func validateRejectsEmptyArgs() {
        #expect(throws: InitError.self) { try ProcessSecurity.validate(Spec.Process(args: [])) }
    }
}

import BerthSys
import Testing
@testable import BerthInit
@testable import BerthRuntime

@Suite struct CapabilitiesTests {
    @Test func tableMatchesTheKernelNumbers() {
        #expect(Capabilities.names.count == 41)
        #expect(Capabilities.number("CAP_CHOWN") == 0)
        #expect(Capabilities.number("CAP_SYS_ADMIN") == 21)
        #expect(Capabilities.number("CAP_AUDIT_WRITE") == 29)
        #expect(Capabilities.number("CAP_CHECKPOINT_RESTORE") == 40)
        #expect(Set(Capabilities.names).count == 41)
    }

    @Test func acceptsEcsSpellings() {
        #expect(Capabilities.number("NET_ADMIN") == 12)
        #expect(Capabilities.number("net_admin") == 12)
        #expect(Capabilities.canonical("sys_ptrace") == "CAP_SYS_PTRACE")
        #expect(Capabilities.number("CAP_NOPE") == nil)
    }

    @Test func dockerDefaultMask() throws {
        #expect(Capabilities.dockerDefault.count == 14)
        #expect(try Capabilities.mask(Capabilities.dockerDefault, field: "x") == 0xa80425fb)
    }

    @Test func unknownNameIsAnErrorWithItsField() {
        #expect(throws: InitError("capabilities", "process.capabilities.bounding[1]: unknown capability \"CAP_WHATEVER\"")) {
            try CapabilitySets(spec: .init(bounding: ["CAP_KILL", "CAP_WHATEVER"]))
        }
    }

    @Test func missingCapabilitiesMeansNone() throws {
        #expect(try CapabilitySets(spec: nil) == CapabilitySets())
    }

    @Test func ambientOnlyWhenPermittedAndInheritable() throws {
        let sets = try CapabilitySets(spec: .init(bounding: ["KILL", "CHOWN"], effective: ["KILL"], inheritable: ["KILL"],
                                                  permitted: ["KILL", "CHOWN"], ambient: ["KILL", "CHOWN"]))
        #expect(Capabilities.names(in: sets.raisableAmbient) == ["CAP_KILL"])
        #expect(Capabilities.names(in: sets.unraisableAmbient) == ["CAP_CHOWN"])
    }

    @Test func limitedToTheKernelsLastCap() throws {
        let sets = try CapabilitySets(spec: .init(bounding: ["CAP_CHECKPOINT_RESTORE", "CAP_CHOWN"]))
        #expect(sets.limited(toLastCap: 39).bounding == 1)
        #expect(sets.limited(toLastCap: 40).bounding == 1 | (1 << 40))
    }
}

/// Records the identity calls so their order can be checked without root.
final class RecordingCredentials: CredentialSyscalls {
    var calls: [String] = []
    var lastCap = 40

    func capLastCap() -> Int { lastCap }
    func dropBounding(_ cap: Int) { calls.append("drop \(cap)") }
    func setKeepCaps(_ on: Bool) { calls.append("keepcaps \(on)") }
    func setGroups(_ groups: [UInt32]) { calls.append("setgroups \(groups)") }
    func setResGid(_ gid: UInt32) { calls.append("setresgid \(gid)") }
    func setResUid(_ uid: UInt32) { calls.append("setresuid \(uid)") }
    func capSet(effective: UInt64, permitted: UInt64, inheritable: UInt64) {
        calls.append("capset e=\(String(effective, radix: 16)) p=\(String(permitted, radix: 16)) i=\(String(inheritable, radix: 16))")
    }
    func clearAmbient() { calls.append("ambient clear") }
    func raiseAmbient(_ cap: Int) { calls.append("ambient \(cap)") }
    func setNoNewPrivileges() { calls.append("nnp") }
    func setRlimit(_ limit: Rlimits.Limit) { calls.append("rlimit \(limit.name) \(limit.soft) \(limit.hard)") }
    func setUmask(_ mask: UInt32) { calls.append("umask \(String(mask, radix: 8))") }
}

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
        let sys = RecordingCredentials()
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

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

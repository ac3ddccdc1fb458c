import Testing
@testable import BerthCgroups

/// The device list in its two kernel forms: v1 devices.allow/deny lines and the v2 eBPF program.
@Suite struct DeviceRulesTests {
    @Test func dockerDefaultIsDenyAllThenTheAllowList() {
        #expect(DeviceRule.dockerDefault.map(\.description) == [
            "a *:* rwm", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
            "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
        ])
        #expect(DeviceRule.dockerDefault.first?.allow == false)
        #expect(DeviceRule.dockerDefault.dropFirst().allSatisfy { $0.allow })
    }

    @Test func v1WritesDenyAllFirstThenEachRuleToItsFile() {
        let rules = DeviceRule.effective([DeviceRule(allow: false, type: .char, major: 1, minor: 11, access: "rw"),
                                          DeviceRule(allow: true, type: .all, access: "m")])
        let writes = DeviceRule.v1Writes(rules).map { "\($0.file) \($0.line)" }
        #expect(writes.prefix(4) == ["devices.deny a", "devices.deny c 1:11 rw", "devices.allow c *:* m", "devices.allow b *:* m"])
        #expect(writes.dropFirst(4) == ArraySlice(DeviceRule.defaults.map { "devices.allow \($0.description)" }))
        // Deny-all is written once, and an allow-everything rule becomes the kernel's "a".
        #expect(DeviceRule.v1Writes([.denyAll]).map(\.line) == ["a"])
        #expect(DeviceRule.v1Writes([.denyAll, DeviceRule(allow: true)]).map { "\($0.file) \($0.line)" } == ["devices.deny a", "devices.allow a"])
    }

    @Test func v1DriverWritesTheListToTheDevicesHierarchy() throws {
        let fs = try FakeCgroupFS()
        defer { fs.cleanup() }
        try fs.files("devices", [:])
        for level in ["berth", "berth/x"] { try fs.files("devices/" + level, ["devices.allow": "", "devices.deny": "", "cgroup.procs": ""]) }
        let driver = CgroupV1Driver(hierarchies: [V1Hierarchy(controllers: ["devices"], mountPoint: fs.root + "/devices")])
        try driver.create(try CgroupPath("berth/x"), resources: CgroupResources(devices: DeviceRule.dockerDefault))
        // One descriptor per file, one write per rule: a plain file holds the writes in order
        // (the kernel's devices.allow takes each write as one rule).
        let allow = DeviceRule.v1Writes(DeviceRule.dockerDefault).filter { $0.file == "devices.allow" }.map(\.line)
        #expect(allow.count > 5)
        #expect(fs.read("devices/berth/x/devices.deny") == "a")
        #expect(fs.read("devices/berth/x/devices.allow") == allow.joined())
    }

    @Test func v1WriteRunsGroupConsecutiveWritesToOneFileInOrder() {
        let rules = [DeviceRule.denyAll,
                     DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rwm"),
                     DeviceRule(allow: true, type: .char, major: 1, minor: 5, access: "rwm"),
                     DeviceRule(allow: false, type: .char, major: 1, minor: 5, access: "w"),
                     DeviceRule(allow: true, type: .char, major: 1, minor: 8, access: "r")]
        let runs = DeviceRule.v1WriteRuns(rules).map { "\($0.file): \($0.lines.joined(separator: ", "))" }
        #expect(runs == ["devices.deny: a", "devices.allow: c 1:3 rwm, c 1:5 rwm", "devices.deny: c 1:5 w", "devices.allow: c 1:8 r"])
        #expect(DeviceRule.v1WriteRuns(rules).flatMap { run in run.lines.map { "\(run.file) \($0)" } }
                == DeviceRule.v1Writes(rules).map { "\($0.file) \($0.line)" })
    }

    @Test func invalidRulesAreRefusedBeforeAnythingIsCreated() {
        #expect(throws: CgroupError.self) {
            try CgroupResources(devices: [DeviceRule(allow: true, type: .char, access: "x")]).validate()
        }
        #expect(DeviceRule(allow: true, type: .char, major: 4096, minor: 1 << 20, access: "rwm").problems().isEmpty)
        #expect(DeviceRule(allow: true, access: "").problems().map(\.field) == ["access"])
        #expect(DeviceRule(allow: true, access: "rrw").problems().map(\.field) == ["access"])
        #expect(DeviceRule(allow: true, major: -2).problems().map(\.field) == ["major"])
    }

    // MARK: v2 eBPF program

    @Test func defaultDenyProgramIsPrologueThenReturnZero() {
        let p = DeviceFilter.program([.denyAll])
        // 6 prologue loads, then deny-all's block (r0 = 0; exit), which is also the default: the
        // verifier refuses unreachable instructions, so nothing may follow it.
        #expect(p.count == 8)
        #expect(p.prefix(6) == ArraySlice(DeviceFilter.prologue))
        #expect(p.suffix(2) == [DeviceFilter.Instruction(code: 0xb7, dst: 0, imm: 0), DeviceFilter.Instruction(code: 0x95, dst: 0)])
        // Without a deny-all rule the default return 0 is added.
        let open = DeviceFilter.program([DeviceRule(allow: true, type: .char, major: 1, minor: 3)])
        #expect(open.count == 6 + 5 + 2 && open.suffix(2).map(\.imm) == [0, 0])
        // Rules before one that matches everything are never reached, so they are left out.
        #expect(DeviceFilter.program([DeviceRule(allow: true, type: .char, major: 1, minor: 3), DeviceRule(allow: true)]).count == 8)
    }

    @Test func rulesAreCheckedLastFirstAndJumpsLandOnTheNextBlock() {
        let allowKmsg = DeviceRule(allow: true, type: .char, major: 1, minor: 11, access: "rw")
        let p = DeviceFilter.program([.denyAll, allowKmsg])
        // allowKmsg's block: type, access (3), major, minor, r0 = 1, exit = 8 instructions, first.
        let block = Array(p[6..<14])
        #expect(block.map(\.code) == [0x55, 0xbf, 0x57, 0x5d, 0x55, 0x55, 0xb7, 0x95])
        #expect(block[0].imm == 2 && block[0].dst == 2, "char type is 2 in r2")
        #expect(block[2].imm == 6, "r | w = 2 | 4")
        #expect(block[4].imm == 1 && block[4].dst == 4 && block[5].imm == 11 && block[5].dst == 5)
        #expect(block[6].imm == 1, "allow returns 1")
        // Every jump goes exactly to the end of its block.
        for (i, insn) in block.enumerated() where insn.code == 0x55 || insn.code == 0x5d {
            #expect(i + 1 + Int(insn.off) == block.count, "jump at \(i) off \(insn.off)")
        }
        // Then deny-all (unconditional return 0) ends the program.
        #expect(p.count == 6 + 8 + 2)
        #expect(Array(p.suffix(2)).map(\.code) == [0xb7, 0x95])
        #expect(p.filter { $0.code == 0x95 }.count == 2)
    }

    @Test func wildcardsAndFullAccessNeedNoChecks() {
        // c 136:* rwm: only the type check.
        #expect(DeviceFilter.block(DeviceRule(allow: true, type: .char, major: 136)).count == 4)
        // c *:* m: type, access (3), return.
        #expect(DeviceFilter.block(DeviceRule(allow: true, type: .char, access: "m")).count == 6)
        // prologue, 136:*, eight major:minor rules, b/c *:* m, deny-all.
        #expect(DeviceFilter.program(DeviceRule.dockerDefault).count == 6 + 4 + 8 * 5 + 6 + 6 + 2)
    }

    @Test func instructionsPackAsTheKernelsStruct() {
        // jne r4, 136, +2  ->  code 0x55, regs 0x04, off 2, imm 136.
        let insn = DeviceFilter.Instruction(code: 0x55, dst: 4, src: 0, off: 2, imm: 136)
        #expect(insn.raw == 0x0000_0088_0002_0455)
        // r1 = r3 has src in the high nibble.
        #expect(DeviceFilter.Instruction(code: 0xbf, dst: 1, src: 3).raw == 0x31bf)
        #expect(DeviceFilter.Instruction(code: 0xb7, dst: 0, imm: -1).raw == 0xffff_ffff_0000_00b7)
    }
}

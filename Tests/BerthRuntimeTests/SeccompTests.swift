@testable import BerthInit
@testable import BerthRuntime
import BerthSys
import Foundation
import Testing

/// `linux.seccomp` -> SeccompPlan (pure) -> BPF (libseccomp) -> cache. Every refusal names its
/// JSON path.
@Suite struct SeccompTests {
    typealias P = SeccompPlanner

    static func plan(_ s: Spec.Seccomp) -> (SeccompPlan?, [String]) {
        let (plan, issues) = P.plan(s)
        return (plan, issues.map(\.description))
    }

    static func rule(_ names: [String], _ action: String, errnoRet: UInt32? = nil, args: [Spec.SeccompArg]? = nil) -> Spec.SeccompSyscall {
        Spec.SeccompSyscall(names: names, action: action, errnoRet: errnoRet, args: args)
    }

    @Test func everyActionHasItsKernelValue() throws {
        let cases: [(String, UInt32?, UInt32)] = [
            ("SCMP_ACT_KILL", nil, 0), ("SCMP_ACT_KILL_THREAD", nil, 0), ("SCMP_ACT_KILL_PROCESS", nil, 0x8000_0000),
            ("SCMP_ACT_TRAP", nil, 0x0003_0000), ("SCMP_ACT_ERRNO", nil, 0x0005_0001), ("SCMP_ACT_ERRNO", 38, 0x0005_0026),
            ("SCMP_ACT_TRACE", nil, 0x7ff0_0001), ("SCMP_ACT_TRACE", 7, 0x7ff0_0007), ("SCMP_ACT_LOG", nil, 0x7ffc_0000),
            ("SCMP_ACT_ALLOW", nil, 0x7fff_0000),
        ]
        for (name, errnoRet, value) in cases {
            let (plan, issues) = Self.plan(.init(defaultAction: name, defaultErrnoRet: errnoRet))
            #expect(issues.isEmpty, "\(name)")
            #expect(plan?.defaultAction == value, "\(name)")
            let other = name == "SCMP_ACT_ALLOW" ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW"
            let (p2, _) = Self.plan(.init(defaultAction: other, syscalls: [Self.rule(["getpid"], name, errnoRet: errnoRet)]))
            #expect(p2?.rules.first?.action == value, "\(name)")
        }
    }

    @Test func refusalsNameTheField() {
        let (plan, issues) = Self.plan(.init(
            defaultAction: "SCMP_ACT_NOPE", flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"],
            listenerPath: "/run/agent.sock",
            syscalls: [
                Self.rule(["read"], "SCMP_ACT_NOTIFY"),
                Self.rule(["write"], "SCMP_ACT_ALLOW", errnoRet: 5),
                Self.rule([], "SCMP_ACT_ALLOW"),
                Self.rule(["ioctl"], "SCMP_ACT_ALLOW", args: [.init(index: 6, value: 1, op: "SCMP_CMP_EQ"),
                                                             .init(index: 1, value: 1, op: "SCMP_CMP_ALMOST")]),
                Self.rule(["kill"], "SCMP_ACT_ERRNO", errnoRet: 70000),
            ]))
        #expect(plan == nil)
        let expected = [
            "linux.seccomp.defaultAction: unknown action",
            "linux.seccomp.listenerPath: is not supported",
            "linux.seccomp.flags[1]: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_BOGUS\"",
            "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported",
            "linux.seccomp.syscalls[1].errnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
            "linux.seccomp.syscalls[2].names: must name at least one syscall",
            "linux.seccomp.syscalls[3].args[0].index: 6 is out of range 0...5",
            "linux.seccomp.syscalls[3].args[1].op: unknown operator \"SCMP_CMP_ALMOST\"",
            "linux.seccomp.syscalls[4].errnoRet: 70000 is out of range",
        ]
        for prefix in expected { #expect(issues.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(issues)") }
        #expect(issues.count == expected.count, "\(issues)")
    }

    @Test func flagsArchitecturesAndOperatorsTranslate() throws {
        let ops = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]
        let args = ops.enumerated().map { i, op in Spec.SeccompArg(index: UInt32(i % 6), value: UInt64(i), valueTwo: 9, op: op) }
        let (plan, issues) = Self.plan(.init(
            defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_BOGUS"],
            flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
            syscalls: [Self.rule(["ioctl"], "SCMP_ACT_ALLOW", args: args)]))
        #expect(issues == ["linux.seccomp.architectures[3]: unknown architecture \"SCMP_ARCH_BOGUS\" (e.g. SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32)"])
        #expect(plan == nil)
        let (good, none) = Self.plan(.init(
            defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
            syscalls: [Self.rule(["ioctl"], "SCMP_ACT_ALLOW", args: args)]))
        #expect(none.isEmpty)
        let p = try #require(good)
        #expect(p.flags == 7)
        #expect(p.architectures == ["x86_64", "x86", "x32"])
        // Index 0 is tested twice (NE and MASKED_EQ): alternatives, one rule per condition (runc).
        #expect(p.rules.count == 7)
        #expect(p.rules.map { $0.conditions.map(\.op) } == (1...7).map { [UInt32($0)] })
        #expect(p.rules.last?.conditions == [.init(index: 0, op: 7, a: 6, b: 9)])
    }

    @Test func conditionsOnDistinctArgumentsFormOneRule() throws {
        let (plan, _) = Self.plan(.init(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Self.rule(["socket", "socketpair"], "SCMP_ACT_ERRNO", args: [
                .init(index: 0, value: 40, op: "SCMP_CMP_EQ"), .init(index: 1, value: 2, op: "SCMP_CMP_GE"),
            ]),
        ]))
        let p = try #require(plan)
        #expect(p.rules.map(\.name) == ["socket", "socketpair"])
        #expect(p.rules.allSatisfy { $0.conditions.count == 2 })
    }

    @Test func aRuleWithTheDefaultActionIsLeftOutWithANote() throws {
        let (plan, _) = Self.plan(.init(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Self.rule(["read"], "SCMP_ACT_ALLOW"), Self.rule(["mkdir"], "SCMP_ACT_ERRNO"),
        ]))
        let p = try #require(plan)
        #expect(p.rules.map(\.name) == ["mkdir"])
        #expect(p.named == ["read", "mkdir"])
        #expect(p.notes == ["linux.seccomp.syscalls[0]: action SCMP_ACT_ALLOW is the default action; its 1 rule(s) are not needed"])
    }

    @Test func validatorReportsSeccompIssuesWithTheRest() throws {
        let bundle = try SpecValidatorTests.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let spec = SpecValidatorTests.spec { $0.linux?.seccomp = .init(defaultAction: "SCMP_ACT_NOTIFY") }
        #expect(throws: RuntimeError.invalidSpec([SpecIssue("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY is not supported: Berth has no seccomp notify agent")])) {
            try SpecValidator.validate(spec, bundle: bundle, id: "c1")
        }
        let ok = SpecValidatorTests.spec { $0.linux?.seccomp = .init(defaultAction: "SCMP_ACT_ALLOW") }
        #expect(try SpecValidator.validate(ok, bundle: bundle, id: "c1").seccomp?.defaultAction == 0x7fff_0000)
    }

    @Test func compileSkipsUnknownNamesAndCountsRules() throws {
        let (plan, _) = Self.plan(.init(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], syscalls: [
            Self.rule(["mkdir", "mkdirat", "no_such_syscall"], "SCMP_ACT_ERRNO", errnoRet: 13),
        ]))
        let compiled = try SeccompCompiler.compile(try #require(plan))
        #expect(compiled.rules == 2)
        #expect(compiled.unknown == ["linux.seccomp.syscalls[0]: no_such_syscall"])
        #expect(!compiled.program.isEmpty && compiled.program.count % 8 == 0)
    }

    // MARK: the ENOSYS stub

    /// Runs the stub's classic BPF for one (arch, nr): "main" when it falls through to the filter.
    static func runStub(_ program: [UInt8], stubLength: Int, arch: UInt32, nr: UInt32) -> String {
        func word(_ at: Int) -> UInt32 { program[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        var a: UInt32 = 0, pc = 0
        while pc < stubLength {
            let base = pc * 8
            let code = UInt16(program[base]) | UInt16(program[base + 1]) << 8
            let jt = Int(program[base + 2]), jf = Int(program[base + 3]), k = word(base + 4)
            pc += 1
            switch code {
            case 0x20: a = k == 0 ? nr : arch
            case 0x15: pc += a == k ? jt : jf
            case 0x25: pc += a > k ? jt : jf
            case 0x35: pc += a >= k ? jt : jf
            case 0x05: pc += Int(k)
            case 0x06: return k == 0x0005_0026 ? "ENOSYS" : "ret \(k)"
            default: return "bad opcode \(code)"
            }
        }
        return "main"
    }

    @Test func syscallsNewerThanTheProfileGetENOSYS() {
        let table: [UInt32: [String: Int32]] = [
            0xc000_003e: ["read": 0, "openat": 257, "clone3": -10_000],
            0x4000_003e: ["read": 0x4000_0000, "openat": 0x4000_0101],
            0x4000_0003: ["read": 3, "openat": 295],
        ]
        let program = SeccompEnosysStub.make(defaultAction: P.errnoBase | 1, archs: [0xc000_003e, 0x4000_0003, 0x4000_003e],
                                             names: ["read", "openat", "clone3"]) { table[$0]?[$1] ?? -1 }
        let n = program.count / 8
        #expect(SeccompEnosysStub.make(defaultAction: P.allow, archs: [0xc000_003e], names: ["read"]) { _, _ in 0 }.isEmpty)
        #expect(Self.runStub(program, stubLength: n, arch: 0xc000_003e, nr: 257) == "main")
        #expect(Self.runStub(program, stubLength: n, arch: 0xc000_003e, nr: 258) == "ENOSYS")
        #expect(Self.runStub(program, stubLength: n, arch: 0xc000_003e, nr: 435) == "ENOSYS")
        #expect(Self.runStub(program, stubLength: n, arch: 0xc000_003e, nr: 0x4000_0101) == "main")
        #expect(Self.runStub(program, stubLength: n, arch: 0xc000_003e, nr: 0x4000_0200) == "ENOSYS")
        #expect(Self.runStub(program, stubLength: n, arch: 0x4000_0003, nr: 295) == "main")
        #expect(Self.runStub(program, stubLength: n, arch: 0x4000_0003, nr: 296) == "ENOSYS")
        #expect(Self.runStub(program, stubLength: n, arch: 0xdead, nr: 9999) == "main")
        // Without x32 in the filter, x32 calls are left to the filter's bad-arch handling.
        let noX32 = SeccompEnosysStub.make(defaultAction: P.errnoBase | 1, archs: [0xc000_003e], names: ["read", "openat"]) { table[$0]?[$1] ?? -1 }
        #expect(Self.runStub(noX32, stubLength: noX32.count / 8, arch: 0xc000_003e, nr: 0x4000_0200) == "main")
        #expect(Self.runStub(noX32, stubLength: noX32.count / 8, arch: 0xc000_003e, nr: 300) == "ENOSYS")
    }

    // MARK: cache

    @Test func theSecondStartOfAProfileComesFromTheCache() throws {
        let root = "/tmp/berth-seccomp-cache-\(getpid())-\(UUID().uuidString)"
        defer { try? Files.removeTree(root) }
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Self.rule(["mkdir"], "SCMP_ACT_ERRNO")])
        let plan = try #require(P.plan(profile).0)
        let cache = SeccompCache(root: root)
        let first = try cache.program(for: profile, plan: plan)
        let second = try cache.program(for: profile, plan: plan)
        #expect(!first.fromCache && second.fromCache)
        #expect(first.hash == second.hash && first.rules == 1 && second.rules == 1)
        #expect(try Files.readBytes(first.path) == SeccompCompiler.compile(plan).program)
        var other = profile
        other.syscalls?[0].errnoRet = 2
        #expect(SeccompCache.key(other) != first.hash)
    }

    /// config.json's bytes of `linux.seccomp` name the program: a changed profile gets a new key,
    /// the same bytes the same key, and bytes that no longer match the profile are not used.
    @Test func theKeyIsTheProfileAsConfigJSONHoldsIt() throws {
        func config(_ errno: Int, space: String = "") -> [UInt8] {
            Array(#"{"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":\#(errno)}]}\#(space)},"x":{"seccomp":1}}"#.utf8)
        }
        func key(_ bytes: [UInt8]) throws -> (String, SeccompSource) {
            let spec = try Bundle.decode(bytes, file: "config.json")
            let source = try #require(SeccompSource(config: bytes, spec: spec))
            return (SeccompCache.key(try #require(spec.linux?.seccomp), source: source), source)
        }
        let (first, source) = try key(config(1))
        #expect(String(decoding: source.bytes, as: UTF8.self).hasPrefix(#"{"defaultAction""#))
        #expect(String(decoding: source.bytes, as: UTF8.self).hasSuffix(#""errnoRet":1}]}"#))
        #expect(try key(config(1)).0 == first)
        #expect(try key(config(2)).0 != first)
        #expect(try key(config(1, space: " ")).0 == first)  // space outside the object is not part of it
        // Canonical JSON when there are no bytes, or when they are not this profile's.
        var other = source.profile
        other.syscalls?[0].errnoRet = 2
        #expect(SeccompCache.key(other, source: source) == SeccompCache.key(other))
        #expect(SeccompCache.key(source.profile) != first)
        #expect(SeccompCache.key(other) != SeccompCache.key(source.profile))
    }
}

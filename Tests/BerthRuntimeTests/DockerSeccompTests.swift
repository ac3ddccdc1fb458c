import BerthInit
@testable import BerthRuntime
import Testing

/// Docker's default profile resolved as moby's `setupSeccomp` resolves default.json (moby
/// b985e231): figures checked against a Python transcription of that Go function run on the same
/// default.json (Scripts/gen-seccomp-default.py's input).
@Suite struct DockerSeccompTests {
    static let amd64 = DockerSeccomp.Host(arch: "amd64", kernel: .init(6, 18))
    static let dockerCaps = Capabilities.dockerDefault

    static func names(_ s: Spec.Seccomp) -> [String] { (s.syscalls ?? []).flatMap(\.names) }
    static func rules(_ s: Spec.Seccomp, _ name: String) -> [Spec.SeccompSyscall] { (s.syscalls ?? []).filter { $0.names.contains(name) } }

    @Test func theTableIsMobysDefaultJSON() {
        #expect(DockerSeccomp.rules.count == 33)
        #expect(DockerSeccomp.rules.reduce(0) { $0 + $1.names.count } == 442)
        #expect(DockerSeccomp.rules[0].names.count == 361 && DockerSeccomp.rules[0].action == "SCMP_ACT_ALLOW")
        #expect(DockerSeccomp.defaultAction == "SCMP_ACT_ERRNO" && DockerSeccomp.defaultErrnoRet == 1)
    }

    @Test func defaultCapabilitiesOnAmd64() {
        let p = DockerSeccomp.profile(bounding: Self.dockerCaps, host: Self.amd64)
        #expect(p.defaultAction == "SCMP_ACT_ERRNO" && p.defaultErrnoRet == 1)
        #expect(p.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(p.syscalls?.count == 15 && Self.names(p).count == 377)
        let names = Set(Self.names(p))
        for denied in ["mount", "umount2", "unshare", "setns", "bpf", "perf_event_open", "keyctl", "userfaultfd", "add_key",
                       "kcmp", "process_madvise", "init_module", "reboot", "iopl"] {
            #expect(!names.contains(denied), "\(denied)")
        }
        // ptrace is allowed from 4.8 (seccomp can no longer be bypassed through it), chroot by CAP_SYS_CHROOT.
        #expect(names.isSuperset(of: ["ptrace", "process_vm_readv", "arch_prctl", "modify_ldt", "chroot", "read", "clone3"]))
        // Socket families: everything but AF_ALG (38) and AF_VSOCK (40).
        #expect(Self.rules(p, "socket").compactMap { $0.args?.first.map { "\($0.op) \($0.value)" } }
                == ["SCMP_CMP_LT 38", "SCMP_CMP_EQ 39", "SCMP_CMP_GT 40"])
        #expect(Self.rules(p, "personality").compactMap { $0.args?.first?.value } == [0, 8, 0x20000, 0x20008, 0xffff_ffff])
        // clone without namespace flags only; clone3 answers ENOSYS so libc falls back to clone.
        #expect(Self.rules(p, "clone").map(\.args) == [[Spec.SeccompArg(index: 0, value: 0x7E02_0000, op: "SCMP_CMP_MASKED_EQ")]])
        #expect(Self.rules(p, "clone3").map { "\($0.action) \($0.errnoRet ?? 0)" } == ["SCMP_ACT_ERRNO 38"])
    }

    @Test func addedCapabilitiesWidenItAsDockerDoes() {
        let admin = DockerSeccomp.profile(bounding: Self.dockerCaps + ["CAP_SYS_ADMIN"], host: Self.amd64)
        let names = Set(Self.names(admin))
        #expect(names.isSuperset(of: ["mount", "umount2", "unshare", "setns", "bpf", "perf_event_open", "fsmount", "fsopen"]))
        // With CAP_SYS_ADMIN clone/clone3 are allowed outright: the filtered clone and ENOSYS clone3 go.
        #expect(Self.rules(admin, "clone").map(\.args) == [nil] && Self.rules(admin, "clone3").map(\.action) == ["SCMP_ACT_ALLOW"])
        #expect(admin.syscalls?.count == 14)

        let ptrace = Set(Self.names(DockerSeccomp.profile(bounding: Self.dockerCaps + ["CAP_SYS_PTRACE"], host: Self.amd64)))
        #expect(ptrace.isSuperset(of: ["kcmp", "pidfd_getfd", "process_madvise"]) && !ptrace.contains("mount"))
        let more = Set(Self.names(DockerSeccomp.profile(bounding: Self.dockerCaps + ["CAP_BPF", "CAP_PERFMON", "CAP_SYS_TIME", "CAP_SYS_MODULE"], host: Self.amd64)))
        #expect(more.isSuperset(of: ["bpf", "perf_event_open", "settimeofday", "clock_settime", "init_module", "finit_module"]))
        // Without CAP_SYS_CHROOT (dropped), chroot goes.
        #expect(!Self.names(DockerSeccomp.profile(bounding: Self.dockerCaps.filter { $0 != "CAP_SYS_CHROOT" }, host: Self.amd64)).contains("chroot"))
    }

    @Test func architectureAndKernelSelectRules() {
        let old = DockerSeccomp.profile(bounding: Self.dockerCaps, host: .init(arch: "amd64", kernel: .init(4, 4)))
        #expect(!Self.names(old).contains("ptrace"))
        let arm = DockerSeccomp.profile(bounding: Self.dockerCaps, host: .init(arch: "arm64", kernel: .init(6, 1)))
        #expect(arm.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect(Self.names(arm).contains("arm_fadvise64_64") && !Self.names(arm).contains("arch_prctl"))
        let s390 = DockerSeccomp.profile(bounding: Self.dockerCaps, host: .init(arch: "s390x", kernel: .init(6, 1)))
        #expect(Self.rules(s390, "clone").map { $0.args?.first?.index } == [1])
        // moby's nativeToSeccomp knows "loong64", not the "loongarch64" its goToNative gives: no architectures.
        #expect(DockerSeccomp.profile(bounding: [], host: .init(arch: "loongarch64", kernel: .init(6, 1))).architectures == nil)
    }

    @Test func hostFactsParseAsMobyDoes() {
        #expect(DockerSeccomp.Host.parseRelease("6.18.44-fc-v1300") == .init(6, 18))
        #expect(DockerSeccomp.Host.parseRelease("3.12-1-amd64") == .init(3, 12))
        #expect(DockerSeccomp.Host.mobyArch(machine: "x86_64") == "amd64")
        #expect(DockerSeccomp.Host.mobyArch(machine: "aarch64") == "arm64")
    }

    @Test func explainNamesTheProfileAndItCompiles() throws {
        let p = DockerSeccomp.profile(bounding: Self.dockerCaps)
        #expect(DockerSeccomp.describe(p, bounding: Self.dockerCaps) == "docker-default")
        #expect(DockerSeccomp.describe(p, bounding: Self.dockerCaps + ["CAP_SYS_ADMIN"]) == "custom")
        var edited = p
        edited.syscalls?.removeLast()
        #expect(DockerSeccomp.describe(edited, bounding: Self.dockerCaps) == "custom")
        #expect(DockerSeccomp.summary(p, bounding: Self.dockerCaps, hash: "ab").hasPrefix("docker-default profile sha256:ab: 15 rules ("))
        let (plan, issues) = SeccompPlanner.plan(p)
        #expect(issues.isEmpty, "\(issues)")
        let compiled = try SeccompCompiler.compile(try #require(plan))
        #expect(!compiled.program.isEmpty && compiled.program.count % 8 == 0)
    }
}

extension DockerSeccompTests {
    /// The widest profile (every capability) still fits the kernel's 4096-instruction limit.
    @Test func everyCapabilityStillCompilesWithinTheKernelLimit() throws {
        let p = DockerSeccomp.profile(bounding: Capabilities.all)
        let (plan, issues) = SeccompPlanner.plan(p)
        #expect(issues.isEmpty, "\(issues)")
        let compiled = try SeccompCompiler.compile(try #require(plan))
        #expect(compiled.program.count / 8 <= 4096, "\(compiled.program.count / 8) instructions")
        _ = try SeccompFilter(program: compiled.program, flags: 0)
    }
}

import BerthOCI
import BerthRuntime
import BerthSys
import Testing
@testable import BerthCLI

/// `berth oci seccomp-default`: Docker's default capabilities plus each --cap, or only the --cap
/// ones with --no-default-caps; a bad name is a usage error naming it.
@Suite struct OCISeccompCommandTests {
    static let host = DockerSeccomp.Host(arch: "amd64", kernel: .init(6, 1))

    static func names(_ args: [String]) throws -> Set<String> {
        Set((try OCISeccompCommand.profile(args, host: host).syscalls ?? []).flatMap(\.names))
    }

    @Test func capsWidenTheProfile() throws {
        let plain = try Self.names([])
        #expect(plain.contains("chroot") && !plain.contains("mount"))
        #expect(try Self.names(["--cap", "SYS_ADMIN"]).contains("mount"))
        #expect(try Self.names(["--cap=CAP_SYS_PTRACE"]).contains("kcmp"))
        #expect(!(try Self.names(["--no-default-caps"])).contains("chroot"))
        let all = try Self.names(["--cap", "ALL"])
        #expect(all.isSuperset(of: ["mount", "kcmp", "reboot", "init_module", "bpf", "settimeofday", "syslog"]))
    }

    @Test func badArgumentsAreUsageErrors() {
        let cap = #expect(throws: UsageError.self) { try OCISeccompCommand.profile(["--cap", "NOPE"]) }
        #expect(cap?.message == "option --cap: unknown capability \"NOPE\"")
        let extra = #expect(throws: UsageError.self) { try OCISeccompCommand.profile(["x"]) }
        #expect(extra?.message == "unexpected argument \"x\"")
    }
}

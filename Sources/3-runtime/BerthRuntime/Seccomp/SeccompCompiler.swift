import BerthSys
import CBerth
import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

/// A compiled filter: the struct sock_filter[] bytes berth-init loads, and what `--explain` says.
public struct CompiledSeccomp: Sendable, Equatable {
    public var program: [UInt8]
    /// libseccomp rules added (one per resolved syscall name and condition group).
    public var rules: Int
    /// Syscall names libseccomp does not know (skipped, as runc does), with their field.
    public var unknown: [String]
}

/// `SeccompPlan` -> BPF through Debian's libseccomp (seccomp_export_bpf into a memfd), with
/// runc's patchbpf-style stub in front (`SeccompEnosysStub`). Only the runtime links libseccomp.
public enum SeccompCompiler {
    public static func compile(_ plan: SeccompPlan) throws(RuntimeError) -> CompiledSeccomp {
        guard let ctx = seccomp_init(plan.defaultAction) else {
            throw invalid("linux.seccomp.defaultAction", "libseccomp refused the default action 0x\(String(plan.defaultAction, radix: 16))")
        }
        defer { seccomp_release(ctx) }
        // The flags are passed to seccomp(2) by init; set as attributes too, as libseccomp knows them.
        if plan.flags & 1 != 0 { _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) }
        if plan.flags & 2 != 0 { _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) }
        if plan.flags & 4 != 0 { _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1) }
        // A binary search over syscall numbers instead of a linear list: Docker's default
        // allowlist is ~370 names per architecture, which a linear filter compares one by one on
        // every system call the container makes.
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        var tokens: [UInt32] = [seccomp_arch_native()]
        for (i, name) in plan.architectures.enumerated() {
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { throw invalid("linux.seccomp.architectures[\(i)]", "libseccomp \(version) does not know \(name)") }
            let rc = seccomp_arch_add(ctx, token)
            guard rc == 0 || rc == -EEXIST else { throw invalid("linux.seccomp.architectures[\(i)]", "\(name): \(errorText(rc))") }
            if !tokens.contains(token) { tokens.append(token) }
        }
        var added = 0
        var unknown: [String] = []
        for rule in plan.rules {
            let nr = seccomp_syscall_resolve_name(rule.name)
            guard nr != __NR_SCMP_ERROR else {
                unknown.append("\(rule.field): \(rule.name)")
                continue
            }
            var conditions = rule.conditions.map {
                scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op), datum_a: $0.a, datum_b: $0.b)
            }
            let rc = seccomp_rule_add_array(ctx, rule.action, nr, UInt32(conditions.count), &conditions)
            guard rc == 0 else { throw invalid(rule.field, "libseccomp refused the rule for \(rule.name): \(errorText(rc))") }
            added += 1
        }
        let body = try export(ctx)
        let stub = SeccompEnosysStub.make(defaultAction: plan.defaultAction, archs: tokens,
                                          names: plan.named) { arch, name in seccomp_syscall_resolve_name_arch(arch, name) }
        return CompiledSeccomp(program: stub + body, rules: added, unknown: unknown)
    }

    public static var version: String {
        guard let v = seccomp_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }

    static func export(_ ctx: scmp_filter_ctx) throws(RuntimeError) -> [UInt8] {
        let fd = berth_memfd_create("berth-seccomp", 1 /* MFD_CLOEXEC */)
        guard fd >= 0 else { throw .sys(SysError("memfd_create", detail: "seccomp export")) }
        let file = FileDescriptor(rawValue: fd)
        defer { file.close() }
        let rc = seccomp_export_bpf(ctx, fd)
        guard rc == 0 else { throw invalid("linux.seccomp", "libseccomp could not export the filter: \(errorText(rc))") }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .sys(SysError("lseek", detail: "seccomp export")) }
        var out: [UInt8] = []
        while true {
            let chunk: [UInt8]
            do throws(SysError) { chunk = try file.read() } catch { throw .sys(error) }
            if chunk.isEmpty { break }
            out += chunk
        }
        return out
    }

    static func errorText(_ rc: Int32) -> String { String(cString: strerror(-rc)) }

    static func invalid(_ path: String, _ message: String) -> RuntimeError { .invalidSpec([SpecIssue(path, message)]) }
}

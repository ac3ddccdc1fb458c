/// runc's patchbpf idea for libseccomp 2.5 (Debian 12 has 2.5.4, without 2.6's kernel-version
/// attribute): a few classic BPF instructions in front of the filter answer every syscall whose
/// number is above the highest one the profile names (per architecture) with ENOSYS instead of
/// the default action, so libc falls back from calls newer than the profile (clone3 -> clone).
/// Not added when the default action is ALLOW or LOG (then nothing unknown is denied).
/// Pure: `resolve(arch, name)` is libseccomp's seccomp_syscall_resolve_name_arch.
public enum SeccompEnosysStub {
    static let auditArchX86_64: UInt32 = 0xc000_003e
    static let scmpArchX32: UInt32 = 0x4000_003e
    static let x32SyscallBit: UInt32 = 0x4000_0000
    static let enosys: UInt32 = 38

    struct Insn: Equatable {
        var code: UInt16, jt: UInt8, jf: UInt8, k: UInt32
    }

    static let ldAbs: UInt16 = 0x20, jeq: UInt16 = 0x15, jgt: UInt16 = 0x25, jge: UInt16 = 0x35, ja: UInt16 = 0x05, ret: UInt16 = 0x06

    /// The highest syscall number the profile names on each architecture (x32 folded into
    /// x86_64's block: x32 calls arrive as AUDIT_ARCH_X86_64 with bit 30 set).
    public static func make(defaultAction: UInt32, archs: [UInt32], names: [String],
                            resolve: (UInt32, String) -> Int32) -> [UInt8] {
        guard defaultAction != SeccompPlanner.allow, defaultAction != SeccompPlanner.log, !names.isEmpty else { return [] }
        func highest(_ arch: UInt32) -> UInt32? {
            names.map { resolve(arch, $0) }.filter { $0 >= 0 }.max().map(UInt32.init)
        }
        var blocks: [(arch: UInt32, max: UInt32, x32Max: UInt32??)] = []
        for arch in archs where arch != scmpArchX32 {
            guard let max = highest(arch) else { continue }
            let x32: UInt32?? = arch == auditArchX86_64 ? .some(archs.contains(scmpArchX32) ? highest(scmpArchX32) : nil) : .none
            blocks.append((arch, max, x32))
        }
        guard !blocks.isEmpty else { return [] }
        return encode(instructions(blocks))
    }

    /// [ld arch] [block per arch] [ja main] [ret ENOSYS] -> main. A block that does not match
    /// its arch skips itself with A still holding the arch; a matching one always jumps out.
    static func instructions(_ blocks: [(arch: UInt32, max: UInt32, x32Max: UInt32??)]) -> [Insn] {
        // Bodies first, with targets as symbolic -1 (ENOSYS) and -2 (main), resolved below.
        var code: [Insn] = [Insn(code: ldAbs, jt: 0, jf: 0, k: 4)]
        var pending: [(at: Int, jt: Int, jf: Int)] = []
        for block in blocks {
            var body: [(Insn, Int?, Int?)] = [(Insn(code: ldAbs, jt: 0, jf: 0, k: 0), nil, nil)]
            switch block.x32Max {
            case .some(.some(let x32)):
                body.append((Insn(code: jge, jt: 0, jf: 1, k: x32SyscallBit), nil, nil))
                body.append((Insn(code: jgt, jt: 0, jf: 0, k: x32), -1, -2))
            case .some(.none):
                // x32 not in the filter: leave those calls to the filter (bad-arch handling).
                body.append((Insn(code: jge, jt: 0, jf: 0, k: x32SyscallBit), -2, 0))
            case .none: break
            }
            body.append((Insn(code: jgt, jt: 0, jf: 0, k: block.max), -1, -2))
            code.append(Insn(code: jeq, jt: 0, jf: UInt8(body.count), k: block.arch))
            for (insn, jt, jf) in body {
                if jt != nil || jf != nil { pending.append((code.count, jt ?? 0, jf ?? 0)) }
                code.append(insn)
            }
        }
        code.append(Insn(code: ja, jt: 0, jf: 0, k: 1))
        let enosysAt = code.count
        code.append(Insn(code: ret, jt: 0, jf: 0, k: SeccompPlanner.errnoBase | enosys))
        let mainAt = code.count
        func offset(_ target: Int, from at: Int) -> UInt8 {
            switch target {
            case -1: UInt8(enosysAt - at - 1)
            case -2: UInt8(mainAt - at - 1)
            default: UInt8(target)
            }
        }
        for p in pending {
            code[p.at].jt = offset(p.jt, from: p.at)
            code[p.at].jf = offset(p.jf, from: p.at)
        }
        return code
    }

    static func encode(_ code: [Insn]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(code.count * 8)
        for i in code {
            withUnsafeBytes(of: i.code.littleEndian) { out += $0 }
            out.append(i.jt)
            out.append(i.jf)
            withUnsafeBytes(of: i.k.littleEndian) { out += $0 }
        }
        return out
    }
}

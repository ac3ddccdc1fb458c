import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup v2 form of a device list: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
/// (what runc's devicefilter and crun's ebpf.c build), attached to the container's cgroup by
/// `berth_bpf_attach_device_filter` in the C shim. The kernel runs it on every open/mknod of a
/// device node with a `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`
/// (access_type = access << 16 | type); it returns 1 to allow, 0 to refuse with EPERM.
///
/// Layout: a prologue loads type, access, major, minor into r2..r5; then one block per rule,
/// last rule first (the last matching rule wins), each returning at its first match; then
/// `return 0` (default deny) unless a rule that matches everything ended the program already.
public enum DeviceFilter {
    /// One `struct bpf_insn`, packed as the kernel lays it out on a little-endian machine:
    /// code, dst_reg (low nibble) | src_reg (high nibble), s16 offset, s32 immediate.
    public struct Instruction: Equatable, Sendable, CustomStringConvertible {
        public var code: UInt8
        public var dst: UInt8
        public var src: UInt8 = 0
        public var off: Int16 = 0
        public var imm: Int32 = 0

        public var raw: UInt64 {
            UInt64(code) | UInt64(dst & 0xf | (src & 0xf) << 4) << 8
                | UInt64(UInt16(bitPattern: off)) << 16 | UInt64(UInt32(bitPattern: imm)) << 32
        }

        public var description: String { "op=0x\(String(code, radix: 16)) dst=r\(dst) src=r\(src) off=\(off) imm=\(imm)" }
    }

    // Opcodes (linux/bpf.h, linux/bpf_common.h).
    static let ldxMemW: UInt8 = 0x61      // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
    static let and32Imm: UInt8 = 0x54     // BPF_ALU | BPF_AND | BPF_K: w_dst &= imm
    static let rsh32Imm: UInt8 = 0x74     // BPF_ALU | BPF_RSH | BPF_K: w_dst >>= imm
    static let mov64Reg: UInt8 = 0xbf     // BPF_ALU64 | BPF_MOV | BPF_X: dst = src
    static let and64Imm: UInt8 = 0x57     // BPF_ALU64 | BPF_AND | BPF_K
    static let mov64Imm: UInt8 = 0xb7     // BPF_ALU64 | BPF_MOV | BPF_K: dst = imm
    static let jneImm: UInt8 = 0x55       // BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto +off
    static let jneReg: UInt8 = 0x5d       // BPF_JMP | BPF_JNE | BPF_X: if dst != src goto +off
    static let exit: UInt8 = 0x95         // BPF_JMP | BPF_EXIT: return r0

    // bpf_cgroup_dev_ctx values.
    static let typeBlock: Int32 = 1, typeChar: Int32 = 2
    static let accMknod: Int32 = 1, accRead: Int32 = 2, accWrite: Int32 = 4

    /// The program for `rules` (already the full list, e.g. `DeviceRule.effective`).
    /// The verifier refuses unreachable instructions, so the program stops at the first rule
    /// (from the end) that matches everything, e.g. the leading deny-all: its `return 0` is then
    /// the default.
    public static func program(_ rules: [DeviceRule]) -> [Instruction] {
        var out = prologue
        for rule in rules.reversed() {
            let b = block(rule)
            out += b
            if b.count == 2 { return out }  // no checks: matches every request
        }
        return out + [Instruction(code: mov64Imm, dst: 0, imm: 0), Instruction(code: exit, dst: 0)]
    }

    /// r2 = type, r3 = access, r4 = major, r5 = minor (r1 is the context, then scratch).
    static let prologue: [Instruction] = [
        Instruction(code: ldxMemW, dst: 2, src: 1, off: 0),
        Instruction(code: and32Imm, dst: 2, imm: 0xffff),
        Instruction(code: ldxMemW, dst: 3, src: 1, off: 0),
        Instruction(code: rsh32Imm, dst: 3, imm: 16),
        Instruction(code: ldxMemW, dst: 4, src: 1, off: 4),
        Instruction(code: ldxMemW, dst: 5, src: 1, off: 8),
    ]

    /// Checks that jump past the block when the request does not match, then `return allow`.
    static func block(_ rule: DeviceRule) -> [Instruction] {
        // Each check is (instructions before the jump, the jump with its offset still 0).
        var checks: [[Instruction]] = []
        switch rule.type {
        case .char: checks.append([Instruction(code: jneImm, dst: 2, imm: typeChar)])
        case .block: checks.append([Instruction(code: jneImm, dst: 2, imm: typeBlock)])
        case .all: break
        }
        let mask = accessMask(rule.access)
        if mask != accMknod | accRead | accWrite {
            // Every access asked for must be in the rule: (access & mask) == access.
            checks.append([Instruction(code: mov64Reg, dst: 1, src: 3), Instruction(code: and64Imm, dst: 1, imm: mask),
                           Instruction(code: jneReg, dst: 1, src: 3)])
        }
        if let major = rule.major { checks.append([Instruction(code: jneImm, dst: 4, imm: Int32(major))]) }
        if let minor = rule.minor { checks.append([Instruction(code: jneImm, dst: 5, imm: Int32(minor))]) }
        var body = checks.flatMap { $0 }
        body += [Instruction(code: mov64Imm, dst: 0, imm: rule.allow ? 1 : 0), Instruction(code: exit, dst: 0)]
        // A jump's offset counts the instructions after it, up to the end of the block.
        for i in body.indices where body[i].code == jneImm || body[i].code == jneReg {
            body[i].off = Int16(body.count - i - 1)
        }
        return body
    }

    static func accessMask(_ access: String) -> Int32 {
        var mask: Int32 = 0
        if access.contains("m") { mask |= accMknod }
        if access.contains("r") { mask |= accRead }
        if access.contains("w") { mask |= accWrite }
        return mask
    }
}

extension CgroupFiles {
    /// Load `DeviceFilter.program(rules)` and attach it to the v2 group `dir` (BPF_F_ALLOW_MULTI:
    /// the programs of the ancestors still run, and a device is usable only if all allow it;
    /// a second `apply` adds a program, so it can only narrow the list).
    func attachDeviceFilter(_ dir: String, _ rules: [DeviceRule]) throws(CgroupError) {
        try checkInside(dir)
        let program = DeviceFilter.program(rules)
        Trace.step("cgroup", "attach device filter to \(dir): \(rules.count) rules, \(program.count) eBPF instructions (\(rules.map { $0.description }.joined(separator: ", ")))")
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(dir, O_RDONLY | O_DIRECTORY) } catch { throw CgroupError.sys(error) }
        defer { fd.close() }
        let raw = program.map { $0.raw }
        var log = [CChar](repeating: 0, count: 16384)
        var stage: UnsafePointer<CChar>?
        let (rc, e) = Sys.attempt {
            raw.withUnsafeBufferPointer { berth_bpf_attach_device_filter(fd.rawValue, $0.baseAddress, UInt32($0.count), &log, UInt32(log.count), &stage) }
        }
        if rc != 0 {
            let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .split(separator: "\n").suffix(3).joined(separator: "; ")
            let call = stage.map { String(cString: $0) } ?? "bpf"
            throw CgroupError.sys(SysError(call, errno: e, detail: dir + (verifier.isEmpty ? "" : " (verifier: \(verifier))")))
        }
    }
}

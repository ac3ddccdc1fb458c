import BerthInit

/// `linux.seccomp` checked and translated into what libseccomp is given, without libseccomp:
/// action values (the kernel's SECCOMP_RET_*), filter flags, architecture names, and one rule per
/// syscall name (per condition when two conditions test the same argument, as runc does: they are
/// alternatives). Every problem names its JSON path.
public struct SeccompPlan: Sendable, Equatable {
    public var defaultAction: UInt32
    /// libseccomp architecture names (`x86_64`, `x86`, `x32`, ...), besides the native one.
    public var architectures: [String]
    /// SECCOMP_FILTER_FLAG_* for seccomp(2).
    public var flags: UInt32
    public var rules: [Rule]
    /// Every syscall the profile names, including rules left out: the ENOSYS stub answers only
    /// calls numbered above all of them.
    public var named: [String] = []
    /// Rules left out on purpose (their action is the default action), for `--explain`.
    public var notes: [String]

    public struct Rule: Sendable, Equatable {
        public var name: String
        public var action: UInt32
        public var conditions: [Condition]
        /// `linux.seccomp.syscalls[i]`, for errors and notes.
        public var field: String
    }

    public struct Condition: Sendable, Equatable {
        public var index: UInt32
        /// libseccomp's enum scmp_compare (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7).
        public var op: UInt32
        public var a: UInt64
        public var b: UInt64
    }
}

public enum SeccompPlanner {
    static let field = "linux.seccomp"
    /// Kernel SECCOMP_RET_* values (libseccomp's SCMP_ACT_*).
    public static let killThread: UInt32 = 0x0000_0000
    public static let killProcess: UInt32 = 0x8000_0000
    public static let trap: UInt32 = 0x0003_0000
    public static let errnoBase: UInt32 = 0x0005_0000
    public static let traceBase: UInt32 = 0x7ff0_0000
    public static let log: UInt32 = 0x7ffc_0000
    public static let allow: UInt32 = 0x7fff_0000
    static let eperm: UInt32 = 1

    public static let flagValues: [String: UInt32] = [
        "SECCOMP_FILTER_FLAG_TSYNC": 1, "SECCOMP_FILTER_FLAG_LOG": 2, "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
    ]
    /// runc's SCMP_ARCH_* names; libseccomp's name is the lowercased rest.
    public static let architectures: Set<String> = [
        "X86", "X86_64", "X32", "ARM", "AARCH64", "MIPS", "MIPS64", "MIPS64N32", "MIPSEL", "MIPSEL64", "MIPSEL64N32",
        "PPC", "PPC64", "PPC64LE", "S390", "S390X", "PARISC", "PARISC64", "RISCV64",
    ]
    public static let operators: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4, "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6,
        "SCMP_CMP_MASKED_EQ": 7,
    ]

    public static func plan(_ s: Spec.Seccomp) -> (SeccompPlan?, [SpecIssue]) {
        var issues: [SpecIssue] = []
        let defaultAction = action(s.defaultAction, errnoRet: s.defaultErrnoRet, field: field + ".defaultAction",
                                   errnoField: field + ".defaultErrnoRet", &issues)
        if let path = s.listenerPath, !path.isEmpty {
            issues.append(SpecIssue(field + ".listenerPath", "is not supported: Berth has no seccomp notify agent (SCMP_ACT_NOTIFY)"))
        }
        if let meta = s.listenerMetadata, !meta.isEmpty {
            issues.append(SpecIssue(field + ".listenerMetadata", "is not supported: Berth has no seccomp notify agent (SCMP_ACT_NOTIFY)"))
        }
        var flags: UInt32 = 0
        for (i, name) in (s.flags ?? []).enumerated() {
            if let v = flagValues[name] { flags |= v } else {
                issues.append(SpecIssue("\(field).flags[\(i)]", "unknown or unsupported flag \(name.debugDescription) (supported: \(flagValues.keys.sorted().joined(separator: ", ")))"))
            }
        }
        var archs: [String] = []
        for (i, name) in (s.architectures ?? []).enumerated() {
            let short = name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst("SCMP_ARCH_".count)) : ""
            if architectures.contains(short) { archs.append(short.lowercased()) } else {
                issues.append(SpecIssue("\(field).architectures[\(i)]", "unknown architecture \(name.debugDescription) (e.g. SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32)"))
            }
        }
        var rules: [SeccompPlan.Rule] = []
        var notes: [String] = []
        for (i, entry) in (s.syscalls ?? []).enumerated() {
            let f = "\(field).syscalls[\(i)]"
            if entry.names.isEmpty { issues.append(SpecIssue(f + ".names", "must name at least one syscall")) }
            let act = action(entry.action, errnoRet: entry.errnoRet, field: f + ".action", errnoField: f + ".errnoRet", &issues)
            let groups = conditionGroups(entry.args ?? [], field: f, &issues)
            guard let act else { continue }
            if act == defaultAction {
                notes.append("\(f): action \(entry.action) is the default action; its \(entry.names.count) rule(s) are not needed")
                continue
            }
            for name in entry.names {
                for group in groups { rules.append(.init(name: name, action: act, conditions: group, field: f)) }
            }
        }
        guard issues.isEmpty, let defaultAction else { return (nil, issues) }
        let named = (s.syscalls ?? []).flatMap { $0.names }
        return (SeccompPlan(defaultAction: defaultAction, architectures: archs, flags: flags, rules: rules, named: named, notes: notes), [])
    }

    /// The SECCOMP_RET_* value of an action name; `errnoRet` only for ERRNO and TRACE (default EPERM).
    static func action(_ name: String, errnoRet: UInt32?, field: String, errnoField: String, _ issues: inout [SpecIssue]) -> UInt32? {
        if let errnoRet, errnoRet > 0xffff {
            issues.append(SpecIssue(errnoField, "\(errnoRet) is out of range 0...65535"))
            return nil
        }
        let data = errnoRet ?? eperm
        let value: UInt32?
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": value = killThread
        case "SCMP_ACT_KILL_PROCESS": value = killProcess
        case "SCMP_ACT_TRAP": value = trap
        case "SCMP_ACT_ERRNO": return errnoBase | data
        case "SCMP_ACT_TRACE": return traceBase | data
        case "SCMP_ACT_ALLOW": value = allow
        case "SCMP_ACT_LOG": value = log
        case "SCMP_ACT_NOTIFY":
            issues.append(SpecIssue(field, "SCMP_ACT_NOTIFY is not supported: Berth has no seccomp notify agent"))
            return nil
        default:
            issues.append(SpecIssue(field, "unknown action \(name.debugDescription) (SCMP_ACT_ALLOW, ERRNO, KILL, KILL_PROCESS, KILL_THREAD, TRAP, TRACE, LOG)"))
            return nil
        }
        if errnoRet != nil {
            issues.append(SpecIssue(errnoField, "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not \(name)"))
        }
        return value
    }

    /// All conditions in one rule (AND), unless two test the same argument: then one rule per
    /// condition (runc's behaviour). No conditions: one unconditional rule.
    static func conditionGroups(_ args: [Spec.SeccompArg], field: String, _ issues: inout [SpecIssue]) -> [[SeccompPlan.Condition]] {
        var conditions: [SeccompPlan.Condition] = []
        for (j, arg) in args.enumerated() {
            let f = "\(field).args[\(j)]"
            guard arg.index <= 5 else {
                issues.append(SpecIssue(f + ".index", "\(arg.index) is out of range 0...5"))
                continue
            }
            guard let op = operators[arg.op] else {
                issues.append(SpecIssue(f + ".op", "unknown operator \(arg.op.debugDescription) (\(operators.keys.sorted().joined(separator: ", ")))"))
                continue
            }
            conditions.append(.init(index: arg.index, op: op, a: arg.value, b: arg.valueTwo ?? 0))
        }
        if conditions.isEmpty { return [[]] }
        let indexes = Set(conditions.map { $0.index })
        return indexes.count == conditions.count ? [conditions] : conditions.map { [$0] }
    }
}

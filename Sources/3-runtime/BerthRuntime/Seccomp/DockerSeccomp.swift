import BerthInit
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Docker's default seccomp profile ("docker-default"), resolved as moby's
/// profiles/seccomp `setupSeccomp` resolves it before handing `linux.seccomp` to runc: the native
/// architecture's archMap entry gives `architectures`; a rule group is kept unless its `excludes`
/// match (an arch listed, any listed capability in the bounding set, kernel >= minKernel) and only
/// if its `includes` all match (arch listed, every listed capability in the bounding set, kernel
/// >= minKernel). The table is `DefaultProfile.swift` (generated from moby's default.json).
/// Pure: the host facts come in as `Host`.
public enum DockerSeccomp {
    public static let name = "docker-default"

    public struct Filter: Sendable {
        public var caps: [String] = []
        /// moby's libseccomp-style native names ("amd64", "x86", "arm64", "s390x", ...).
        public var arches: [String] = []
        public var minKernel: (Int, Int)?
    }

    public struct Rule: Sendable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32? = nil
        public var args: [Spec.SeccompArg]? = nil
        public var includes: Filter? = nil
        public var excludes: Filter? = nil
    }

    /// What moby looks at on the host: its architecture (moby's native name) and kernel version.
    public struct Host: Sendable, Equatable {
        public var arch: String
        public var kernel: Kernel

        public struct Kernel: Sendable, Equatable, Comparable {
            public var major: Int, minor: Int
            public init(_ major: Int, _ minor: Int) { self.major = major; self.minor = minor }
            public static func < (a: Kernel, b: Kernel) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
        }

        public init(arch: String, kernel: Kernel) { self.arch = arch; self.kernel = kernel }

        /// uname(2): `machine` mapped to moby's name (GOARCH -> libseccomp string), `release` as
        /// "%d.%d" (moby's parseRelease: "6.18.44-fc" is 6.18).
        public static var current: Host {
            var u = utsname()
            uname(&u)
            func field<T>(_ value: inout T) -> String {
                withUnsafeBytes(of: &value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            }
            return Host(arch: mobyArch(machine: field(&u.machine)), kernel: parseRelease(field(&u.release)))
        }

        static func parseRelease(_ release: String) -> Kernel {
            let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            return Kernel(parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        }

        /// uname machine -> moby's `goToNative[runtime.GOARCH]` value.
        static func mobyArch(machine: String) -> String {
            switch machine {
            case "x86_64": "amd64"
            case "aarch64", "arm64": "arm64"
            case "i386", "i486", "i586", "i686": "x86"
            case "loongarch64": "loongarch64"
            case let m where m.hasPrefix("armv"): "arm"
            default: machine // ppc64le, s390x, riscv64, mips64, ...
            }
        }
    }

    /// moby's `nativeToSeccomp`: the archMap entry used for each native name (loongarch64 has no
    /// entry there under that name, so moby sets no architectures for it; kept as moby does).
    static let nativeToSeccomp: [String: String] = [
        "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM", "arm64": "SCMP_ARCH_AARCH64",
        "loong64": "SCMP_ARCH_LOONGARCH64", "mips64": "SCMP_ARCH_MIPS64", "mips64n32": "SCMP_ARCH_MIPS64N32",
        "mipsel64": "SCMP_ARCH_MIPSEL64", "mips3l64n32": "SCMP_ARCH_MIPSEL64N32", "mipsle": "SCMP_ARCH_MIPSEL",
        "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64", "ppc64le": "SCMP_ARCH_PPC64LE", "riscv64": "SCMP_ARCH_RISCV64",
        "s390": "SCMP_ARCH_S390", "s390x": "SCMP_ARCH_S390X",
    ]

    /// The profile for a process whose bounding set is `bounding` (CAP_* names).
    public static func profile(bounding: [String], host: Host = .current) -> Spec.Seccomp {
        let caps = Set(bounding)
        var architectures: [String]?
        if let native = nativeToSeccomp[host.arch], let entry = archMap.first(where: { $0.arch == native }) {
            architectures = [entry.arch] + entry.subArches
        }
        let syscalls = rules.filter { applies($0, caps: caps, host: host) }.map {
            Spec.SeccompSyscall(names: $0.names, action: $0.action, errnoRet: $0.errnoRet, args: $0.args)
        }
        return Spec.Seccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet, architectures: architectures,
                            syscalls: syscalls)
    }

    static func applies(_ rule: Rule, caps: Set<String>, host: Host) -> Bool {
        if let ex = rule.excludes {
            if ex.arches.contains(host.arch) { return false }
            if ex.caps.contains(where: caps.contains) { return false }
            if let min = ex.minKernel, host.kernel >= Host.Kernel(min.0, min.1) { return false }
        }
        if let inc = rule.includes {
            if !inc.arches.isEmpty, !inc.arches.contains(host.arch) { return false }
            if !inc.caps.allSatisfy(caps.contains) { return false }
            if let min = inc.minKernel, host.kernel < Host.Kernel(min.0, min.1) { return false }
        }
        return true
    }

    /// "docker-default" when `seccomp` is exactly what Docker gives a process with this bounding
    /// set on this host, else "custom"; for `--explain`.
    public static func describe(_ seccomp: Spec.Seccomp, bounding: [String], host: Host = .current) -> String {
        seccomp == profile(bounding: bounding, host: host) ? name : "custom"
    }

    /// Rule groups and syscall names of a profile (`--explain`).
    public static func counts(_ seccomp: Spec.Seccomp) -> (rules: Int, names: Int) {
        let s = seccomp.syscalls ?? []
        return (s.count, s.reduce(0) { $0 + $1.names.count })
    }

    /// One `--explain` line: "docker-default profile sha256:<hash>: 24 rules (387 syscall names)".
    public static func summary(_ seccomp: Spec.Seccomp, bounding: [String], hash: String? = nil, host: Host = .current) -> String {
        let (rules, names) = counts(seccomp)
        return "\(describe(seccomp, bounding: bounding, host: host)) profile sha256:\(hash ?? SeccompCache.key(seccomp)): "
            + "\(rules) rules (\(names) syscall names)"
    }
}

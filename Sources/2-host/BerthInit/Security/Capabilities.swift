/// Linux capability names and numbers (linux/capability.h, 0...40), and the default sets the
/// task layer uses. Names are accepted with or without the `CAP_` prefix, in any case (ECS
/// `linuxParameters.capabilities` uses `NET_ADMIN`, OCI uses `CAP_NET_ADMIN`).
public enum Capabilities {
    /// Index = capability number.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// Docker's and containerd's default set (14 capabilities), as OCI names.
    public static let dockerDefault: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability this table knows (ECS `privileged: true`).
    public static var all: [String] { names }

    /// The number of a capability name (`CAP_NET_ADMIN`, `NET_ADMIN`, `net_admin`), or nil.
    public static func number(_ name: String) -> Int? {
        var upper = name.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        return names.firstIndex(of: upper)
    }

    /// The OCI name of a capability number (`CAP_42` for numbers beyond the table).
    public static func name(_ number: Int) -> String {
        number >= 0 && number < names.count ? names[number] : "CAP_\(number)"
    }

    /// Canonical OCI name for any accepted spelling, or nil if unknown.
    public static func canonical(_ name: String) -> String? {
        number(name).map { names[$0] }
    }

    /// A 64-bit mask of `list`; unknown names throw naming `field[index]` and the capability.
    public static func mask(_ list: [String]?, field: String) throws(InitError) -> UInt64 {
        var mask: UInt64 = 0
        for (i, name) in (list ?? []).enumerated() {
            guard let n = number(name) else {
                throw InitError("capabilities", "\(field)[\(i)]: unknown capability \(name.debugDescription)")
            }
            mask |= 1 << UInt64(n)
        }
        return mask
    }

    /// Names of the bits set in `mask`, in number order.
    public static func names(in mask: UInt64) -> [String] {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.map { name($0) }
    }
}

/// The five capability sets of the container process as masks.
public struct CapabilitySets: Equatable, Sendable {
    public var bounding: UInt64
    public var effective: UInt64
    public var permitted: UInt64
    public var inheritable: UInt64
    public var ambient: UInt64

    public init(bounding: UInt64 = 0, effective: UInt64 = 0, permitted: UInt64 = 0, inheritable: UInt64 = 0, ambient: UInt64 = 0) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.ambient = ambient
    }

    /// The sets from `process.capabilities`; a missing object means no capabilities at all
    /// (Berth never lets an unspecified process keep the runtime's full root set).
    public init(spec: Spec.Capabilities?) throws(InitError) {
        let base = "process.capabilities"
        bounding = try Capabilities.mask(spec?.bounding, field: base + ".bounding")
        effective = try Capabilities.mask(spec?.effective, field: base + ".effective")
        permitted = try Capabilities.mask(spec?.permitted, field: base + ".permitted")
        inheritable = try Capabilities.mask(spec?.inheritable, field: base + ".inheritable")
        ambient = try Capabilities.mask(spec?.ambient, field: base + ".ambient")
    }

    /// Restricted to the capabilities the running kernel knows (runc ignores newer ones too).
    public func limited(toLastCap last: Int) -> CapabilitySets {
        let known: UInt64 = last >= 63 ? ~0 : (1 << UInt64(last + 1)) - 1
        return CapabilitySets(bounding: bounding & known, effective: effective & known, permitted: permitted & known,
                              inheritable: inheritable & known, ambient: ambient & known)
    }

    /// Ambient capabilities the kernel will accept: each must be permitted and inheritable
    /// (PR_CAP_AMBIENT_RAISE fails otherwise). The rest are skipped with a warning, as runc does.
    public var raisableAmbient: UInt64 { ambient & permitted & inheritable }
    public var unraisableAmbient: UInt64 { ambient & ~(permitted & inheritable) }
}

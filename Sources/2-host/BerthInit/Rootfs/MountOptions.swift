import CBerth

/// `mounts[].options` turned into mount(2) flags, propagation changes and the data string.
public struct MountOptions: Equatable, Sendable {
    public var flags: UInt
    /// Propagation flags (MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, maybe |MS_REC) applied with a second mount call.
    public var propagation: [UInt]
    /// Comma-joined filesystem options (`mode=755,size=65536k`).
    public var data: String

    public var isBind: Bool { flags & BERTH_MS_BIND != 0 }
    public var isReadOnly: Bool { flags & BERTH_MS_RDONLY != 0 }

    public init(flags: UInt = 0, propagation: [UInt] = [], data: String = "") {
        self.flags = flags
        self.propagation = propagation
        self.data = data
    }

    /// (clear, flag): `clear` options remove the flag (`rw`, `suid`, `exec`, ...).
    static let flagTable: [String: (clear: Bool, flag: UInt)] = [
        "async": (true, BERTH_MS_SYNCHRONOUS),
        "atime": (true, BERTH_MS_NOATIME),
        "bind": (false, BERTH_MS_BIND),
        "defaults": (false, 0),
        "dev": (true, BERTH_MS_NODEV),
        "diratime": (true, BERTH_MS_NODIRATIME),
        "dirsync": (false, BERTH_MS_DIRSYNC),
        "exec": (true, BERTH_MS_NOEXEC),
        "iversion": (false, 1 << 23),
        "lazytime": (false, 1 << 25),
        "loud": (true, BERTH_MS_SILENT),
        "mand": (false, BERTH_MS_MANDLOCK),
        "noatime": (false, BERTH_MS_NOATIME),
        "nodev": (false, BERTH_MS_NODEV),
        "nodiratime": (false, BERTH_MS_NODIRATIME),
        "noexec": (false, BERTH_MS_NOEXEC),
        "noiversion": (true, 1 << 23),
        "nolazytime": (true, 1 << 25),
        "nomand": (true, BERTH_MS_MANDLOCK),
        "norelatime": (true, BERTH_MS_RELATIME),
        "nostrictatime": (true, BERTH_MS_STRICTATIME),
        "nosuid": (false, BERTH_MS_NOSUID),
        "nosymfollow": (false, BERTH_MS_NOSYMFOLLOW),
        "rbind": (false, BERTH_MS_BIND | BERTH_MS_REC),
        "relatime": (false, BERTH_MS_RELATIME),
        "remount": (false, BERTH_MS_REMOUNT),
        "ro": (false, BERTH_MS_RDONLY),
        "rw": (true, BERTH_MS_RDONLY),
        "silent": (false, BERTH_MS_SILENT),
        "strictatime": (false, BERTH_MS_STRICTATIME),
        "suid": (true, BERTH_MS_NOSUID),
        "sync": (false, BERTH_MS_SYNCHRONOUS),
    ]

    static let propagationTable: [String: UInt] = [
        "private": BERTH_MS_PRIVATE, "rprivate": BERTH_MS_PRIVATE | BERTH_MS_REC,
        "shared": BERTH_MS_SHARED, "rshared": BERTH_MS_SHARED | BERTH_MS_REC,
        "slave": BERTH_MS_SLAVE, "rslave": BERTH_MS_SLAVE | BERTH_MS_REC,
        "unbindable": BERTH_MS_UNBINDABLE, "runbindable": BERTH_MS_UNBINDABLE | BERTH_MS_REC,
    ]

    /// Options Berth recognises but cannot honour; rejected with the mount's JSON path.
    static let unsupported: Set<String> = [
        "idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
        "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime",
        "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", "tmpcopyup",
    ]

    /// Parse `options` of the mount at `field` (e.g. `mounts[3]`).
    public static func parse(_ options: [String]?, field: String) throws(InitError) -> MountOptions {
        var result = MountOptions()
        var data: [String] = []
        for (i, raw) in (options ?? []).enumerated() {
            let option = raw.trimmingWhitespace()
            if option.isEmpty { continue }
            if let entry = flagTable[option] {
                if entry.clear { result.flags &= ~entry.flag } else { result.flags |= entry.flag }
            } else if let prop = propagationTable[option] {
                result.propagation.append(prop)
            } else if unsupported.contains(option) {
                throw InitError("mount", "\(field).options[\(i)]: \(option.debugDescription) is not supported by berth")
            } else {
                data.append(option)
            }
        }
        result.data = data.joined(separator: ",")
        return result
    }

    /// Flags for the remount a bind mount needs to apply anything beyond MS_BIND|MS_REC
    /// (ro, nosuid, nodev, noexec, atime flags are ignored by the initial bind), or nil if none.
    public var bindRemountFlags: UInt? {
        let extra = flags & ~(BERTH_MS_BIND | BERTH_MS_REC | BERTH_MS_REMOUNT)
        return extra == 0 ? nil : extra | BERTH_MS_BIND | BERTH_MS_REMOUNT
    }

    /// Human form of `flags` for the trace.
    public static func describe(_ flags: UInt) -> String {
        let named: [(UInt, String)] = [
            (BERTH_MS_RDONLY, "ro"), (BERTH_MS_NOSUID, "nosuid"), (BERTH_MS_NODEV, "nodev"),
            (BERTH_MS_NOEXEC, "noexec"), (BERTH_MS_SYNCHRONOUS, "sync"), (BERTH_MS_REMOUNT, "remount"),
            (BERTH_MS_MANDLOCK, "mand"), (BERTH_MS_DIRSYNC, "dirsync"), (BERTH_MS_NOSYMFOLLOW, "nosymfollow"),
            (BERTH_MS_NOATIME, "noatime"), (BERTH_MS_NODIRATIME, "nodiratime"), (BERTH_MS_BIND, "bind"),
            (BERTH_MS_MOVE, "move"), (BERTH_MS_REC, "rec"), (BERTH_MS_SILENT, "silent"),
            (BERTH_MS_UNBINDABLE, "unbindable"), (BERTH_MS_PRIVATE, "private"), (BERTH_MS_SLAVE, "slave"),
            (BERTH_MS_SHARED, "shared"), (BERTH_MS_RELATIME, "relatime"), (BERTH_MS_STRICTATIME, "strictatime"),
        ]
        let parts = named.filter { flags & $0.0 != 0 }.map { $0.1 }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}

import BerthSys

/// Identity and privileges of the container process, applied in runc's order:
/// rlimits -> bounding set drop -> KEEPCAPS -> setgroups/setresgid/setresuid -> clear KEEPCAPS
/// -> capset(effective, permitted, inheritable) -> ambient raise -> no_new_privs -> umask.
public struct ProcessSecurity: Equatable, Sendable {
    public var user: ResolvedUser
    public var capabilities: CapabilitySets
    public var rlimits: [Rlimits.Limit]
    public var noNewPrivileges: Bool
    public var umask: UInt32

    public init(user: ResolvedUser, capabilities: CapabilitySets, rlimits: [Rlimits.Limit], noNewPrivileges: Bool, umask: UInt32) {
        self.user = user
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.umask = umask
    }

    /// Everything that can be checked before touching the kernel (names, limits).
    /// `passwd`/`group` are the container's files (empty text if missing).
    public init(process: Spec.Process, passwd: String, group: String) throws(InitError) {
        let u = process.user
        let passwdEntries = UserLookup.parsePasswd(passwd)
        if let name = u.username, !name.isEmpty {
            user = try UserLookup.resolve(name, passwd: passwdEntries, group: UserLookup.parseGroup(group),
                                          additionalGids: u.additionalGids ?? [])
        } else {
            user = UserLookup.numeric(uid: u.uid, gid: u.gid, additionalGids: u.additionalGids ?? [], passwd: passwdEntries)
        }
        capabilities = try CapabilitySets(spec: process.capabilities)
        rlimits = try Rlimits.parse(process.rlimits)
        noNewPrivileges = process.noNewPrivileges ?? false
        umask = u.umask ?? 0o022
    }

    /// The checks that need no file of the container, run before any namespace is made, so bad
    /// input fails without a container process: capability names, rlimits, args.
    public static func validate(_ process: Spec.Process) throws(InitError) {
        _ = try CapabilitySets(spec: process.capabilities)
        _ = try Rlimits.parse(process.rlimits)
        guard !process.args.isEmpty else { throw InitError("exec", "process.args: empty", exitCode: 127) }
        if process.terminal == true {
            throw InitError("config", "process.terminal: true is not supported by berth (stdio is pipes or files)")
        }
        if let adj = process.oomScoreAdj, adj < -1000 || adj > 1000 {
            throw InitError("config", "process.oomScoreAdj: \(adj) is outside -1000...1000")
        }
    }

    public func applyRlimits(_ sys: some CredentialSyscalls) throws(SysError) {
        for limit in rlimits {
            Trace.step("rlimit", "\(limit.name) soft=\(limit.soft) hard=\(limit.hard)")
            try sys.setRlimit(limit)
        }
    }

    /// Switch user and capabilities. Returns the ambient capabilities that could not be raised
    /// (not in both permitted and inheritable), for a warning.
    @discardableResult
    public func applyIdentity(_ sys: some CredentialSyscalls) throws(SysError) -> [String] {
        let last = sys.capLastCap()
        let caps = capabilities.limited(toLastCap: last)
        for cap in 0...last where caps.bounding & (1 << UInt64(cap)) == 0 {
            try sys.dropBounding(cap)
        }
        Trace.step("caps", "bounding: \(Capabilities.names(in: caps.bounding).joined(separator: ","))")
        try sys.setKeepCaps(true)
        Trace.step("user", "uid=\(user.uid) gid=\(user.gid) groups=\(user.groups.map(String.init).joined(separator: ","))")
        try sys.setGroups(user.groups)
        try sys.setResGid(user.gid)
        try sys.setResUid(user.uid)
        try sys.setKeepCaps(false)
        Trace.step("caps", "effective: \(Capabilities.names(in: caps.effective).joined(separator: ","))")
        Trace.step("caps", "permitted: \(Capabilities.names(in: caps.permitted).joined(separator: ","))")
        Trace.step("caps", "inheritable: \(Capabilities.names(in: caps.inheritable).joined(separator: ","))")
        try sys.capSet(effective: caps.effective, permitted: caps.permitted, inheritable: caps.inheritable)
        try sys.clearAmbient()
        for cap in 0...last where caps.raisableAmbient & (1 << UInt64(cap)) != 0 {
            try sys.raiseAmbient(cap)
        }
        Trace.step("caps", "ambient: \(Capabilities.names(in: caps.raisableAmbient).joined(separator: ","))")
        if noNewPrivileges {
            Trace.step("security", "no_new_privs")
            try sys.setNoNewPrivileges()
        }
        Trace.step("security", "umask \(String(umask, radix: 8))")
        sys.setUmask(umask)
        return Capabilities.names(in: caps.unraisableAmbient)
    }
}

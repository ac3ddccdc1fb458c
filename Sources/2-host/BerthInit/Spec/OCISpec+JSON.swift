import BerthJSON

/// `Spec` read and written through BerthJSON with the keys and the required/optional split of its
/// Codable conformance: `berth-init` reads init.json and the runtime reads config.json with it,
/// without instantiating Codable metadata on the start path (Docs/performance.md).
extension Spec: JSONRecord {
    public static let blank = Spec(ociVersion: "")
    public static let members: [JSONMember<Spec>] = [
        .required("ociVersion", { $1(&$0.ociVersion) }), .optional("process", { $1(&$0.process) }),
        .optional("root", { $1(&$0.root) }), .optional("hostname", { $1(&$0.hostname) }),
        .optional("domainname", { $1(&$0.domainname) }), .optional("mounts", { $1(&$0.mounts) }),
        .optional("linux", { $1(&$0.linux) }), .optional("annotations", { $1(&$0.annotations) }),
        .optional("hooks", { $1(&$0.hooks) }),
    ]
}

extension Spec.Process: JSONRecord {
    public static let blank = Spec.Process(args: [])
    public static let members: [JSONMember<Spec.Process>] = [
        .optional("terminal", { $1(&$0.terminal) }), .required("user", { $1(&$0.user) }), .required("args", { $1(&$0.args) }),
        .optional("env", { $1(&$0.env) }), .required("cwd", { $1(&$0.cwd) }), .optional("capabilities", { $1(&$0.capabilities) }),
        .optional("rlimits", { $1(&$0.rlimits) }), .optional("noNewPrivileges", { $1(&$0.noNewPrivileges) }),
        .optional("oomScoreAdj", { $1(&$0.oomScoreAdj) }),
    ]
}

extension Spec.User: JSONRecord {
    public static let blank = Spec.User()
    public static let members: [JSONMember<Spec.User>] = [
        .required("uid", { $1(&$0.uid) }), .required("gid", { $1(&$0.gid) }), .optional("umask", { $1(&$0.umask) }),
        .optional("additionalGids", { $1(&$0.additionalGids) }), .optional("username", { $1(&$0.username) }),
    ]
}

extension Spec.Capabilities: JSONRecord {
    public static let blank = Spec.Capabilities()
    public static let members: [JSONMember<Spec.Capabilities>] = [
        .optional("bounding", { $1(&$0.bounding) }), .optional("effective", { $1(&$0.effective) }),
        .optional("inheritable", { $1(&$0.inheritable) }), .optional("permitted", { $1(&$0.permitted) }),
        .optional("ambient", { $1(&$0.ambient) }),
    ]
}

extension Spec.Rlimit: JSONRecord {
    public static let blank = Spec.Rlimit(type: "", soft: 0, hard: 0)
    public static let members: [JSONMember<Spec.Rlimit>] = [
        .required("type", { $1(&$0.type) }), .required("soft", { $1(&$0.soft) }), .required("hard", { $1(&$0.hard) }),
    ]
}

extension Spec.Root: JSONRecord {
    public static let blank = Spec.Root(path: "")
    public static let members: [JSONMember<Spec.Root>] = [
        .required("path", { $1(&$0.path) }), .optional("readonly", { $1(&$0.readonly) }),
    ]
}

extension Spec.Mount: JSONRecord {
    public static let blank = Spec.Mount(destination: "")
    public static let members: [JSONMember<Spec.Mount>] = [
        .required("destination", { $1(&$0.destination) }), .optional("type", { $1(&$0.type) }),
        .optional("source", { $1(&$0.source) }), .optional("options", { $1(&$0.options) }),
    ]
}

extension Spec.Linux: JSONRecord {
    public static let blank = Spec.Linux()
    public static let members: [JSONMember<Spec.Linux>] = [
        .optional("namespaces", { $1(&$0.namespaces) }), .optional("resources", { $1(&$0.resources) }),
        .optional("cgroupsPath", { $1(&$0.cgroupsPath) }), .optional("maskedPaths", { $1(&$0.maskedPaths) }),
        .optional("readonlyPaths", { $1(&$0.readonlyPaths) }), .optional("rootfsPropagation", { $1(&$0.rootfsPropagation) }),
        .optional("sysctl", { $1(&$0.sysctl) }), .optional("devices", { $1(&$0.devices) }),
        .optional("seccomp", { $1(&$0.seccomp) }), .optional("uidMappings", { $1(&$0.uidMappings) }),
        .optional("gidMappings", { $1(&$0.gidMappings) }),
    ]
}

extension Spec.IDMapping: JSONRecord {
    public static let blank = Spec.IDMapping(containerID: 0, hostID: 0, size: 0)
    public static let members: [JSONMember<Spec.IDMapping>] = [
        .required("containerID", { $1(&$0.containerID) }), .required("hostID", { $1(&$0.hostID) }),
        .required("size", { $1(&$0.size) }),
    ]
}

extension Spec.Device: JSONRecord {
    public static let blank = Spec.Device(path: "", type: "")
    public static let members: [JSONMember<Spec.Device>] = [
        .required("path", { $1(&$0.path) }), .required("type", { $1(&$0.type) }), .optional("major", { $1(&$0.major) }),
        .optional("minor", { $1(&$0.minor) }), .optional("fileMode", { $1(&$0.fileMode) }), .optional("uid", { $1(&$0.uid) }),
        .optional("gid", { $1(&$0.gid) }),
    ]
}

extension Spec.DeviceCgroup: JSONRecord {
    public static let blank = Spec.DeviceCgroup(allow: false)
    public static let members: [JSONMember<Spec.DeviceCgroup>] = [
        .required("allow", { $1(&$0.allow) }), .optional("type", { $1(&$0.type) }), .optional("major", { $1(&$0.major) }),
        .optional("minor", { $1(&$0.minor) }), .optional("access", { $1(&$0.access) }),
    ]
}

extension Spec.Namespace: JSONRecord {
    public static let blank = Spec.Namespace(type: "")
    public static let members: [JSONMember<Spec.Namespace>] = [
        .required("type", { $1(&$0.type) }), .optional("path", { $1(&$0.path) }),
    ]
}

extension Spec.Resources: JSONRecord {
    public static let blank = Spec.Resources()
    public static let members: [JSONMember<Spec.Resources>] = [
        .optional("memory", { $1(&$0.memory) }), .optional("cpu", { $1(&$0.cpu) }), .optional("pids", { $1(&$0.pids) }),
        .optional("devices", { $1(&$0.devices) }),
    ]
}

extension Spec.Memory: JSONRecord {
    public static let blank = Spec.Memory()
    public static let members: [JSONMember<Spec.Memory>] = [
        .optional("limit", { $1(&$0.limit) }), .optional("reservation", { $1(&$0.reservation) }),
        .optional("swap", { $1(&$0.swap) }),
    ]
}

extension Spec.CPU: JSONRecord {
    public static let blank = Spec.CPU()
    public static let members: [JSONMember<Spec.CPU>] = [
        .optional("shares", { $1(&$0.shares) }), .optional("quota", { $1(&$0.quota) }), .optional("period", { $1(&$0.period) }),
    ]
}

extension Spec.Pids: JSONRecord {
    public static let blank = Spec.Pids(limit: 0)
    public static let members: [JSONMember<Spec.Pids>] = [.required("limit", { $1(&$0.limit) })]
}

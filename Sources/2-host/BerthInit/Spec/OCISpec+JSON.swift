import BerthJSON

/// `Spec` read and written through BerthJSON with the keys and the required/optional split of its
/// Codable conformance: `berth-init` reads init.json and the runtime reads config.json with it,
/// without instantiating Codable metadata on the start path (Docs/performance.md).
extension Spec: JSONRecord {
    public static let blank = Spec(ociVersion: "")
    public static let members: [JSONMember<Spec>] = [
        .required("ociVersion", \.ociVersion), .optional("process", \.process), .optional("root", \.root),
        .optional("hostname", \.hostname), .optional("domainname", \.domainname), .optional("mounts", \.mounts),
        .optional("linux", \.linux), .optional("annotations", \.annotations),
        .optional("hooks", \.hooks),
    ]
}

extension Spec.Process: JSONRecord {
    public static let blank = Spec.Process(args: [])
    public static let members: [JSONMember<Spec.Process>] = [
        .optional("terminal", \.terminal), .required("user", \.user), .required("args", \.args), .optional("env", \.env),
        .required("cwd", \.cwd), .optional("capabilities", \.capabilities), .optional("rlimits", \.rlimits),
        .optional("noNewPrivileges", \.noNewPrivileges), .optional("oomScoreAdj", \.oomScoreAdj),
    ]
}

extension Spec.User: JSONRecord {
    public static let blank = Spec.User()
    public static let members: [JSONMember<Spec.User>] = [
        .required("uid", \.uid), .required("gid", \.gid), .optional("umask", \.umask),
        .optional("additionalGids", \.additionalGids), .optional("username", \.username),
    ]
}

extension Spec.Capabilities: JSONRecord {
    public static let blank = Spec.Capabilities()
    public static let members: [JSONMember<Spec.Capabilities>] = [
        .optional("bounding", \.bounding), .optional("effective", \.effective), .optional("inheritable", \.inheritable),
        .optional("permitted", \.permitted), .optional("ambient", \.ambient),
    ]
}

extension Spec.Rlimit: JSONRecord {
    public static let blank = Spec.Rlimit(type: "", soft: 0, hard: 0)
    public static let members: [JSONMember<Spec.Rlimit>] = [.required("type", \.type), .required("soft", \.soft), .required("hard", \.hard)]
}

extension Spec.Root: JSONRecord {
    public static let blank = Spec.Root(path: "")
    public static let members: [JSONMember<Spec.Root>] = [.required("path", \.path), .optional("readonly", \.readonly)]
}

extension Spec.Mount: JSONRecord {
    public static let blank = Spec.Mount(destination: "")
    public static let members: [JSONMember<Spec.Mount>] = [
        .required("destination", \.destination), .optional("type", \.type), .optional("source", \.source), .optional("options", \.options),
    ]
}

extension Spec.Linux: JSONRecord {
    public static let blank = Spec.Linux()
    public static let members: [JSONMember<Spec.Linux>] = [
        .optional("namespaces", \.namespaces), .optional("resources", \.resources), .optional("cgroupsPath", \.cgroupsPath),
        .optional("maskedPaths", \.maskedPaths), .optional("readonlyPaths", \.readonlyPaths),
        .optional("rootfsPropagation", \.rootfsPropagation), .optional("sysctl", \.sysctl), .optional("devices", \.devices),
        .optional("seccomp", \.seccomp),
        .optional("uidMappings", \.uidMappings), .optional("gidMappings", \.gidMappings),
    ]
}

extension Spec.IDMapping: JSONRecord {
    public static let blank = Spec.IDMapping(containerID: 0, hostID: 0, size: 0)
    public static let members: [JSONMember<Spec.IDMapping>] = [
        .required("containerID", \.containerID), .required("hostID", \.hostID), .required("size", \.size),
    ]
}

extension Spec.Device: JSONRecord {
    public static let blank = Spec.Device(path: "", type: "")
    public static let members: [JSONMember<Spec.Device>] = [
        .required("path", \.path), .required("type", \.type), .optional("major", \.major), .optional("minor", \.minor),
        .optional("fileMode", \.fileMode), .optional("uid", \.uid), .optional("gid", \.gid),
    ]
}

extension Spec.DeviceCgroup: JSONRecord {
    public static let blank = Spec.DeviceCgroup(allow: false)
    public static let members: [JSONMember<Spec.DeviceCgroup>] = [
        .required("allow", \.allow), .optional("type", \.type), .optional("major", \.major), .optional("minor", \.minor),
        .optional("access", \.access),
    ]
}

extension Spec.Namespace: JSONRecord {
    public static let blank = Spec.Namespace(type: "")
    public static let members: [JSONMember<Spec.Namespace>] = [.required("type", \.type), .optional("path", \.path)]
}

extension Spec.Resources: JSONRecord {
    public static let blank = Spec.Resources()
    public static let members: [JSONMember<Spec.Resources>] = [
        .optional("memory", \.memory), .optional("cpu", \.cpu), .optional("pids", \.pids), .optional("devices", \.devices),
    ]
}

extension Spec.Memory: JSONRecord {
    public static let blank = Spec.Memory()
    public static let members: [JSONMember<Spec.Memory>] = [
        .optional("limit", \.limit), .optional("reservation", \.reservation), .optional("swap", \.swap),
    ]
}

extension Spec.CPU: JSONRecord {
    public static let blank = Spec.CPU()
    public static let members: [JSONMember<Spec.CPU>] = [.optional("shares", \.shares), .optional("quota", \.quota), .optional("period", \.period)]
}

extension Spec.Pids: JSONRecord {
    public static let blank = Spec.Pids(limit: 0)
    public static let members: [JSONMember<Spec.Pids>] = [.required("limit", \.limit)]
}

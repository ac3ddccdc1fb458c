import BerthJSON

/// `Spec` read from a `JSONValue`, field for field as its Codable conformance reads it
/// (same keys, same required/optional split). Used by `berth-init` for init.json.
extension Spec: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(ociVersion: try o.required("ociVersion"), process: try o.optional("process"), root: try o.optional("root"),
                  hostname: try o.optional("hostname"), domainname: try o.optional("domainname"),
                  mounts: try o.optional("mounts"), linux: try o.optional("linux"), annotations: try o.optional("annotations"))
    }
}

extension Spec.Process: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(terminal: try o.optional("terminal"), user: try o.required("user"), args: try o.required("args"),
                  env: try o.optional("env"), cwd: try o.required("cwd"), capabilities: try o.optional("capabilities"),
                  rlimits: try o.optional("rlimits"), noNewPrivileges: try o.optional("noNewPrivileges"),
                  oomScoreAdj: try o.optional("oomScoreAdj"))
    }
}

extension Spec.User: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(uid: try o.required("uid"), gid: try o.required("gid"), umask: try o.optional("umask"),
                  additionalGids: try o.optional("additionalGids"), username: try o.optional("username"))
    }
}

extension Spec.Capabilities: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(bounding: try o.optional("bounding"), effective: try o.optional("effective"),
                  inheritable: try o.optional("inheritable"), permitted: try o.optional("permitted"),
                  ambient: try o.optional("ambient"))
    }
}

extension Spec.Rlimit: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), soft: try o.required("soft"), hard: try o.required("hard"))
    }
}

extension Spec.Root: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(path: try o.required("path"), readonly: try o.optional("readonly"))
    }
}

extension Spec.Mount: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(destination: try o.required("destination"), type: try o.optional("type"),
                  source: try o.optional("source"), options: try o.optional("options"))
    }
}

extension Spec.Linux: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(namespaces: try o.optional("namespaces"), resources: try o.optional("resources"),
                  cgroupsPath: try o.optional("cgroupsPath"), maskedPaths: try o.optional("maskedPaths"),
                  readonlyPaths: try o.optional("readonlyPaths"), rootfsPropagation: try o.optional("rootfsPropagation"),
                  sysctl: try o.optional("sysctl"), devices: try o.optional("devices"))
    }
}

extension Spec.Device: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(path: try o.required("path"), type: try o.required("type"), major: try o.optional("major"), minor: try o.optional("minor"))
    }
}

extension Spec.DeviceCgroup: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(allow: try o.required("allow"), type: try o.optional("type"), major: try o.optional("major"),
                  minor: try o.optional("minor"), access: try o.optional("access"))
    }
}

extension Spec.Namespace: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), path: try o.optional("path"))
    }
}

extension Spec.Resources: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(memory: try o.optional("memory"), cpu: try o.optional("cpu"), pids: try o.optional("pids"),
                  devices: try o.optional("devices"))
    }
}

extension Spec.Memory: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.optional("limit"), reservation: try o.optional("reservation"), swap: try o.optional("swap"))
    }
}

extension Spec.CPU: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(shares: try o.optional("shares"), quota: try o.optional("quota"), period: try o.optional("period"))
    }
}

extension Spec.Pids: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.required("limit"))
    }
}

// MARK: writing (same keys as the Codable conformance)

extension Spec: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("ociVersion", ociVersion); o.set("process", process); o.set("root", root)
        o.set("hostname", hostname); o.set("domainname", domainname); o.set("mounts", mounts)
        o.set("linux", linux); o.set("annotations", annotations)
        return o.value
    }
}

extension Spec.Process: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("terminal", terminal); o.set("user", user); o.set("args", args); o.set("env", env)
        o.set("cwd", cwd); o.set("capabilities", capabilities); o.set("rlimits", rlimits)
        o.set("noNewPrivileges", noNewPrivileges); o.set("oomScoreAdj", oomScoreAdj)
        return o.value
    }
}

extension Spec.User: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("uid", uid); o.set("gid", gid); o.set("umask", umask)
        o.set("additionalGids", additionalGids); o.set("username", username)
        return o.value
    }
}

extension Spec.Capabilities: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("bounding", bounding); o.set("effective", effective); o.set("inheritable", inheritable)
        o.set("permitted", permitted); o.set("ambient", ambient)
        return o.value
    }
}

extension Spec.Rlimit: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("type", type); o.set("soft", soft); o.set("hard", hard)
        return o.value
    }
}

extension Spec.Root: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("path", path); o.set("readonly", readonly)
        return o.value
    }
}

extension Spec.Mount: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("destination", destination); o.set("type", type); o.set("source", source); o.set("options", options)
        return o.value
    }
}

extension Spec.Linux: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("namespaces", namespaces); o.set("resources", resources); o.set("cgroupsPath", cgroupsPath)
        o.set("maskedPaths", maskedPaths); o.set("readonlyPaths", readonlyPaths)
        o.set("rootfsPropagation", rootfsPropagation); o.set("sysctl", sysctl); o.set("devices", devices)
        return o.value
    }
}

extension Spec.Device: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("path", path); o.set("type", type); o.set("major", major); o.set("minor", minor)
        return o.value
    }
}

extension Spec.DeviceCgroup: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("allow", allow); o.set("type", type); o.set("major", major); o.set("minor", minor); o.set("access", access)
        return o.value
    }
}

extension Spec.Namespace: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("type", type); o.set("path", path)
        return o.value
    }
}

extension Spec.Resources: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("memory", memory); o.set("cpu", cpu); o.set("pids", pids); o.set("devices", devices)
        return o.value
    }
}

extension Spec.Memory: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("limit", limit); o.set("reservation", reservation); o.set("swap", swap)
        return o.value
    }
}

extension Spec.CPU: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("shares", shares); o.set("quota", quota); o.set("period", period)
        return o.value
    }
}

extension Spec.Pids: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("limit", limit)
        return o.value
    }
}

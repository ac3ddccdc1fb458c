/// `Spec` read from a `JSONTree`, field for field as its Codable conformance reads it
/// (same keys, same required/optional split). Used by `berth-init` for init.json.
extension Spec: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(ociVersion: try o.required("ociVersion"), process: try o.optional("process"), root: try o.optional("root"),
                  hostname: try o.optional("hostname"), domainname: try o.optional("domainname"),
                  mounts: try o.optional("mounts"), linux: try o.optional("linux"), annotations: try o.optional("annotations"))
    }
}

extension Spec.Process: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(terminal: try o.optional("terminal"), user: try o.required("user"), args: try o.required("args"),
                  env: try o.optional("env"), cwd: try o.required("cwd"), capabilities: try o.optional("capabilities"),
                  rlimits: try o.optional("rlimits"), noNewPrivileges: try o.optional("noNewPrivileges"),
                  oomScoreAdj: try o.optional("oomScoreAdj"))
    }
}

extension Spec.User: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(uid: try o.required("uid"), gid: try o.required("gid"), umask: try o.optional("umask"),
                  additionalGids: try o.optional("additionalGids"), username: try o.optional("username"))
    }
}

extension Spec.Capabilities: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(bounding: try o.optional("bounding"), effective: try o.optional("effective"),
                  inheritable: try o.optional("inheritable"), permitted: try o.optional("permitted"),
                  ambient: try o.optional("ambient"))
    }
}

extension Spec.Rlimit: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), soft: try o.required("soft"), hard: try o.required("hard"))
    }
}

extension Spec.Root: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(path: try o.required("path"), readonly: try o.optional("readonly"))
    }
}

extension Spec.Mount: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(destination: try o.required("destination"), type: try o.optional("type"),
                  source: try o.optional("source"), options: try o.optional("options"))
    }
}

extension Spec.Linux: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(namespaces: try o.optional("namespaces"), resources: try o.optional("resources"),
                  cgroupsPath: try o.optional("cgroupsPath"), maskedPaths: try o.optional("maskedPaths"),
                  readonlyPaths: try o.optional("readonlyPaths"), rootfsPropagation: try o.optional("rootfsPropagation"),
                  sysctl: try o.optional("sysctl"), devices: try o.optional("devices"))
    }
}

extension Spec.Device: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(path: try o.required("path"), type: try o.required("type"), major: try o.optional("major"), minor: try o.optional("minor"))
    }
}

extension Spec.DeviceCgroup: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(allow: try o.required("allow"), type: try o.optional("type"), major: try o.optional("major"),
                  minor: try o.optional("minor"), access: try o.optional("access"))
    }
}

extension Spec.Namespace: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), path: try o.optional("path"))
    }
}

extension Spec.Resources: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(memory: try o.optional("memory"), cpu: try o.optional("cpu"), pids: try o.optional("pids"),
                  devices: try o.optional("devices"))
    }
}

extension Spec.Memory: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.optional("limit"), reservation: try o.optional("reservation"), swap: try o.optional("swap"))
    }
}

extension Spec.CPU: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(shares: try o.optional("shares"), quota: try o.optional("quota"), period: try o.optional("period"))
    }
}

extension Spec.Pids: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.required("limit"))
    }
}

// MARK: writing (same keys as the Codable conformance)

extension Spec: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("ociVersion", ociVersion); o.add("process", process); o.add("root", root)
        o.add("hostname", hostname); o.add("domainname", domainname); o.add("mounts", mounts)
        o.add("linux", linux); o.add("annotations", annotations)
        return o.tree
    }
}

extension Spec.Process: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("terminal", terminal); o.add("user", user); o.add("args", args); o.add("env", env)
        o.add("cwd", cwd); o.add("capabilities", capabilities); o.add("rlimits", rlimits)
        o.add("noNewPrivileges", noNewPrivileges); o.add("oomScoreAdj", oomScoreAdj)
        return o.tree
    }
}

extension Spec.User: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("uid", uid); o.add("gid", gid); o.add("umask", umask)
        o.add("additionalGids", additionalGids); o.add("username", username)
        return o.tree
    }
}

extension Spec.Capabilities: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("bounding", bounding); o.add("effective", effective); o.add("inheritable", inheritable)
        o.add("permitted", permitted); o.add("ambient", ambient)
        return o.tree
    }
}

extension Spec.Rlimit: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("type", type); o.add("soft", soft); o.add("hard", hard)
        return o.tree
    }
}

extension Spec.Root: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("path", path); o.add("readonly", readonly)
        return o.tree
    }
}

extension Spec.Mount: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("destination", destination); o.add("type", type); o.add("source", source); o.add("options", options)
        return o.tree
    }
}

extension Spec.Linux: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("namespaces", namespaces); o.add("resources", resources); o.add("cgroupsPath", cgroupsPath)
        o.add("maskedPaths", maskedPaths); o.add("readonlyPaths", readonlyPaths)
        o.add("rootfsPropagation", rootfsPropagation); o.add("sysctl", sysctl); o.add("devices", devices)
        return o.tree
    }
}

extension Spec.Device: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("path", path); o.add("type", type); o.add("major", major); o.add("minor", minor)
        return o.tree
    }
}

extension Spec.DeviceCgroup: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("allow", allow); o.add("type", type); o.add("major", major); o.add("minor", minor); o.add("access", access)
        return o.tree
    }
}

extension Spec.Namespace: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("type", type); o.add("path", path)
        return o.tree
    }
}

extension Spec.Resources: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("memory", memory); o.add("cpu", cpu); o.add("pids", pids); o.add("devices", devices)
        return o.tree
    }
}

extension Spec.Memory: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("limit", limit); o.add("reservation", reservation); o.add("swap", swap)
        return o.tree
    }
}

extension Spec.CPU: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("shares", shares); o.add("quota", quota); o.add("period", period)
        return o.tree
    }
}

extension Spec.Pids: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("limit", limit)
        return o.tree
    }
}

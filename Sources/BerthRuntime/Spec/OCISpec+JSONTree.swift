/// `Spec` read from a `JSONTree`, field for field as its Codable conformance reads it
/// (same keys, same required/optional split). Used by `berth init` for init.json.
extension Spec: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(ociVersion: try o.required("ociVersion"), process: try o.optional("process"), root: try o.optional("root"),
                  hostname: try o.optional("hostname"), domainname: try o.optional("domainname"),
                  mounts: try o.optional("mounts"), linux: try o.optional("linux"), annotations: try o.optional("annotations"))
    }
}

extension Spec.Process: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(terminal: try o.optional("terminal"), user: try o.required("user"), args: try o.required("args"),
                  env: try o.optional("env"), cwd: try o.required("cwd"), capabilities: try o.optional("capabilities"),
                  rlimits: try o.optional("rlimits"), noNewPrivileges: try o.optional("noNewPrivileges"),
                  oomScoreAdj: try o.optional("oomScoreAdj"))
    }
}

extension Spec.User: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(uid: try o.required("uid"), gid: try o.required("gid"), umask: try o.optional("umask"),
                  additionalGids: try o.optional("additionalGids"), username: try o.optional("username"))
    }
}

extension Spec.Capabilities: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(bounding: try o.optional("bounding"), effective: try o.optional("effective"),
                  inheritable: try o.optional("inheritable"), permitted: try o.optional("permitted"),
                  ambient: try o.optional("ambient"))
    }
}

extension Spec.Rlimit: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), soft: try o.required("soft"), hard: try o.required("hard"))
    }
}

extension Spec.Root: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(path: try o.required("path"), readonly: try o.optional("readonly"))
    }
}

extension Spec.Mount: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(destination: try o.required("destination"), type: try o.optional("type"),
                  source: try o.optional("source"), options: try o.optional("options"))
    }
}

extension Spec.Linux: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(namespaces: try o.optional("namespaces"), resources: try o.optional("resources"),
                  cgroupsPath: try o.optional("cgroupsPath"), maskedPaths: try o.optional("maskedPaths"),
                  readonlyPaths: try o.optional("readonlyPaths"), rootfsPropagation: try o.optional("rootfsPropagation"),
                  sysctl: try o.optional("sysctl"))
    }
}

extension Spec.Namespace: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), path: try o.optional("path"))
    }
}

extension Spec.Resources: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(memory: try o.optional("memory"), cpu: try o.optional("cpu"), pids: try o.optional("pids"))
    }
}

extension Spec.Memory: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.optional("limit"), reservation: try o.optional("reservation"), swap: try o.optional("swap"))
    }
}

extension Spec.CPU: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(shares: try o.optional("shares"), quota: try o.optional("quota"), period: try o.optional("period"))
    }
}

extension Spec.Pids: JSONTreeDecodable {
    init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(limit: try o.required("limit"))
    }
}

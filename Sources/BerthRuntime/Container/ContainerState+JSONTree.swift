import BerthInit

/// state.json and exit.json read and written without Codable: every `berth oci` command is a
/// fresh process, and the first JSONDecoder/JSONEncoder use in a process instantiates the Codable
/// metadata of every nested type (about a tenth of the CLI's CPU time per container, measured
/// with perf; Docs/performance.md). The text is what JSONEncoder writes with sorted keys, and
/// JSONDecoder reads it back identically (`StateFileCodingTests`).
extension ContainerStatus: JSONTreeDecodable, JSONTreeEncodable {
    public init(json: JSONTree, path: String) throws {
        let text = try String(json: json, path: path)
        guard let status = ContainerStatus(rawValue: text) else { throw JSONTree.Failure("\(path): unknown status \(text)") }
        self = status
    }

    public var jsonTree: JSONTree { .string(rawValue) }
}

extension ExitInfo: JSONTreeDecodable, JSONTreeEncodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(exitCode: try o.required("exitCode"), signal: try o.optional("signal"), oomKilled: try o.required("oomKilled"),
                  startedAtNanos: try o.optional("startedAtNanos"), finishedAtNanos: try o.required("finishedAtNanos"))
    }

    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("exitCode", exitCode); o.add("signal", signal); o.add("oomKilled", oomKilled)
        o.add("startedAtNanos", startedAtNanos); o.add("finishedAtNanos", finishedAtNanos)
        return o.tree
    }

    /// exit.json as the monitor writes it.
    static func decode(json bytes: [UInt8]) throws -> ExitInfo {
        try ExitInfo(json: try JSONTree.parse(bytes), path: "")
    }
}

extension ContainerState: JSONTreeDecodable, JSONTreeEncodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        self.init(ociVersion: try o.required("ociVersion"), id: try o.required("id"), status: try o.required("status"),
                  pid: try o.required("pid"), bundle: try o.required("bundle"), annotations: try o.optional("annotations"),
                  pidStartTime: try o.optional("pidStartTime"), monitorPid: try o.optional("monitorPid"),
                  createdAtNanos: try o.optional("createdAtNanos"), cgroupPath: try o.optional("cgroupPath"),
                  namespacePaths: try o.optional("namespacePaths"), exit: try o.optional("exit"),
                  monitorStartTime: try o.optional("monitorStartTime"), rootfs: try o.optional("rootfs"))
    }

    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("ociVersion", ociVersion); o.add("id", id); o.add("status", status); o.add("pid", pid)
        o.add("bundle", bundle); o.add("annotations", annotations); o.add("pidStartTime", pidStartTime)
        o.add("monitorPid", monitorPid); o.add("monitorStartTime", monitorStartTime); o.add("rootfs", rootfs)
        o.add("createdAtNanos", createdAtNanos); o.add("cgroupPath", cgroupPath)
        o.add("namespacePaths", namespacePaths); o.add("exit", exit)
        return o.tree
    }

    /// state.json text; errors name the JSON path or byte offset.
    static func decode(json bytes: [UInt8]) throws -> ContainerState {
        try ContainerState(json: try JSONTree.parse(bytes), path: "")
    }
}

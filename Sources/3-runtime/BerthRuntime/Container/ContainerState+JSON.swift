import BerthInit
import BerthJSON

/// state.json and exit.json read and written without Codable: every `berth oci` command is a
/// fresh process, and the first JSONDecoder/JSONEncoder use in a process instantiates the Codable
/// metadata of every nested type (about a tenth of the CLI's CPU time per container, measured
/// with perf; Docs/performance.md). The text is what JSONEncoder writes with sorted keys, and
/// JSONDecoder reads it back identically (`StateFileCodingTests`).
extension ContainerStatus: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let text = try String(json: json, path: path)
        guard let status = ContainerStatus(rawValue: text) else { throw JSONShapeError(path, "unknown status \(text)") }
        self = status
    }

    public var jsonValue: JSONValue { .string(rawValue) }
}

extension ExitInfo: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(exitCode: try o.required("exitCode"), signal: try o.optional("signal"), oomKilled: try o.required("oomKilled"),
                  startedAtNanos: try o.optional("startedAtNanos"), finishedAtNanos: try o.required("finishedAtNanos"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("exitCode", exitCode); o.set("signal", signal); o.set("oomKilled", oomKilled)
        o.set("startedAtNanos", startedAtNanos); o.set("finishedAtNanos", finishedAtNanos)
        return o.value
    }

    /// exit.json as the monitor writes it.
    static func decode(json bytes: [UInt8]) throws -> ExitInfo {
        try read(json: bytes)
    }
}

extension ContainerState: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(ociVersion: try o.required("ociVersion"), id: try o.required("id"), status: try o.required("status"),
                  pid: try o.required("pid"), bundle: try o.required("bundle"), annotations: try o.optional("annotations"),
                  pidStartTime: try o.optional("pidStartTime"), monitorPid: try o.optional("monitorPid"),
                  createdAtNanos: try o.optional("createdAtNanos"), cgroupPath: try o.optional("cgroupPath"),
                  namespacePaths: try o.optional("namespacePaths"), exit: try o.optional("exit"),
                  monitorStartTime: try o.optional("monitorStartTime"), rootfs: try o.optional("rootfs"))
        cgroupCreated = try o.optional("cgroupCreated")
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("ociVersion", ociVersion); o.set("id", id); o.set("status", status); o.set("pid", pid)
        o.set("bundle", bundle); o.set("annotations", annotations); o.set("pidStartTime", pidStartTime)
        o.set("monitorPid", monitorPid); o.set("monitorStartTime", monitorStartTime); o.set("rootfs", rootfs)
        o.set("createdAtNanos", createdAtNanos); o.set("cgroupPath", cgroupPath)
        o.set("namespacePaths", namespacePaths); o.set("exit", exit)
        o.set("cgroupCreated", cgroupCreated)
        return o.value
    }

    /// state.json text; errors name the JSON path or byte offset.
    static func decode(json bytes: [UInt8]) throws -> ContainerState {
        try read(json: bytes)
    }
}

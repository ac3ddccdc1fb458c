import BerthJSON

/// `InitConfig` read and written with BerthJSON, not Codable: `berth-init` is a fresh process per
/// container, and the first JSONDecoder use in a process instantiates the Codable metadata of every nested type,
/// which was a large share of init's time before it joined the cgroup (Docs/performance.md).
/// Reads exactly what `JSONEncoder` writes for `InitConfig` (the runtime writes init.json).
extension InitConfig: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        let modeText: String = try o.required("mode")
        guard let mode = Mode(rawValue: modeText) else { throw JSONShapeError(path / "mode", "unknown mode \(modeText)") }
        self.init(mode: mode, id: try o.required("id"), spec: try o.required("spec"), bundle: try o.required("bundle"),
                  execFifo: try o.optional("execFifo"),
                  targetPid: try o.optional("targetPid"), targetStartTime: try o.optional("targetStartTime"),
                  explain: try o.required("explain"), seccomp: try o.optional("seccomp"))
        hooksFifo = try o.optional("hooksFifo")
    }

    /// Decodes init.json text; errors name the JSON path (`spec.process.args[0]`) or line and column.
    public static func decode(json bytes: [UInt8]) throws -> InitConfig { try read(json: bytes) }
}

extension InitConfig: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("mode", mode.rawValue); o.set("id", id); o.set("spec", spec); o.set("bundle", bundle)
        o.set("execFifo", execFifo); o.set("targetPid", targetPid)
        o.set("targetStartTime", targetStartTime); o.set("explain", explain)
        o.set("seccomp", seccomp)
        o.set("hooksFifo", hooksFifo)
        return o.value
    }

    /// init.json text as the runtime writes it (compact, keys sorted), without JSONEncoder.
    public func encodedJSON() -> [UInt8] { jsonValue.serializedBytes(sortedKeys: true) }
}

extension InitConfig.SeccompProgram: JSONRecord {
    public static let blank = InitConfig.SeccompProgram(path: "", flags: 0)
    public static let members: [JSONMember<InitConfig.SeccompProgram>] = [
        .required("path", { $1(&$0.path) }), .required("flags", { $1(&$0.flags) }),
    ]
}

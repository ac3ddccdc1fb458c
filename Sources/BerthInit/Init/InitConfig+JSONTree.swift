/// `InitConfig` read without Codable: `berth-init` is a fresh process per container, and the
/// first JSONDecoder use in a process instantiates the Codable metadata of every nested type,
/// which was a large share of init's time before it joined the cgroup (Docs/performance.md).
/// Reads exactly what `JSONEncoder` writes for `InitConfig` (the runtime writes init.json).
extension InitConfig: JSONTreeDecodable {
    public init(json: JSONTree, path: String) throws {
        let o = try JSONObjectReader(json, path: path)
        let modeText: String = try o.required("mode")
        guard let mode = Mode(rawValue: modeText) else { throw JSONTree.Failure("\(o.child("mode")): unknown mode \(modeText)") }
        self.init(mode: mode, id: try o.required("id"), spec: try o.required("spec"), bundle: try o.required("bundle"),
                  execFifo: try o.optional("execFifo"),
                  targetPid: try o.optional("targetPid"), targetStartTime: try o.optional("targetStartTime"),
                  explain: try o.required("explain"))
    }

    /// Decodes init.json text; errors name the JSON path (`spec.process.args[0]`) or byte offset.
    public static func decode(json bytes: [UInt8]) throws -> InitConfig {
        try InitConfig(json: try JSONTree.parse(bytes), path: "")
    }
}

extension InitConfig: JSONTreeEncodable {
    public var jsonTree: JSONTree {
        var o = JSONObjectBuilder()
        o.add("mode", mode.rawValue); o.add("id", id); o.add("spec", spec); o.add("bundle", bundle)
        o.add("execFifo", execFifo); o.add("targetPid", targetPid)
        o.add("targetStartTime", targetStartTime); o.add("explain", explain)
        return o.tree
    }

    /// init.json text as the runtime writes it (compact, keys sorted), without JSONEncoder.
    public func encodedJSON() -> [UInt8] { jsonTree.serialized() }
}

import BerthJSON

// The store's files (index.json, config blobs) with the keys JSONEncoder wrote for them before,
// so a store written by an earlier Berth reads the same (`StoreCompatibilityTests`). Members in
// the order they are written.

extension ImageConfig: JSONRecord {
    public static let blank = ImageConfig()
    public static let members: [JSONMember<ImageConfig>] = [
        .optional("Env", { $1(&$0.Env) }), .optional("Entrypoint", { $1(&$0.Entrypoint) }), .optional("Cmd", { $1(&$0.Cmd) }),
        .optional("WorkingDir", { $1(&$0.WorkingDir) }), .optional("User", { $1(&$0.User) }),
        .optional("StopSignal", { $1(&$0.StopSignal) }), .optional("Labels", { $1(&$0.Labels) }),
    ]
}

extension ImageConfigFile.RootFS: JSONRecord {
    public static let blank = ImageConfigFile.RootFS(type: "", diff_ids: [])
    public static let members: [JSONMember<ImageConfigFile.RootFS>] = [
        .required("type", { $1(&$0.type) }), .required("diff_ids", { $1(&$0.diff_ids) }),
    ]
}

extension ImageConfigFile: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        // A registry's config may leave out `created` and `config` (an image with no settings).
        self.init(created: try o.optional("created") ?? "", architecture: try o.required("architecture"), os: try o.required("os"),
                  config: try o.optional("config") ?? ImageConfig(), rootfs: try o.required("rootfs"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("created", created); o.set("architecture", architecture); o.set("os", os)
        o.set("config", config); o.set("rootfs", rootfs)
        return o.value
    }
}

extension ImageRecord: JSONRecord {
    public static let blank = ImageRecord(name: "", tag: "", id: "", layers: [], size: 0, created: "")
    public static let members: [JSONMember<ImageRecord>] = [
        .required("name", { $1(&$0.name) }), .required("tag", { $1(&$0.tag) }), .required("id", { $1(&$0.id) }),
        .required("layers", { $1(&$0.layers) }), .required("size", { $1(&$0.size) }), .required("created", { $1(&$0.created) }),
        .optional("digest", { $1(&$0.digest) }),
    ]
}

extension StoreIndex: JSONRecord {
    static let blank = StoreIndex()
    static let members: [JSONMember<StoreIndex>] = [
        .required("schemaVersion", { $1(&$0.schemaVersion) }), .required("images", { $1(&$0.images) }),
    ]
}

import BerthJSON

// The store's files (index.json, config blobs) with the keys JSONEncoder wrote for them before,
// so a store written by an earlier Berth reads the same (`StoreCompatibilityTests`). Members in
// the order they are written.

extension ImageConfig: JSONRecord {
    public static let blank = ImageConfig()
    public static let members: [JSONMember<ImageConfig>] = [
        .optional("Env", \.Env), .optional("Entrypoint", \.Entrypoint), .optional("Cmd", \.Cmd),
        .optional("WorkingDir", \.WorkingDir), .optional("User", \.User), .optional("StopSignal", \.StopSignal),
        .optional("Labels", \.Labels),
    ]
}

extension ImageConfigFile.RootFS: JSONRecord {
    public static let blank = ImageConfigFile.RootFS(type: "", diff_ids: [])
    public static let members: [JSONMember<ImageConfigFile.RootFS>] = [
        .required("type", \.type), .required("diff_ids", \.diff_ids),
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
        .required("name", \.name), .required("tag", \.tag), .required("id", \.id), .required("layers", \.layers),
        .required("size", \.size), .required("created", \.created), .optional("digest", \.digest),
    ]
}

extension StoreIndex: JSONRecord {
    static let blank = StoreIndex()
    static let members: [JSONMember<StoreIndex>] = [
        .required("schemaVersion", \.schemaVersion), .required("images", \.images),
    ]
}

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

extension ImageConfigFile: JSONRecord {
    public static let blank = ImageConfigFile(created: "", architecture: "", os: "", config: .blank, rootfs: .blank)
    public static let members: [JSONMember<ImageConfigFile>] = [
        .required("created", \.created), .required("architecture", \.architecture), .required("os", \.os),
        .required("config", \.config), .required("rootfs", \.rootfs),
    ]
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

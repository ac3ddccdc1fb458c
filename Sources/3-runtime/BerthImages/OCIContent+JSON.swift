import BerthJSON

// OCI documents read and written with BerthJSON; keys as in the image-spec, members in the order
// they are written.

extension Platform: JSONRecord {
    public static let blank = Platform(os: "", architecture: "")
    public static let members: [JSONMember<Platform>] = [
        .required("architecture", \.architecture), .required("os", \.os), .optional("os.version", \.osVersion),
        .optional("os.features", \.osFeatures), .optional("variant", \.variant),
    ]
}

extension Descriptor: JSONRecord {
    public static let blank = Descriptor(digest: "")
    public static let members: [JSONMember<Descriptor>] = [
        .optional("mediaType", \.mediaType), .required("digest", \.digest), .optional("size", \.size), .optional("urls", \.urls),
        .optional("annotations", \.annotations), .optional("platform", \.platform),
    ]
}

extension ImageIndex: JSONRecord {
    public static let blank = ImageIndex(manifests: [])
    public static let members: [JSONMember<ImageIndex>] = [
        .optional("schemaVersion", \.schemaVersion), .optional("mediaType", \.mediaType), .required("manifests", \.manifests),
        .optional("annotations", \.annotations),
    ]
}

extension ImageManifest: JSONRecord {
    public static let blank = ImageManifest(config: .blank, layers: [])
    public static let members: [JSONMember<ImageManifest>] = [
        .optional("schemaVersion", \.schemaVersion), .optional("mediaType", \.mediaType), .required("config", \.config),
        .required("layers", \.layers), .optional("annotations", \.annotations),
    ]
}

extension OCIImageConfig: JSONReadable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        var diffIDs: [String]?
        if let rootfs = o.raw("rootfs") {
            diffIDs = try JSONObjectReader(rootfs, path: path / "rootfs").optional("diff_ids")
        }
        self.init(architecture: try o.optional("architecture"), os: try o.optional("os"), variant: try o.optional("variant"),
                  created: try o.optional("created"), config: try o.optional("config"), diffIDs: diffIDs)
    }
}

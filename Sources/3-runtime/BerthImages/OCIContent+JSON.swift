import BerthJSON

// OCI documents read and written with BerthJSON; keys as in the image-spec, members in the order
// they are written.

extension Platform: JSONRecord {
    public static let blank = Platform(os: "", architecture: "")
    public static let members: [JSONMember<Platform>] = [
        .required("architecture", { $1(&$0.architecture) }), .required("os", { $1(&$0.os) }),
        .optional("os.version", { $1(&$0.osVersion) }), .optional("os.features", { $1(&$0.osFeatures) }),
        .optional("variant", { $1(&$0.variant) }),
    ]
}

extension Descriptor: JSONRecord {
    public static let blank = Descriptor(digest: "")
    public static let members: [JSONMember<Descriptor>] = [
        .optional("mediaType", { $1(&$0.mediaType) }), .required("digest", { $1(&$0.digest) }),
        .optional("size", { $1(&$0.size) }), .optional("urls", { $1(&$0.urls) }),
        .optional("annotations", { $1(&$0.annotations) }), .optional("platform", { $1(&$0.platform) }),
    ]
}

extension ImageIndex: JSONRecord {
    public static let blank = ImageIndex(manifests: [])
    public static let members: [JSONMember<ImageIndex>] = [
        .optional("schemaVersion", { $1(&$0.schemaVersion) }), .optional("mediaType", { $1(&$0.mediaType) }),
        .required("manifests", { $1(&$0.manifests) }), .optional("annotations", { $1(&$0.annotations) }),
    ]
}

extension ImageManifest: JSONRecord {
    public static let blank = ImageManifest(config: .blank, layers: [])
    public static let members: [JSONMember<ImageManifest>] = [
        .optional("schemaVersion", { $1(&$0.schemaVersion) }), .optional("mediaType", { $1(&$0.mediaType) }),
        .required("config", { $1(&$0.config) }), .required("layers", { $1(&$0.layers) }),
        .optional("annotations", { $1(&$0.annotations) }),
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

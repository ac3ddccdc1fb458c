import BerthJSON

// OCI documents read and written with BerthJSON; keys as in the image-spec.

extension Platform: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(os: try o.required("os"), architecture: try o.required("architecture"), variant: try o.optional("variant"),
                  osVersion: try o.optional("os.version"), osFeatures: try o.optional("os.features"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("architecture", architecture); o.set("os", os); o.set("os.version", osVersion)
        o.set("os.features", osFeatures); o.set("variant", variant)
        return o.value
    }
}

extension Descriptor: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(mediaType: try o.optional("mediaType"), digest: try o.required("digest"), size: try o.optional("size"),
                  urls: try o.optional("urls"), annotations: try o.optional("annotations"), platform: try o.optional("platform"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("mediaType", mediaType); o.set("digest", digest); o.set("size", size); o.set("urls", urls)
        o.set("annotations", annotations); o.set("platform", platform)
        return o.value
    }
}

extension ImageIndex: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(schemaVersion: try o.optional("schemaVersion"), mediaType: try o.optional("mediaType"),
                  manifests: try o.required("manifests"), annotations: try o.optional("annotations"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("schemaVersion", schemaVersion); o.set("mediaType", mediaType); o.set("manifests", manifests)
        o.set("annotations", annotations)
        return o.value
    }
}

extension ImageManifest: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(schemaVersion: try o.optional("schemaVersion"), mediaType: try o.optional("mediaType"),
                  config: try o.required("config"), layers: try o.required("layers"), annotations: try o.optional("annotations"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("schemaVersion", schemaVersion); o.set("mediaType", mediaType); o.set("config", config)
        o.set("layers", layers); o.set("annotations", annotations)
        return o.value
    }
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

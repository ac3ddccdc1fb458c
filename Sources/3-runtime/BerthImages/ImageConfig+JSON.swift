import BerthJSON

// The store's files (index.json, config blobs) with the keys JSONEncoder wrote for them before,
// so a store written by an earlier Berth reads the same (`StoreCompatibilityTests`).

extension ImageConfig: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(Env: try o.optional("Env"), Entrypoint: try o.optional("Entrypoint"), Cmd: try o.optional("Cmd"),
                  WorkingDir: try o.optional("WorkingDir"), User: try o.optional("User"), StopSignal: try o.optional("StopSignal"),
                  Labels: try o.optional("Labels"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("Env", Env); o.set("Entrypoint", Entrypoint); o.set("Cmd", Cmd); o.set("WorkingDir", WorkingDir)
        o.set("User", User); o.set("StopSignal", StopSignal); o.set("Labels", Labels)
        return o.value
    }
}

extension ImageConfigFile.RootFS: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(type: try o.required("type"), diff_ids: try o.required("diff_ids"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("type", type); o.set("diff_ids", diff_ids)
        return o.value
    }
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

extension ImageRecord: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(name: try o.required("name"), tag: try o.required("tag"), id: try o.required("id"),
                  layers: try o.required("layers"), size: try o.required("size"), created: try o.required("created"),
                  digest: try o.optional("digest"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("name", name); o.set("tag", tag); o.set("id", id); o.set("layers", layers)
        o.set("size", size); o.set("created", created); o.set("digest", digest)
        return o.value
    }
}

extension StoreIndex: JSONReadable, JSONEncodable {
    init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(schemaVersion: try o.required("schemaVersion"), images: try o.required("images"))
    }

    var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("schemaVersion", schemaVersion); o.set("images", images)
        return o.value
    }
}

/// The process defaults of an image, as in the OCI image config's `config` object.
public struct ImageConfig: Sendable, Equatable {
    public var Env: [String]?
    public var Entrypoint: [String]?
    public var Cmd: [String]?
    public var WorkingDir: String?
    public var User: String?
    public var StopSignal: String?
    public var Labels: [String: String]?

    public init(Env: [String]? = nil, Entrypoint: [String]? = nil, Cmd: [String]? = nil, WorkingDir: String? = nil,
                User: String? = nil, StopSignal: String? = nil, Labels: [String: String]? = nil) {
        self.Env = Env
        self.Entrypoint = Entrypoint
        self.Cmd = Cmd
        self.WorkingDir = WorkingDir
        self.User = User
        self.StopSignal = StopSignal
        self.Labels = Labels
    }

    /// These settings where given, the image's otherwise (import flags over an OCI config).
    public func merged(over base: ImageConfig) -> ImageConfig {
        var m = base
        if let Env, Env != [ImageConfig.defaultPath] { m.Env = (base.Env ?? []) + Env.filter { !$0.hasPrefix("PATH=") || base.Env == nil } }
        if let Entrypoint { m.Entrypoint = Entrypoint }
        if let Cmd { m.Cmd = Cmd }
        if let WorkingDir { m.WorkingDir = WorkingDir }
        if let User { m.User = User }
        if let StopSignal { m.StopSignal = StopSignal }
        if let Labels { m.Labels = (base.Labels ?? [:]).merging(Labels) { $1 } }
        return m
    }

    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

/// An OCI image configuration blob (application/vnd.oci.image.config.v1+json subset).
public struct ImageConfigFile: Sendable, Equatable {
    public struct RootFS: Sendable, Equatable {
        public var type: String
        public var diff_ids: [String]
    }
    public var created: String
    public var architecture: String
    public var os: String
    public var config: ImageConfig
    public var rootfs: RootFS
}

/// One name:tag in the store's index.
public struct ImageRecord: Sendable, Equatable {
    public var name: String
    public var tag: String
    /// `sha256:<hex>` of the config blob (as Docker's image id).
    public var id: String
    /// Layer digests, bottom first; each is unpacked under `layers/<hex>`.
    public var layers: [String]
    public var size: Int64
    public var created: String
    /// `sha256:<hex>` of the manifest this image came from (a registry pull or an archive), as
    /// ECS reports a container's `imageDigest`; nil for an image built here from a root filesystem.
    public var digest: String?

    public init(name: String, tag: String, id: String, layers: [String], size: Int64, created: String, digest: String? = nil) {
        self.name = name; self.tag = tag; self.id = id; self.layers = layers
        self.size = size; self.created = created; self.digest = digest
    }

    public var reference: ImageReference { ImageReference(name: name, tag: tag) }
}

/// The store's index.json.
struct StoreIndex {
    var schemaVersion = 1
    var images: [ImageRecord] = []
}

import BerthJSON

/// The OCI image content model (image-spec descriptors, indexes, manifests) shared by OCI layouts,
/// image archives and a registry client. Docker schema 2 documents have the same shape under other
/// media types. Unknown members are ignored, as the spec requires.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd"

    /// What a registry is asked for when fetching a manifest by tag or digest.
    public static let manifestAccept = [ociIndex, ociManifest, dockerManifestList, dockerManifest]

    public static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }

    public enum Compression: Sendable, Equatable { case none, gzip, zstd }

    /// The compression of a layer media type (including the deprecated nondistributable and
    /// foreign forms); nil if it is not a layer type. A missing media type is a plain or gzip tar.
    public static func layerCompression(_ type: String) -> Compression? {
        let oci = "application/vnd.oci.image.layer."
        let docker = ["application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.foreign.diff.tar"]
        if type.hasPrefix(oci) {
            if type.hasSuffix(".tar") { return Compression.none }
            if type.hasSuffix(".tar+gzip") { return .gzip }
            if type.hasSuffix(".tar+zstd") { return .zstd }
        }
        for base in docker {
            if type == base { return Compression.none }
            if type == base + ".gzip" { return .gzip }
            if type == base + ".zstd" { return .zstd }
        }
        return nil
    }
}

/// `sha256:<64 lowercase hex>`, the only digest algorithm Berth stores.
public enum Digest {
    /// The hex part of a well-formed sha256 digest, nil otherwise.
    public static func sha256Hex(_ digest: String) -> String? {
        guard digest.hasPrefix("sha256:") else { return nil }
        let hex = digest.dropFirst(7)
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return String(hex)
    }
}

/// os/architecture[/variant] of an image or of this host, as Go names them (amd64, arm64/v8).
public struct Platform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil, osFeatures: [String]? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    /// `linux/arm64/v8`, `linux/amd64`.
    public init(parsing text: String) throws(ImageError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw ImageError("invalid platform \(text.debugDescription): expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// The machine Berth was built for.
    public static var host: Platform {
        #if arch(x86_64)
        Platform(os: "linux", architecture: "amd64")
        #elseif arch(arm64)
        Platform(os: "linux", architecture: "arm64", variant: "v8")
        #elseif arch(arm)
        Platform(os: "linux", architecture: "arm", variant: "v7")
        #elseif arch(i386)
        Platform(os: "linux", architecture: "386")
        #elseif arch(powerpc64le)
        Platform(os: "linux", architecture: "ppc64le")
        #elseif arch(s390x)
        Platform(os: "linux", architecture: "s390x")
        #else
        Platform(os: "linux", architecture: "riscv64")
        #endif
    }

    /// True if an image for `self` runs where `wanted` is asked for: same os and architecture, and
    /// the same variant when both name one (arm64 without a variant is v8).
    public func matches(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        let mine = normalizedVariant, theirs = wanted.normalizedVariant
        return mine == nil || theirs == nil || mine == theirs
    }

    var normalizedVariant: String? { architecture == "arm64" ? (variant ?? "v8") : variant }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}

/// A reference to content: its media type, digest and size.
public struct Descriptor: Sendable, Equatable {
    public var mediaType: String?
    public var digest: String
    public var size: Int64?
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String? = nil, digest: String, size: Int64? = nil, urls: [String]? = nil,
                annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.platform = platform
    }

    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public var refName: String? { annotations?[Self.refNameAnnotation] }
}

/// An image index (OCI) or manifest list (Docker).
public struct ImageIndex: Sendable, Equatable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int? = 2, mediaType: String? = nil, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The entry for `platform`: a manifest (or nested index) whose platform matches, the one
    /// naming the exact variant first; entries of unknown media types are ignored.
    public func select(_ platform: Platform) -> Descriptor? {
        let candidates = manifests.filter { d in
            (d.mediaType == nil || MediaType.isManifest(d.mediaType) || MediaType.isIndex(d.mediaType))
                && d.platform.map { $0.matches(platform) } == true
        }
        return candidates.first { $0.platform?.normalizedVariant == platform.normalizedVariant } ?? candidates.first
    }
}

/// An image manifest (OCI, or Docker schema 2): one config and the layers, bottom first.
public struct ImageManifest: Sendable, Equatable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int? = 2, mediaType: String? = nil, config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// The parts of an image's config blob Berth uses (OCI image config, or Docker's, which is the same).
public struct OCIImageConfig: Sendable, Equatable {
    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var created: String?
    public var config: ImageConfig?
    /// `rootfs.diff_ids`: digests of the uncompressed layers, bottom first.
    public var diffIDs: [String]?

    public init(architecture: String? = nil, os: String? = nil, variant: String? = nil, created: String? = nil,
                config: ImageConfig? = nil, diffIDs: [String]? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.created = created
        self.config = config
        self.diffIDs = diffIDs
    }

    public var platform: Platform? {
        guard let os, let architecture else { return nil }
        return Platform(os: os, architecture: architecture, variant: variant)
    }
}

import BerthJSON
import BerthSys

/// One image found in an OCI layout or an image archive, before it is imported.
struct ArchiveImage {
    /// References the archive gives it: docker-archive RepoTags; an OCI layout's
    /// `org.opencontainers.image.ref.name` (a full reference or only a tag) and containerd's image name.
    var names: [String]
    var config: OCIImageConfig
    var layers: [ArchiveLayer]

    /// The names that are whole references (an OCI ref name may be only a tag).
    var references: [ImageReference] {
        names.filter { $0.contains(":") || $0.contains("/") }.compactMap { try? ImageReference(parsing: $0) }
    }

    /// True if `ref` is one of its names, or its tag is the OCI ref name of the image.
    func isNamed(_ ref: ImageReference) -> Bool {
        references.contains { $0.name == ref.name && $0.tag == ref.tag } || names.contains(ref.tag)
    }
}

/// A layer blob in an archive and the digests it must have: `digest` of the blob as stored (when
/// the archive names it by digest) and `diffID` of the uncompressed tar (from the image config).
struct ArchiveLayer {
    var path: String
    var mediaType: String?
    var digest: String?
    var diffID: String?
    /// The blob's size as its descriptor declares it (OCI layouts); nil when the archive names none.
    var size: Int64? = nil
    /// The blob was verified against `digest` already (a pull, while downloading): not hashed again.
    var digestVerified = false
}

/// What a source that is not a directory tree turns out to be, from its content.
enum ImageSourceKind {
    case rootfs, ociLayout, dockerArchive

    /// Top-level names that make a tar an image archive rather than a root filesystem.
    static let archiveMarkers: Set<String> = ["manifest.json", "index.json", "oci-layout"]

    /// docker-archive when it has manifest.json (also the newer docker save, an OCI layout with
    /// one), an OCI layout when it has oci-layout and index.json; a tar with one of the marker
    /// files but neither shape is refused rather than imported as a root filesystem.
    static func detect(_ files: ImageFiles, topLevel: Set<String>) throws -> ImageSourceKind {
        if files.contains("manifest.json") { return .dockerArchive }
        if OCILayout.isLayout(files) { return .ociLayout }
        let found = topLevel.intersection(archiveMarkers).sorted()
        guard found.isEmpty else {
            throw ImageError("\(files.name) looks like an image archive (it has \(found.joined(separator: ", "))) but is neither a docker-archive (manifest.json) nor an oci-archive (oci-layout and index.json); refusing to import it as a root filesystem")
        }
        return .rootfs
    }
}

/// A `docker save` / `podman save` archive: manifest.json lists each image's config file, its
/// RepoTags and its layer tars (`<id>/layer.tar`, or `blobs/sha256/<hex>` since Docker 25).
struct DockerArchive {
    let files: ImageFiles

    struct Entry: JSONReadable {
        var config: String
        var repoTags: [String]
        var layers: [String]

        init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
            let o = try JSONObjectReader(json, path: path)
            config = try o.required("Config")
            repoTags = try o.optional("RepoTags") ?? []
            layers = try o.required("Layers")
        }
    }

    func images() throws -> [ArchiveImage] {
        let entries = try files.json([Entry].self, "manifest.json", problem: "not a docker-archive manifest")
        return try entries.map(image)
    }

    /// The config file is named by its sha256 (`<hex>.json` or `blobs/sha256/<hex>`) and checked
    /// against it; each layer is checked against the config's diff_ids (and its own name when that is a digest).
    func image(_ entry: Entry) throws -> ArchiveImage {
        let base = entry.config.split(separator: "/").last.map(String.init) ?? ""
        guard let digest = Self.digestName(base.hasSuffix(".json") ? String(base.dropLast(5)) : base) else {
            throw ImageError("\(files.name): config \(entry.config.debugDescription) is not named by its sha256 digest")
        }
        let bytes = try files.readBytes(entry.config)
        guard "sha256:" + SHA256.hex(bytes) == digest else {
            throw ImageError("\(files.name): \(entry.config): content does not match its digest \(digest) (corrupt config)")
        }
        let config = try OCIImageConfig.read(json: bytes, file: "\(files.name): \(entry.config)", problem: "not a valid image config")
        guard let diffIDs = config.diffIDs, diffIDs.count == entry.layers.count else {
            throw ImageError("\(files.name): \(entry.config): rootfs.diff_ids lists \(config.diffIDs?.count ?? 0) layers, manifest.json \(entry.layers.count)")
        }
        let layers = entry.layers.enumerated().map { i, path in
            let name = path.hasPrefix("blobs/sha256/") ? Self.digestName(String(path.dropFirst(13))) : nil
            return ArchiveLayer(path: path, mediaType: nil, digest: name, diffID: diffIDs[i])
        }
        return ArchiveImage(names: entry.repoTags, config: config, layers: layers)
    }

    static func digestName(_ hex: String) -> String? { Digest.sha256Hex("sha256:" + hex).map { "sha256:" + $0 } }
}

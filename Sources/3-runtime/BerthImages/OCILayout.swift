import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/...`), as written by
/// `skopeo copy ... oci:DIR:TAG` or `umoci`. Berth imports one manifest of it: its layers (tar or
/// tar+gzip, with OCI whiteouts turned into overlayfs whiteouts) and its config's process defaults.
struct OCILayout {
    let dir: String

    static func isLayout(_ dir: String) -> Bool {
        Files.exists(dir + "/oci-layout") && Files.exists(dir + "/index.json")
    }

    /// blobs/sha256/<hex>, refusing anything but a well-formed sha256 digest.
    func blobPath(_ digest: String) throws -> String {
        guard let hex = Digest.sha256Hex(digest) else {
            throw ImageError("\(dir): unsupported or malformed digest \(digest.debugDescription)")
        }
        return "\(dir)/blobs/sha256/\(hex)"
    }

    func json<T: JSONReadable>(_ type: T.Type, _ path: String) throws -> T {
        try T.read(json: try Files.readBytes(path), file: path, problem: "not a valid OCI document")
    }

    /// The blob `desc` names, parsed after its content is checked against the digest.
    func document<T: JSONReadable>(_ type: T.Type, _ desc: Descriptor) throws -> T {
        let path = try blobPath(desc.digest)
        let bytes = try Files.readBytes(path)
        guard "sha256:" + SHA256.hex(bytes) == desc.digest else {
            throw ImageError("\(path): content does not match its digest \(desc.digest) (corrupt blob)")
        }
        return try T.read(json: bytes, file: path, problem: "not a valid OCI document")
    }

    /// The manifest tagged `tag` (annotation org.opencontainers.image.ref.name), or the only one;
    /// image indexes are followed to this host's platform entry.
    func manifest(tag: String) throws -> ImageManifest {
        let index = try json(ImageIndex.self, dir + "/index.json")
        let desc = index.manifests.first { $0.refName == tag } ?? (index.manifests.count == 1 ? index.manifests[0] : nil)
        guard let d = desc else {
            let tags = index.manifests.compactMap(\.refName)
            throw ImageError("\(dir): no manifest tagged \(tag.debugDescription) (tags: \(tags.joined(separator: ", ")))")
        }
        return try manifest(d)
    }

    /// The manifest `desc` names, following image indexes to this host's platform entry.
    func manifest(_ desc: Descriptor, platform: Platform = .host) throws -> ImageManifest {
        var d = desc
        for _ in 0..<4 where MediaType.isIndex(d.mediaType) {
            let index = try document(ImageIndex.self, d)
            guard let next = index.select(platform) else { throw ImageError("\(dir): the image index has no \(platform) manifest") }
            d = next
        }
        return try document(ImageManifest.self, d)
    }

    func config(_ manifest: ImageManifest) throws -> ImageConfig {
        try document(OCIImageConfig.self, manifest.config).config ?? ImageConfig()
    }
}

/// Hashes everything read through it.
final class HashingSource: ByteSource {
    let inner: ByteSource
    var hash = SHA256()
    init(_ inner: ByteSource) { self.inner = inner }
    func read(_ n: Int) throws -> [UInt8] {
        let bytes = try inner.read(n)
        hash.update(bytes)
        return bytes
    }
}

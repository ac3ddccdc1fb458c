import BerthSys
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/...`), as written by
/// `skopeo copy ... oci:DIR:TAG` or `umoci`. Berth imports one manifest of it: its layers (tar or
/// tar+gzip, with OCI whiteouts turned into overlayfs whiteouts) and its config's process defaults.
struct OCILayout {
    let dir: String

    struct Descriptor: Codable {
        var mediaType: String?
        var digest: String
        var size: Int64?
        var annotations: [String: String]?
        var platform: Platform?
    }
    struct Platform: Codable {
        var architecture: String?
        var os: String?
    }
    struct Index: Codable { var manifests: [Descriptor] }
    struct Manifest: Codable {
        var config: Descriptor
        var layers: [Descriptor]
    }
    struct ConfigFile: Codable { var config: ImageConfig? }

    static func isLayout(_ dir: String) -> Bool {
        Files.exists(dir + "/oci-layout") && Files.exists(dir + "/index.json")
    }

    /// blobs/sha256/<hex>, refusing anything but a well-formed sha256 digest.
    func blobPath(_ digest: String) throws -> String {
        let hex = digest.hasPrefix("sha256:") ? digest.dropFirst(7) : ""
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw ImageError("\(dir): unsupported or malformed digest \(digest.debugDescription)")
        }
        return "\(dir)/blobs/sha256/\(hex)"
    }

    func json<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(try Files.readBytes(path))) } catch let e as SysError {
            throw e
        } catch {
            throw ImageError("\(path): not a valid OCI document: \(error)")
        }
    }

    /// The manifest tagged `tag` (annotation org.opencontainers.image.ref.name), or the only one;
    /// image indexes are followed to their linux/amd64 entry.
    func manifest(tag: String) throws -> Manifest {
        var index = try json(Index.self, dir + "/index.json")
        var desc = index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == tag }
            ?? (index.manifests.count == 1 ? index.manifests[0] : nil)
        guard var d = desc else {
            let tags = index.manifests.compactMap { $0.annotations?["org.opencontainers.image.ref.name"] }
            throw ImageError("\(dir): no manifest tagged \(tag.debugDescription) (tags: \(tags.joined(separator: ", ")))")
        }
        for _ in 0..<4 where d.mediaType?.contains("image.index") == true || d.mediaType?.contains("manifest.list") == true {
            index = try json(Index.self, try blobPath(d.digest))
            desc = index.manifests.first { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }
            guard let next = desc else { throw ImageError("\(dir): the image index has no linux/amd64 manifest") }
            d = next
        }
        return try json(Manifest.self, try blobPath(d.digest))
    }

    func config(_ manifest: Manifest) throws -> ImageConfig {
        try json(ConfigFile.self, try blobPath(manifest.config.digest)).config ?? ImageConfig()
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

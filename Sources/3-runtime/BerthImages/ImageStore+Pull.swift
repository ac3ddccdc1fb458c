import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Committing a registry pull: layers downloaded and verified outside the lock are unpacked and
/// the image is listed under it. `diffids/<hex>` remembers which unpacked layer an uncompressed
/// layer digest (a config's diff_id) became, so a later pull skips layers the store has.
extension ImageStore {
    var diffIDDirectory: String { root + "/diffids" }

    /// The unpacked layer (digest and size) the store has for a diff_id, if it is still there.
    func presentLayer(diffID: String) -> (digest: String, size: Int64)? {
        guard let text = try? Files.read(diffIDDirectory + "/" + diffID.hexPart) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let size = Int64(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)),
              Files.isDirectory(layerPath(String(parts[0]))) else { return nil }
        return (String(parts[0]), size)
    }

    func rememberLayer(diffID: String, _ layer: (digest: String, size: Int64)) throws {
        try Files.makeDirectories(diffIDDirectory)
        try Files.writeAtomically(diffIDDirectory + "/" + diffID.hexPart, Array("\(layer.digest) \(layer.size)\n".utf8))
    }

    /// Under the store lock: unpack each downloaded layer (checked against its blob digest and
    /// diff_id while unpacking), reuse the ones already present, and list the image with the
    /// registry's config blob and the manifest digest. On failure nothing new stays in the store.
    func commitPull(_ ref: ImageReference, layers: [PulledLayer], config: OCIImageConfig, configBytes: [UInt8], configDigest: String,
                    manifestDigest: String, limits: ImportLimits, progress: @Sendable (PullProgress) -> Void) throws -> ImageRecord {
        try withLock {
            let budget = try ImportBudget(limits: limits, store: root)
            do {
                var digests: [String] = [], size: Int64 = 0
                for layer in layers {
                    let done: (digest: String, size: Int64)
                    if let file = layer.file {
                        progress(PullProgress(digest: layer.descriptor.digest, phase: .extracting, totalBytes: layer.descriptor.size))
                        let dir = String(file[..<file.lastIndex(of: "/")!]), base = String(file[file.index(after: file.lastIndex(of: "/")!)...])
                        let archived = ArchiveLayer(path: base, mediaType: layer.descriptor.mediaType, digest: layer.descriptor.digest, diffID: layer.diffID)
                        done = try importLayer(budget) { writer in try Self.unpackLayer(DirectoryFiles(dir), archived, writer) }
                        try rememberLayer(diffID: layer.diffID, done)
                    } else {
                        guard let present = presentLayer(diffID: layer.diffID) else {
                            throw PullError(.other, "layer \(layer.descriptor.digest) was removed from the store during the pull; pull again")
                        }
                        done = present
                    }
                    digests.append(done.digest)
                    size += done.size
                }
                let image = Imported(ref: ref, layers: digests, size: size, config: config.config ?? ImageConfig(), platform: config.platform,
                                     digest: manifestDigest, configBytes: configBytes)
                return try commit([image])[0]
            } catch {
                try? collectGarbage(try readIndex())
                throw error
            }
        }
    }
}

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

    /// Unpack a downloaded, verified layer blob into `file`.layer (outside the store's lock, in the
    /// pull's directory, which the store's garbage collection does not touch), through the same
    /// unpacker as an import: safe paths, whiteouts, the diff_id checked while unpacking, the
    /// free-space reserve kept. The layer is named by its diff_id (layers imported without one
    /// keep their canonical tree digest; a store's older pulls, named that way too, still read
    /// through `diffids/`).
    func unpackPulled(_ file: String, _ layer: Descriptor, diffID: String, limits: ImportLimits, context: String) throws(PullError) -> UnpackedLayer {
        let dir = file + ".layer"
        let slash = file.lastIndex(of: "/")!
        // The blob was verified while it downloaded: only the diff_id is computed here.
        let archived = ArchiveLayer(path: String(file[file.index(after: slash)...]), mediaType: layer.mediaType, digest: layer.digest, diffID: diffID,
                                    size: layer.size, digestVerified: true)
        do {
            let writer = try LayerWriter(root: dir, budget: try ImportBudget(limits: limits, store: root), canonicalDigest: false)
            try Self.unpackLayer(DirectoryFiles(String(file[..<slash])), archived, writer)
            try Sys.call("chmod", detail: dir) { chmod(dir, 0o755) }
            return UnpackedLayer(dir: dir, digest: diffID, size: writer.size)
        } catch {
            try? Files.removeTree(dir)
            if let e = error as? ImageError {
                throw PullError(e.message.contains("does not match") ? .digestMismatch : .badLayer, "\(context): \(e.message)")
            }
            throw PullError(.other, "\(context): layer \(layer.digest): \(error)")
        }
    }

    /// Under the store lock: move each unpacked layer into `layers/` (or drop it if the store has
    /// it), reuse the ones already present, and list the image with the registry's config blob and
    /// the manifest digest. On failure nothing new stays listed.
    func commitPull(_ ref: ImageReference, layers: [PulledLayer], config: OCIImageConfig, configBytes: [UInt8],
                    manifestDigest: String) throws -> ImageRecord {
        try withLock {
            do {
                try Files.makeDirectories(root + "/layers")
                var digests: [String] = [], size: Int64 = 0
                for layer in layers {
                    let done: (digest: String, size: Int64)
                    if let u = layer.unpacked {
                        let dest = layerPath(u.digest)
                        if Files.exists(dest) {
                            try Files.removeTree(u.dir)
                        } else {
                            try Sys.call("rename", detail: "\(u.dir) to \(dest)") { rename(u.dir, dest) }
                        }
                        done = (u.digest, u.size)
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

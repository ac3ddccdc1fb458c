import BerthJSON
import BerthSys

/// An OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`), as written by
/// `skopeo copy ... oci:DIR:TAG` or `umoci`, in a directory or inside an oci-archive (and the
/// newer `docker save`). Berth imports its manifests: layers (tar or tar+gzip, OCI whiteouts
/// turned into overlayfs whiteouts) and the config's process defaults.
struct OCILayout {
    let files: ImageFiles

    static func isLayout(_ files: ImageFiles) -> Bool {
        files.contains("oci-layout") && files.contains("index.json")
    }

    /// blobs/sha256/<hex>, refusing anything but a well-formed sha256 digest.
    func blobPath(_ digest: String) throws -> String {
        guard let hex = Digest.sha256Hex(digest) else {
            throw ImageError("\(files.name): unsupported or malformed digest \(digest.debugDescription)")
        }
        return "blobs/sha256/\(hex)"
    }

    /// The blob `desc` names, parsed after its content is checked against the digest.
    func document<T: JSONReadable>(_ type: T.Type, _ desc: Descriptor) throws -> T {
        let path = try blobPath(desc.digest)
        let bytes = try files.readBytes(path)
        guard "sha256:" + SHA256.hex(bytes) == desc.digest else {
            throw ImageError("\(files.name): \(path): content does not match its digest \(desc.digest) (corrupt blob)")
        }
        return try T.read(json: bytes, file: "\(files.name): \(path)", problem: "not a valid OCI document")
    }

    /// Every image the layout's index.json names, with the names it gives them.
    func images(platform: Platform = .host) throws -> [ArchiveImage] {
        let index = try files.json(ImageIndex.self, "index.json", problem: "not a valid OCI index")
        return try index.manifests.map { d in
            var image = try self.image(d, platform: platform)
            image.names = [d.annotations?["io.containerd.image.name"], d.refName].compactMap { $0 }
            return image
        }
    }

    /// The image `desc` names, following image indexes to the entry for `platform`.
    func image(_ desc: Descriptor, platform: Platform) throws -> ArchiveImage {
        var d = desc
        for _ in 0..<4 where MediaType.isIndex(d.mediaType) {
            let index = try document(ImageIndex.self, d)
            guard let next = index.select(platform) else { throw ImageError("\(files.name): the image index has no \(platform) manifest") }
            d = next
        }
        let manifest = try document(ImageManifest.self, d)
        let config = try document(OCIImageConfig.self, manifest.config)
        let diffIDs = config.diffIDs?.count == manifest.layers.count ? config.diffIDs : nil
        let layers = try manifest.layers.enumerated().map { i, l in
            ArchiveLayer(path: try blobPath(l.digest), mediaType: l.mediaType, digest: l.digest, diffID: diffIDs?[i], size: l.size)
        }
        return ArchiveImage(names: [], config: config, layers: layers)
    }
}

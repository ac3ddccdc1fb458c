import BerthJSON
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Local images under one directory (default /var/lib/berth/images):
///
///     index.json                 name:tag -> config digest + layer digests (atomic replace)
///     blobs/sha256/<hex>         image config JSON (OCI image config subset), content-addressed
///     layers/<hex>/              unpacked layer trees, content-addressed; overlay lowerdirs
///     lock                       flock'd by writers
///
/// Laid out so that OCI images (several layers, configs from a registry) fit without change.
public struct ImageStore: Sendable {
    public static let defaultRoot = "/var/lib/berth/images"
    public let root: String

    public init(root: String = ImageStore.defaultRoot) {
        self.root = root
    }

    var indexPath: String { root + "/index.json" }
    func layerPath(_ digest: String) -> String { root + "/layers/" + digest.hexPart }
    func blobPath(_ digest: String) -> String { root + "/blobs/sha256/" + digest.hexPart }

    // MARK: reading

    public func list() throws -> [ImageRecord] {
        try readIndex().images.sorted { ($0.name, $0.tag) < ($1.name, $1.tag) }
    }

    /// Find an image for a task definition's `image` field, or fail with ECS's error name.
    public func resolve(_ image: String) throws -> (record: ImageRecord, config: ImageConfigFile) {
        let ref: ImageReference
        do { ref = try ImageReference(parsing: image) } catch {
            throw ImageError("CannotPullContainerError: \(error.message)")
        }
        let images = try readIndex().images
        let found = ref.digest.flatMap { d in images.first { $0.digest == d && $0.name == ref.name } ?? images.first { $0.id == d } }
            ?? images.first { $0.name == ref.name && $0.tag == ref.tag && ref.digest == nil }
        guard let record = found else {
            throw ImageError("CannotPullContainerError: image \(ref.description.debugDescription) not found in the local image store \(root); import it with `berth image import \(ref) DIR|TARBALL`")
        }
        return (record, try config(of: record))
    }

    /// The image config of a record (one from `list`, `resolve` or a pull).
    public func config(of record: ImageRecord) throws -> ImageConfigFile {
        let path = blobPath(record.id)
        return try ImageConfigFile.read(json: try Files.readBytes(path), file: path, problem: "corrupt image config")
    }

    /// Layer directories, top first (overlayfs `lowerdir` order).
    public func lowerDirs(_ record: ImageRecord) -> [String] { record.layers.reversed().map(layerPath) }

    // MARK: importing

    /// Import a directory tree, a tar archive (plain or gzip), an OCI layout, a docker-archive or
    /// an oci-archive as `reference`, within `limits`; from an archive holding several images, the
    /// one named `reference` (or the only one). On any failure nothing of it is left in the store
    /// (no layer, temporary file or index entry). `warn` hears about entries that were skipped
    /// (device nodes that may not be made).
    public func importImage(_ reference: String, from source: String, config: ImageConfig = ImageConfig(),
                            limits: ImportLimits = ImportLimits(), warn: @escaping (String) -> Void = { _ in }) throws -> ImageRecord {
        try importImages(reference, from: source, config: config, limits: limits, warn: warn)[0]
    }

    /// As `importImage`; without a reference, every image of an archive or OCI layout under every
    /// name it carries (RepoTags, full OCI ref names), as `docker load` does.
    public func importImages(_ reference: String?, from source: String, config: ImageConfig = ImageConfig(),
                             limits: ImportLimits = ImportLimits(), warn: @escaping (String) -> Void = { _ in }) throws -> [ImageRecord] {
        let ref = try reference.map { r throws(ImageError) in try ImageReference(parsing: r) }
        guard ref?.digest == nil else { throw ImageError("import needs NAME[:TAG], not a digest reference") }
        guard Files.exists(source) else { throw ImageError("\(source): no such file or directory") }
        return try withLock {
            let budget = try ImportBudget(limits: limits, store: root, warn: warn)
            do {
                return try commit(try importLocked(ref, source, config, budget))
            } catch {
                try? collectGarbage(try readIndex())  // layers of this image that did complete
                throw error
            }
        }
    }

    /// An image whose layers are in the store, not yet in the index.
    struct Imported {
        var ref: ImageReference
        var layers: [String]
        var size: Int64
        var config: ImageConfig
        var platform: Platform?
        /// The manifest digest (a registry pull).
        var digest: String? = nil
        /// The registry's config blob, stored as it is (its digest is the image id).
        var configBytes: [UInt8]? = nil
    }

    private func importLocked(_ ref: ImageReference?, _ source: String, _ config: ImageConfig, _ budget: ImportBudget) throws -> [Imported] {
        if Files.isDirectory(source) {
            let files = DirectoryFiles(source)
            if OCILayout.isLayout(files) { return try importArchive(ref, try OCILayout(files: files).images(), files, config, budget) }
            return [try importRootfs(ref, source, config, budget)]
        }
        return try importFile(ref, source, config, budget)
    }

    /// A root filesystem (directory or tar) as a one-layer image.
    func importRootfs(_ ref: ImageReference?, _ source: String, _ config: ImageConfig, _ budget: ImportBudget,
                      stopAt markers: Set<String> = []) throws -> Imported {
        guard let ref else { throw ImageError("\(source) is a root filesystem, not an image archive: give the image a NAME[:TAG]") }
        let (digest, size) = try importLayer(budget) { writer in
            if Files.isDirectory(source) {
                try DirectoryWalker(source: source).copy(into: writer)
            } else {
                let fd = try FileDescriptor.open(source, O_RDONLY)
                defer { fd.close() }
                try TarImporter.unpack(fd, into: writer, stopAt: markers)
            }
        }
        return Imported(ref: ref, layers: [digest], size: size, config: config)
    }

    /// Writes each image's config blob and puts them all in the index at once.
    func commit(_ images: [Imported]) throws -> [ImageRecord] {
        let created = UTC.rfc3339(wallClockNow())
        var index = try readIndex()
        var records: [ImageRecord] = []
        try Files.makeDirectories(root + "/blobs/sha256")
        for image in images {
            if let bytes = image.configBytes {
                let id = "sha256:" + SHA256.hex(bytes)
                try Files.writeAtomically(blobPath(id), bytes)
                let record = ImageRecord(name: image.ref.name, tag: image.ref.tag, id: id, layers: image.layers, size: image.size,
                                         created: created, digest: image.digest)
                index.images.removeAll { $0.name == record.name && $0.tag == record.tag }
                index.images.append(record)
                records.append(record)
                continue
            }
            var cfg = image.config
            if cfg.Env == nil { cfg.Env = [ImageConfig.defaultPath] }
            let platform = image.platform ?? Platform(os: "linux", architecture: "amd64")
            let file = ImageConfigFile(created: created, architecture: platform.architecture, os: platform.os, config: cfg,
                                       rootfs: .init(type: "layers", diff_ids: image.layers))
            let bytes = file.jsonValue.serializedBytes(sortedKeys: true)
            let id = "sha256:" + SHA256.hex(bytes)
            try Files.writeAtomically(blobPath(id), bytes)
            let record = ImageRecord(name: image.ref.name, tag: image.ref.tag, id: id, layers: image.layers, size: image.size, created: created,
                                     digest: image.digest)
            index.images.removeAll { $0.name == record.name && $0.tag == record.tag }
            index.images.append(record)
            records.append(record)
        }
        try writeIndex(index)
        try collectGarbage(index)
        return records
    }

    /// Unpack into a temporary directory, then rename it to its digest (or drop it if present).
    func importLayer(_ budget: ImportBudget, _ fill: (LayerWriter) throws -> Void) throws -> (digest: String, size: Int64) {
        try Files.makeDirectories(root + "/layers")
        let tmp = root + "/layers/" + Self.importPrefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            let writer = try LayerWriter(root: tmp, budget: budget)
            try fill(writer)
            try Sys.call("chmod", detail: tmp) { chmod(tmp, 0o755) }
            let digest = writer.digest!
            let dest = layerPath(digest)
            if Files.exists(dest) {
                try Files.removeTree(tmp)
            } else {
                try Sys.call("rename", detail: "\(tmp) to \(dest)") { rename(tmp, dest) }
            }
            return (digest, writer.size)
        } catch {
            try? Files.removeTree(tmp)
            throw error
        }
    }

    // MARK: removing

    /// Remove a name:tag; its layers and config go too unless another image uses them.
    @discardableResult
    public func remove(_ reference: String) throws -> ImageRecord {
        let ref = try ImageReference(parsing: reference)
        return try withLock {
            var index = try readIndex()
            guard let i = index.images.firstIndex(where: { $0.name == ref.name && $0.tag == ref.tag }) else {
                throw ImageError("no such image: \(ref)")
            }
            let record = index.images[i]
            let stillUsed = Set(index.images.enumerated().filter { $0.offset != i }.flatMap(\.element.layers))
            for layer in record.layers where !stillUsed.contains(layer) && Self.layerInUse(layerPath(layer)) {
                throw ImageError("image \(ref) is in use by a running container (its layer is mounted); stop the task first")
            }
            index.images.remove(at: i)
            try writeIndex(index)
            try collectGarbage(index)
            return record
        }
    }

    /// True if an overlay mount uses this layer as a lower directory.
    static func layerInUse(_ path: String) -> Bool {
        guard let info = try? Files.read("/proc/self/mountinfo") else { return false }
        return info.split(separator: "\n").contains { $0.contains(" overlay ") && $0.contains(path) }
    }

    /// Temporary layer directories; any seen under the store lock are left over from a killed import.
    static let importPrefix = ".import-"

    func collectGarbage(_ index: StoreIndex) throws {
        let layers = Set(index.images.flatMap(\.layers).map { $0.hexPart })
        let blobs = Set(index.images.map { $0.id.hexPart })
        for name in (try? Files.list(root + "/layers")) ?? [] where name.hasPrefix(Self.importPrefix) {
            try Files.removeTree(root + "/layers/" + name)
        }
        for name in (try? Files.list(root + "/layers")) ?? [] where !name.hasPrefix(".") && !layers.contains(name) {
            if !Self.layerInUse(root + "/layers/" + name) { try Files.removeTree(root + "/layers/" + name) }
        }
        for name in (try? Files.list(root + "/blobs/sha256")) ?? [] where !blobs.contains(name) && !name.contains(".tmp.") {
            unlink(root + "/blobs/sha256/" + name)
        }
    }

    // MARK: index

    func readIndex() throws -> StoreIndex {
        guard Files.exists(indexPath) else { return StoreIndex() }
        return try StoreIndex.read(json: try Files.readBytes(indexPath), file: indexPath, problem: "corrupt image index")
    }

    func writeIndex(_ index: StoreIndex) throws {
        try Files.writeAtomically(indexPath, index.jsonValue.serializedBytes(pretty: true, sortedKeys: true))
    }

    func withLock<T>(_ body: () throws -> T) throws -> T {
        try Files.makeDirectories(root)
        let fd = try FileDescriptor.open(root + "/lock", O_RDWR | O_CREAT, mode: 0o600)
        defer { fd.close() }
        try Sys.call("flock", detail: root + "/lock") { flock(fd.rawValue, LOCK_EX) }
        return try body()
    }
}

extension String {
    /// `sha256:<hex>` → `<hex>`.
    var hexPart: String { hasPrefix("sha256:") ? String(dropFirst(7)) : self }
}

import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// What `prune` removed.
public struct PruneReport: Sendable, Equatable {
    /// Images untagged (only with `allUnused`).
    public var images: [ImageRecord] = []
    public var layers = 0
    public var blobs = 0
    /// Leftover temporaries of killed imports.
    public var temporaries = 0
    /// Bytes of file content and blobs freed.
    public var bytes: Int64 = 0
}

extension ImageStore {
    /// Give the image `source` names the further name `target` (replacing what `target` named).
    @discardableResult
    public func tag(_ source: String, _ target: String) throws -> ImageRecord {
        let to = try ImageReference(parsing: target)
        guard to.digest == nil else { throw ImageError("tag: \(target.debugDescription) is a digest reference; give NAME[:TAG]") }
        return try withLock {
            var index = try readIndex()
            let (record, _) = try resolve(source)
            var copy = record
            copy.name = to.name
            copy.tag = to.tag
            index.images.removeAll { $0.name == to.name && $0.tag == to.tag }
            index.images.append(copy)
            try writeIndex(index)
            try collectGarbage(index)  // what `target` named before, if nothing else uses it
            return copy
        }
    }

    /// Remove a name:tag as `remove` does; with `force`, also when a running container has its
    /// layers mounted: the name goes, the mounted layers stay until a later prune finds them unused.
    @discardableResult
    public func remove(_ reference: String, force: Bool) throws -> ImageRecord {
        guard force else { return try remove(reference) }
        let ref = try ImageReference(parsing: reference)
        return try withLock {
            var index = try readIndex()
            guard let i = index.images.firstIndex(where: { $0.name == ref.name && $0.tag == ref.tag }) else {
                throw ImageError("no such image: \(ref)")
            }
            let record = index.images.remove(at: i)
            try writeIndex(index)
            try collectGarbage(index)  // skips layers that are mounted
            return record
        }
    }

    /// Remove layers and blobs no image references and temporaries left by killed imports; with
    /// `allUnused`, first untag every image none of whose layers a running container has mounted
    /// (the store cannot know which task definitions name an image, only what runs).
    public func prune(allUnused: Bool = false) throws -> PruneReport {
        try withLock {
            var index = try readIndex()
            var report = PruneReport()
            if allUnused {
                report.images = index.images.filter { !$0.layers.contains { Self.layerInUse(layerPath($0)) } }
                index.images.removeAll { r in report.images.contains(r) }
                try writeIndex(index)
            }
            let layers = Set(index.images.flatMap(\.layers).map { $0.hexPart })
            let blobs = Set(index.images.map { $0.id.hexPart })
            for name in (try? Files.list(root + "/layers")) ?? [] {
                let path = root + "/layers/" + name
                if name.hasPrefix(Self.importPrefix) {
                    report.bytes += Self.treeSize(path)
                    try Files.removeTree(path)
                    report.temporaries += 1
                } else if !name.hasPrefix("."), !layers.contains(name), !Self.layerInUse(path) {
                    report.bytes += Self.treeSize(path)
                    try Files.removeTree(path)
                    report.layers += 1
                }
            }
            for name in (try? Files.list(root + "/blobs/sha256")) ?? [] where !blobs.contains(name) {
                let path = root + "/blobs/sha256/" + name
                report.bytes += Self.treeSize(path)
                unlink(path)
                if name.contains(".tmp.") { report.temporaries += 1 } else { report.blobs += 1 }
            }
            return report
        }
    }

    /// The images that carry `reference`'s config (every name of it), and the config.
    public func inspect(_ reference: String) throws -> (records: [ImageRecord], config: ImageConfigFile) {
        let (record, config) = try resolve(reference)
        return (try readIndex().images.filter { $0.id == record.id }, config)
    }

    /// Bytes of regular files under `path` (not following symlinks).
    static func treeSize(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) == S_IFREG { return Int64(st.st_size) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return 0 }
        return ((try? Files.list(path)) ?? []).reduce(0) { $0 + treeSize(path + "/" + $1) }
    }
}

/// Docker's `image inspect` document for one image.
public struct ImageInspection: JSONEncodable {
    public var records: [ImageRecord]
    public var config: ImageConfigFile

    public init(records: [ImageRecord], config: ImageConfigFile) {
        self.records = records
        self.config = config
    }

    public var jsonValue: JSONValue {
        let first = records.first
        var rootfs = ObjectWriter()
        rootfs.set("Type", config.rootfs.type)
        rootfs.set("Layers", first?.layers ?? config.rootfs.diff_ids)
        var o = ObjectWriter()
        o.set("Id", first?.id)
        o.set("RepoTags", records.map { $0.reference.description })
        o.set("RepoDigests", records.compactMap { r in r.digest.map { "\(r.name)@\($0)" } })
        o.set("Created", config.created)
        o.set("Architecture", config.architecture)
        o.set("Os", config.os)
        o.set("Config", config.config)
        o.set("RootFS", rootfs.value)
        o.set("Size", first?.size)
        o.set("Metadata", records.map { $0.jsonValue })
        return o.value
    }
}

import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// What `berth image save` writes.
public enum SaveFormat: String, Sendable, CaseIterable {
    /// A tar of an OCI image layout; layers tar+gzip. `skopeo ... oci-archive:`, `podman load`.
    case ociArchive = "oci-archive"
    /// The same layout plus Docker's manifest.json and repositories (as `docker save` writes since
    /// Docker 25), layers uncompressed: `docker load`, `podman load`, `skopeo ... docker-archive:`.
    case dockerArchive = "docker-archive"
}

extension ImageStore {
    /// Write `references` (several may share layers: each is written once) as one archive at
    /// `output`: built in a temporary directory next to it, written to a temporary file, fsync'd
    /// and renamed into place. On failure nothing is left (no temporary, no partial output).
    @discardableResult
    public func save(_ references: [String], to output: String, format: SaveFormat = .ociArchive) throws -> [ImageRecord] {
        guard !references.isEmpty else { throw ImageError("save needs at least one image") }
        let slash = output.lastIndex(of: "/")
        let dir = slash.map { String(output[..<$0]) } ?? "."
        let base = slash.map { String(output[output.index(after: $0)...]) } ?? output
        guard Files.isDirectory(dir.isEmpty ? "/" : dir) else { throw ImageError("\(output): directory \(dir) does not exist") }
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(base).berth-save-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return try withLock {
            let images = try references.map { raw in
                let (record, config) = try resolve(raw)
                return (ImageReference(name: record.name, tag: record.tag), record, config)
            }
            defer { try? Files.removeTree(tmp); unlink(tmp + ".tar") }
            try ArchiveBuilder(layout: tmp, store: self, format: format).build(images)
            try writeTar(of: tmp, to: tmp + ".tar")
            try Sys.call("rename", detail: "\(tmp).tar to \(output)") { rename(tmp + ".tar", output) }
            return images.map(\.1)
        }
    }

    /// A tar of the directory `dir` (names relative to it, sorted), fsync'd.
    func writeTar(of dir: String, to path: String) throws {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o644)
        defer { fd.close() }
        let out = BufferedOutput(fd)
        var tar = TarWriter(sink: out.write)
        try LayoutTar(root: dir).write(to: &tar)
        try out.flush()
        try Sys.call("fsync", detail: path) { fsync(fd.rawValue) }
    }
}

/// Writes the OCI layout (and Docker's manifest.json) of the images into a directory.
struct ArchiveBuilder {
    let layout: String
    let store: ImageStore
    let format: SaveFormat

    struct Blob { var digest: String; var size: Int64 }

    func build(_ images: [(ImageReference, ImageRecord, ImageConfigFile)]) throws {
        try Files.makeDirectories(layout + "/blobs/sha256")
        try Files.writeAtomically(layout + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        var layers: [String: (blob: Blob, diffID: String)] = [:]
        var manifests: [Descriptor] = []
        var dockerEntries: [JSONValue] = []
        for (ref, record, config) in images {
            var descs: [Descriptor] = []
            var diffIDs: [String] = []
            for layer in record.layers {
                let done = try layers[layer] ?? writeLayer(store.layerPath(layer))
                layers[layer] = done
                descs.append(Descriptor(mediaType: format == .ociArchive ? MediaType.ociLayerGzip : MediaType.ociLayer,
                                        digest: done.blob.digest, size: done.blob.size))
                diffIDs.append(done.diffID)
            }
            var file = config
            file.rootfs = .init(type: "layers", diff_ids: diffIDs)
            let configBlob = try writeBlob(file.jsonValue.serializedBytes(sortedKeys: true))
            let manifest = ImageManifest(schemaVersion: 2, mediaType: MediaType.ociManifest,
                                         config: Descriptor(mediaType: MediaType.ociConfig, digest: configBlob.digest, size: configBlob.size),
                                         layers: descs)
            let manifestBlob = try writeBlob(manifest.jsonValue.serializedBytes(sortedKeys: true))
            manifests.append(Descriptor(mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size,
                                        annotations: [Descriptor.refNameAnnotation: ref.description]))
            var entry = ObjectWriter()
            entry.set("Config", "blobs/sha256/" + configBlob.digest.hexPart)
            entry.set("RepoTags", [ref.description])
            entry.set("Layers", descs.map { "blobs/sha256/" + $0.digest.hexPart })
            dockerEntries.append(entry.value)
        }
        let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests)
        try Files.writeAtomically(layout + "/index.json", index.jsonValue.serializedBytes(sortedKeys: true))
        if format == .dockerArchive {
            try Files.writeAtomically(layout + "/manifest.json", JSONValue.array(dockerEntries).serializedBytes(sortedKeys: true))
            var repos: [String: [String: String]] = [:]
            for (i, (ref, _, _)) in images.enumerated() {
                let configHex = (try? JSONObjectReader(dockerEntries[i], path: JSONPath()).required("Config") as String) ?? ""
                repos[ref.name, default: [:]][ref.tag] = String(configHex.split(separator: "/").last ?? "")
            }
            var o = ObjectWriter()
            for (name, tags) in repos.sorted(by: { $0.key < $1.key }) { o.set(name, tags) }
            try Files.writeAtomically(layout + "/repositories", o.value.serializedBytes(sortedKeys: true))
        }
    }

    /// A small document as a blob.
    func writeBlob(_ bytes: [UInt8]) throws -> Blob {
        let digest = "sha256:" + SHA256.hex(bytes)
        try Files.writeAtomically(layout + "/blobs/sha256/" + digest.hexPart, bytes)
        return Blob(digest: digest, size: Int64(bytes.count))
    }

    /// One store layer as a tar (gzip'd for an oci-archive) blob; its digest and the tar's (diff_id).
    func writeLayer(_ tree: String) throws -> (blob: Blob, diffID: String) {
        let tmp = layout + "/blobs/layer.tmp"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        defer { fd.close() }
        let out = BufferedOutput(fd)
        let blobHash = try StreamDigest(), diffHash = try StreamDigest()
        var size: Int64 = 0
        let gzip = format == .ociArchive ? try GzipWriter { bytes in
            blobHash.update(bytes)
            size += Int64(bytes.count)
            try out.write(bytes)
        } : nil
        var tar = TarWriter { bytes in
            diffHash.update(bytes)
            if let gzip { try gzip.write(bytes) } else {
                blobHash.update(bytes)
                size += Int64(bytes.count)
                try out.write(bytes)
            }
        }
        do {
            try LayerExporter(root: tree).write(to: &tar)
        } catch let error as ImageError {
            throw ImageError("layer \(tree): \(error.message)")
        }
        try gzip?.finish()
        try out.flush()
        let digest = blobHash.digest
        try Sys.call("rename", detail: tmp) { rename(tmp, layout + "/blobs/sha256/" + digest.hexPart) }
        return (Blob(digest: digest, size: size), diffHash.digest)
    }
}

/// The layout directory as the archive's entries: directories and regular files only, 0755/0644, owner 0.
struct LayoutTar {
    let root: String

    func write(to tar: inout TarWriter) throws {
        try walk("", &tar)
        try tar.finish()
    }

    private func walk(_ rel: String, _ tar: inout TarWriter) throws {
        for name in try Files.list(rel.isEmpty ? root : root + "/" + rel).sorted() {
            let path = rel.isEmpty ? name : rel + "/" + name
            let full = root + "/" + path
            if Files.isDirectory(full) {
                try tar.begin(.init(path: path, type: "5", mode: 0o755))
                try walk(path, &tar)
                continue
            }
            let fd = try FileDescriptor.open(full, O_RDONLY | O_CLOEXEC)
            defer { fd.close() }
            var st = stat()
            try Sys.call("fstat", detail: full) { fstat(fd.rawValue, &st) }
            try tar.begin(.init(path: path, type: "0", mode: 0o644, size: Int64(st.st_size)))
            var left = Int64(st.st_size)
            while left > 0 {
                let chunk = try fd.read(max: Int(min(left, 1 << 20)))
                guard !chunk.isEmpty else { throw ImageError("\(full) shrank while it was archived") }
                try tar.writeData(chunk)
                left -= Int64(chunk.count)
            }
            try tar.endData(Int64(st.st_size))
        }
    }
}

/// Collects small writes into 1 MiB ones.
final class BufferedOutput {
    let fd: FileDescriptor
    private var buffer: [UInt8] = []
    init(_ fd: FileDescriptor) { self.fd = fd; buffer.reserveCapacity(1 << 20) }
    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }
    func flush() throws {
        try fd.writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Image archives (`docker save`, `podman save`, `skopeo copy ... docker-archive:|oci-archive:`)
/// told apart from root filesystem tars by their content, and imported with every digest they
/// name verified.
extension ImageStore {
    /// A tar file: a root filesystem, a docker-archive or an oci-archive, plain or gzip- or
    /// zstd-compressed (recognised by magic bytes). A pipe or a compressed file is unpacked as a root filesystem in one pass, unless an archive's
    /// top-level file shows up: then a gzip'd file is decompressed and read as an archive (an
    /// archive is read in place, so it cannot come from a pipe).
    func importFile(_ ref: ImageReference?, _ source: String, _ config: ImageConfig, _ budget: ImportBudget) throws -> [Imported] {
        var st = stat()
        try Sys.call("stat", detail: source) { stat(source, &st) }
        let regular = (st.st_mode & S_IFMT) == S_IFREG
        guard regular, Self.compression(of: try Self.magic(source)) == .none else {
            // Without a name only an archive can be imported: decompress and read it as one.
            if ref == nil, regular { return try withTemporaryTar(decompressing: source, budget) { try importTar($0, ref, config, budget) } }
            do {
                return [try importRootfs(ref, source, config, budget, stopAt: ImageSourceKind.archiveMarkers)]
            } catch is TarImporter.MarkerFound {
                guard regular else { throw ImageError("\(source) is an image archive: give it as a file, not a pipe (it is read in place)") }
                return try withTemporaryTar(decompressing: source, budget) { try importTar($0, ref, config, budget) }
            }
        }
        return try importTar(source, ref, config, budget)
    }

    private func importTar(_ path: String, _ ref: ImageReference?, _ config: ImageConfig, _ budget: ImportBudget) throws -> [Imported] {
        let tar = try TarFiles(path)
        switch try ImageSourceKind.detect(tar, topLevel: tar.topLevel) {
        case .rootfs: return [try importRootfs(ref, path, config, budget)]
        case .dockerArchive: return try importArchive(ref, try DockerArchive(files: tar).images(), tar, config, budget)
        case .ociLayout: return try importArchive(ref, try OCILayout(files: tar).images(), tar, config, budget)
        }
    }

    /// The images of an archive or OCI layout chosen by `select`; a layer several share is unpacked once.
    func importArchive(_ ref: ImageReference?, _ images: [ArchiveImage], _ files: ImageFiles, _ config: ImageConfig,
                       _ budget: ImportBudget) throws -> [Imported] {
        var unpacked: [String: (digest: String, size: Int64)] = [:]
        return try Self.select(images, ref, files.name).map { ref, image in
            if let platform = image.config.platform, !platform.matches(.host) {
                throw ImageError("\(files.name): image \(ref) is for \(platform), this host runs \(Platform.host)")
            }
            var layers: [String] = [], size: Int64 = 0
            for layer in image.layers {
                let done = try unpacked[layer.path] ?? importLayer(budget) { writer in try Self.unpackLayer(files, layer, writer) }
                unpacked[layer.path] = done
                layers.append(done.digest)
                size += done.size
            }
            return Imported(ref: ref, layers: layers, size: size, config: config.merged(over: image.config.config ?? ImageConfig()),
                            platform: image.config.platform)
        }
    }

    /// With `ref`, the image of that name (RepoTag, or OCI ref name equal to its tag), or the only
    /// one, imported as `ref`; without, every image under each of its names.
    static func select(_ images: [ArchiveImage], _ ref: ImageReference?, _ source: String) throws -> [(ImageReference, ArchiveImage)] {
        guard !images.isEmpty else { throw ImageError("\(source): the archive holds no image") }
        if let ref {
            guard let image = images.first(where: { $0.isNamed(ref) }) ?? (images.count == 1 ? images[0] : nil) else {
                let names = images.flatMap(\.names)
                throw ImageError("\(source): no image named \(ref) in it (it has: \(names.isEmpty ? "no names" : names.joined(separator: ", ")))")
            }
            return [(ref, image)]
        }
        var chosen: [(ImageReference, ArchiveImage)] = []
        for (n, image) in images.enumerated() {
            let refs = image.references
            guard !refs.isEmpty else {
                throw ImageError("\(source): image \(n + 1) of \(images.count) has no repository name (names: \(image.names.isEmpty ? "none" : image.names.joined(separator: ", "))); import it with `berth image import NAME[:TAG] \(source)`")
            }
            chosen += refs.map { ($0, image) }
        }
        return chosen
    }

    /// One layer, checked while it is unpacked against the blob digest (when given), the size its descriptor
    /// declares (a longer blob is stopped there, a shorter one refused) and the uncompressed digest
    /// (diff_id) the archive names; gzip and zstd are recognised by media type or, without one, by
    /// content. Every error names the archive, the layer and (from the unpacker) the entry.
    static func unpackLayer(_ files: ImageFiles, _ layer: ArchiveLayer, _ writer: LayerWriter) throws {
        let what = "\(files.name): layer \(layer.digest ?? layer.path)"
        do {
            let compression = try layer.mediaType.map { type in
                guard let c = MediaType.layerCompression(type) else { throw ImageError("unsupported media type \(type) (tar, tar+gzip and tar+zstd are)") }
                return c
            } ?? compression(of: try files.open(layer.path).read(4))
            // Each byte is hashed at most once per digest to check; a blob verified already (a pull,
            // while it downloaded) is not hashed again.
            let sized = SizeCheckedSource(try files.open(layer.path), declared: layer.size)
            let blob: ByteSource = layer.digest == nil || layer.digestVerified ? sized : try HashingSource(sized)
            let uncompressed = try decompressor(compression, blob)
            let tar: ByteSource = layer.diffID == nil ? uncompressed : try HashingSource(uncompressed)
            try TarImporter.unpack(tar, into: writer, whiteouts: true)
            try blob.skip(Int64.max)
            if let digest = layer.digest, !layer.digestVerified, (blob as? HashingSource)?.hash.digest != digest {
                throw ImageError("content does not match its digest \(digest) (corrupt blob)")
            }
            if let diffID = layer.diffID, (tar as? HashingSource)?.hash.digest != diffID {
                throw ImageError("uncompressed content does not match its diff_id \(diffID) (corrupt layer)")
            }
        } catch let error as ImageError {
            throw ImageError("\(what): \(error.message)")
        } catch let error as SysError {
            throw ImageError("\(what): \(error)")
        }
    }

    /// The source decompressed as `compression` says.
    static func decompressor(_ compression: MediaType.Compression, _ source: ByteSource) throws -> ByteSource {
        switch compression {
        case .gzip: try GzipSource(source)
        case .zstd: try ZstdSource(source)
        case .none: source
        }
    }

    static func compression(of magic: [UInt8]) -> MediaType.Compression {
        if magic.starts(with: [0x1f, 0x8b]) { return .gzip }
        if magic == [0x28, 0xb5, 0x2f, 0xfd] { return .zstd }
        return .none
    }

    static func magic(_ path: String) throws -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        defer { fd.close() }
        return try BufferedInput(fd: fd).peek(4)
    }

    /// `source` decompressed into a temporary file in the store (removed afterwards, or by the next
    /// import if this one is killed), charged against the free-space reserve and at most twice
    /// --max-image-size (tar headers and padding around the content).
    func withTemporaryTar<T>(decompressing source: String, _ budget: ImportBudget, _ body: (String) throws -> T) throws -> T {
        try Files.makeDirectories(root + "/layers")
        let tmp = root + "/layers/" + Self.importPrefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tar"
        defer { unlink(tmp) }
        var limits = budget.limits
        limits.maxImageSize = limits.maxImageSize.map { $0 * 2 }
        let space = try ImportBudget(limits: limits, store: root, warn: budget.warn)
        let input = try FileDescriptor.open(source, O_RDONLY | O_CLOEXEC)
        defer { input.close() }
        let out = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        defer { out.close() }
        let file = BufferedInput(fd: input)
        let gz = try Self.decompressor(Self.compression(of: try file.peek(4)), file)
        while true {
            let chunk = try gz.read(1 << 17)
            if chunk.isEmpty { break }
            try space.consume(chunk.count)
            try out.writeAll(chunk)
        }
        return try body(tmp)
    }
}

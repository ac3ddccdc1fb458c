import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Feeds a tar archive's entries (plain, gzip- or zstd-compressed) into a LayerWriter, each admitted by
/// the import's budget first. Device nodes and FIFOs are made as containerd makes them; OCI
/// whiteouts are skipped in a single-layer import; other entry types are skipped with a warning.
enum TarImporter {
    /// `whiteouts`: turn OCI whiteout entries into overlayfs whiteouts (layers of a multi-layer
    /// image); otherwise they are skipped.
    /// `stopAt`: top-level names that make the tar an image archive rather than a root filesystem;
    /// unpacking stops with `MarkerFound` at the first.
    static func unpack(_ fd: FileDescriptor, into writer: LayerWriter, whiteouts: Bool = false, stopAt markers: Set<String> = []) throws {
        let file = BufferedInput(fd: fd)
        let source = try ImageStore.decompressor(ImageStore.compression(of: try file.peek(4)), file)
        try unpack(source, into: writer, whiteouts: whiteouts, stopAt: markers)
    }

    struct MarkerFound: Error {}

    static func unpack(_ source: ByteSource, into writer: LayerWriter, whiteouts: Bool, stopAt markers: Set<String> = []) throws {
        var reader = TarReader(source)
        var dirs = PendingDirectories()
        while let h = try reader.next() {
            guard let path = try LayerEntry.normalize(h.path) else {
                try reader.readData(h.size) { _ in }
                continue
            }
            if !markers.isEmpty, markers.contains(String(path.split(separator: "/")[0])) { throw MarkerFound() }
            try writer.budget.admit(path)
            let base = path.split(separator: "/").last.map(String.init) ?? path
            var entry = LayerEntry(path: path, kind: .file, mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, xattrs: h.xattrs)
            if h.kind != "5" { dirs.remove(path) }  // last wins: a replaced directory gets no mode at the end
            switch h.kind {
            case "0", "7":
                if base.hasPrefix(".wh.") {
                    try reader.readData(h.size) { _ in }
                    if whiteouts, let hidden = try addWhiteout(path, base, writer) { dirs.remove(hidden) }
                    continue
                }
                try writer.add(entry) { write in try reader.readData(h.size) { try write($0) } }
                continue
            case "5":
                entry.kind = .directory
                entry.mode |= 0o700  // writable by owner while unpacking; real mode set at the end
                dirs.add(LayerEntry(path: path, kind: .directory, mode: h.mode, uid: h.uid, gid: h.gid, xattrs: h.xattrs))
            case "2": entry.kind = .symlink(h.link)
            case "1": entry.kind = .hardlink(h.link)
            case "3": entry.kind = .charDevice(major: h.devMajor, minor: h.devMinor)
            case "4": entry.kind = .blockDevice(major: h.devMajor, minor: h.devMinor)
            case "6": entry.kind = .fifo
            default: writer.budget.warn("skipped \(path): tar entry type \(h.kind.debugDescription) is not supported")
            }
            if ["5", "2", "1", "3", "4", "6"].contains(h.kind) { entry.size = 0; try writer.add(entry) }
            try reader.readData(h.size) { _ in }
        }
        // Read to the end so a gzip trailer (CRC-32 and length) is verified: a corrupt archive fails.
        while !(try source.read(1 << 16)).isEmpty {}
        // Apply directory modes last so read-only directories do not block their own content.
        for dir in dirs.entries.reversed() { try writer.add(dir) }
    }
}

/// The directories of a layer whose modes are applied at the end, in order; a later entry of the
/// same name replaces one (and a non-directory removes it and what was below it).
struct PendingDirectories {
    private(set) var entries: [LayerEntry] = []
    private var paths: Set<String> = []

    mutating func add(_ entry: LayerEntry) {
        if paths.contains(entry.path) { entries.removeAll { $0.path == entry.path } }
        paths.insert(entry.path)
        entries.append(entry)
    }

    /// Only when `path` was a directory of this layer: the common case costs one lookup.
    mutating func remove(_ path: String) {
        guard paths.contains(path) else { return }
        entries.removeAll { $0.path == path || $0.path.hasPrefix(path + "/") }
        paths = Set(entries.map(\.path))
    }
}

extension TarImporter {
    /// An OCI whiteout as overlayfs' own; returns the path it hides (nil for an opaque marker or
    /// an aufs metadata name, which is skipped as containerd does). A whiteout that names no entry
    /// of its own directory (`.wh.`, `.wh..`, `.wh...`) is refused.
    @discardableResult
    static func addWhiteout(_ path: String, _ base: String, _ writer: LayerWriter) throws -> String? {
        let dir = path.split(separator: "/").dropLast().joined(separator: "/")
        if base == ".wh..wh..opq" {
            guard !dir.isEmpty else { return nil }  // opaque root: nothing below to hide in a fresh layer
            try writer.add(LayerEntry(path: dir, kind: .directory, mode: 0o755))
            try writer.add(LayerEntry(path: dir, kind: .opaque, mode: 0))
            return nil
        }
        if base.hasPrefix(".wh..wh.") {
            writer.budget.warn("skipped \(path): aufs metadata, not a whiteout")
            return nil
        }
        let hidden = String(base.dropFirst(4))
        guard !hidden.isEmpty, hidden != ".", hidden != "..", !hidden.contains("/") else {
            throw ImageError("refusing whiteout \(path.debugDescription): it must name an entry of its own directory")
        }
        let target = dir.isEmpty ? hidden : dir + "/" + hidden
        try writer.add(LayerEntry(path: target, kind: .whiteout, mode: 0))
        return target
    }
}

/// Walks a host directory (not following symlinks, not crossing mounts) in sorted order.
struct DirectoryWalker {
    let source: String

    func copy(into writer: LayerWriter) throws {
        var rootStat = stat()
        try Sys.call("lstat", detail: source) { lstat(source, &rootStat) }
        var links: [String: String] = [:]
        var dirs: [LayerEntry] = []
        try walk("", rootStat.st_dev, writer, &links, &dirs)
        for dir in dirs.reversed() { try writer.add(dir) }
    }

    private func walk(_ rel: String, _ dev: UInt, _ writer: LayerWriter, _ links: inout [String: String], _ dirs: inout [LayerEntry]) throws {
        let dir = rel.isEmpty ? source : source + "/" + rel
        for name in try Files.list(dir).sorted() {
            let path = rel.isEmpty ? name : rel + "/" + name
            let full = source + "/" + path
            var st = stat()
            try Sys.call("lstat", detail: full) { lstat(full, &st) }
            try writer.budget.admit(path)
            var entry = LayerEntry(path: path, kind: .file, mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid, size: Int64(st.st_size))
            if [S_IFREG, S_IFDIR].contains(st.st_mode & S_IFMT) {
                // The host's own labels (overlayfs, SELinux) are not image content.
                entry.xattrs = Dictionary(try LayerExporter.xattrs(full).filter { !$0.0.hasPrefix("trusted.") && $0.0 != "security.selinux" }) { $1 }
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                guard st.st_dev == dev else { continue }  // never descend into another mount
                entry.kind = .directory
                entry.size = 0
                dirs.append(entry)
                entry.mode |= 0o700
                try writer.add(entry)
                try walk(path, dev, writer, &links, &dirs)
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: 4097)
                let n = try Sys.call("readlink", detail: full) { readlink(full, &buf, 4096) }
                entry.kind = .symlink(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
                entry.size = 0
                try writer.add(entry)
            case S_IFREG:
                let key = "\(st.st_dev):\(st.st_ino)"
                if st.st_nlink > 1, let first = links[key] {
                    entry.kind = .hardlink(first)
                    entry.size = 0
                    try writer.add(entry)
                    continue
                }
                if st.st_nlink > 1 { links[key] = path }
                let fd = try FileDescriptor.open(full, O_RDONLY | O_NOFOLLOW)
                defer { fd.close() }
                try writer.add(entry) { write in
                    while true {
                        let chunk = try fd.read(max: 1 << 17)
                        if chunk.isEmpty { break }
                        try write(chunk)
                    }
                }
            case S_IFCHR, S_IFBLK, S_IFIFO:
                let (major, minor) = (berth_major(st.st_rdev), berth_minor(st.st_rdev))
                let type = st.st_mode & S_IFMT
                entry.kind = type == S_IFIFO ? .fifo : type == S_IFCHR ? .charDevice(major: major, minor: minor) : .blockDevice(major: major, minor: minor)
                entry.size = 0
                try writer.add(entry)
            default:
                writer.budget.warn("skipped \(path): sockets are not part of an image")
            }
        }
    }
}

import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The files of an OCI layout or an image archive, by path relative to its top: a directory, or
/// a tar archive read in place (`TarFiles`).
protocol ImageFiles: AnyObject {
    /// The directory or archive, for messages.
    var name: String { get }
    func contains(_ path: String) -> Bool
    /// A small file (JSON documents), whole.
    func readBytes(_ path: String) throws -> [UInt8]
    /// A file's content as a stream.
    func open(_ path: String) throws -> ByteSource
}

extension ImageFiles {
    /// A JSON document of the layout or archive; errors name the file.
    func json<T: JSONReadable>(_ type: T.Type, _ path: String, problem: String) throws -> T {
        try T.read(json: try readBytes(path), file: "\(name): \(path)", problem: problem)
    }

    static var maxDocumentSize: Int64 { 16 << 20 }
}

final class DirectoryFiles: ImageFiles {
    let dir: String
    init(_ dir: String) { self.dir = dir }

    var name: String { dir }
    func contains(_ path: String) -> Bool { Files.exists(dir + "/" + path) }

    func readBytes(_ path: String) throws -> [UInt8] {
        let source = try open(path)
        let bytes = try source.read(Int(Self.maxDocumentSize) + 1)
        guard bytes.count <= Self.maxDocumentSize else { throw ImageError("\(dir)/\(path): larger than a JSON document may be (16 MiB)") }
        return bytes
    }

    func open(_ path: String) throws -> ByteSource {
        let fd = try FileDescriptor.open(dir + "/" + path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            fd.close()
            throw ImageError("\(dir)/\(path): not a regular file")
        }
        return FileRangeSource(fd: fd, owned: true, offset: 0, size: Int64(st.st_size))
    }
}

/// A plain tar archive read in place: its regular files are found by one pass over the headers
/// (file content skipped), then read at their offsets. Symbolic and hard links between entries
/// (docker save shares a layer between images that way) resolve to their target inside the archive.
final class TarFiles: ImageFiles {
    let path: String
    let fd: FileDescriptor
    private var files: [String: (offset: Int64, size: Int64)] = [:]
    private var links: [String: String] = [:]
    /// Names of the top-level entries.
    private(set) var topLevel: Set<String> = []

    init(_ path: String) throws {
        self.path = path
        fd = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        do { try scan() } catch {
            fd.close()
            throw error
        }
    }

    deinit { fd.close() }

    var name: String { path }

    private func scan() throws {
        var st = stat()
        try Sys.call("fstat", detail: path) { fstat(fd.rawValue, &st) }
        let input = FileRangeSource(fd: fd, owned: false, offset: 0, size: Int64(st.st_size))
        var reader = TarReader(input)
        while let h = try reader.next() {
            // A name that leaves the archive is never one of its files; a root filesystem tar with
            // one is refused by the layer import, naming it.
            if let entry = try? LayerEntry.normalize(h.path) {
                topLevel.insert(String(entry.split(separator: "/")[0]))
                switch h.kind {
                case "0", "7": files[entry] = (input.position, h.size)
                case "1": links[entry] = try? LayerEntry.normalize(h.link)
                case "2": links[entry] = Self.resolve(h.link, from: entry)
                default: break
                }
            }
            try reader.skipData(h.size)
        }
    }

    /// A symlink target relative to the link's directory, as an archive path; nil if it leaves the archive.
    static func resolve(_ target: String, from link: String) -> String? {
        let dir = link.split(separator: "/").dropLast().joined(separator: "/")
        return try? LayerEntry.normalize(target.hasPrefix("/") ? target : dir + "/" + target)
    }

    private func entry(_ path: String) -> (offset: Int64, size: Int64)? {
        var p = path
        for _ in 0..<8 {
            if let f = files[p] { return f }
            guard let next = links[p] else { return nil }
            p = next
        }
        return nil
    }

    func contains(_ path: String) -> Bool { entry(path) != nil }

    func readBytes(_ path: String) throws -> [UInt8] {
        guard let e = entry(path) else { throw ImageError("\(self.path): \(path) is missing from the archive") }
        guard e.size <= Self.maxDocumentSize else { throw ImageError("\(self.path): \(path) is larger than a JSON document may be (16 MiB)") }
        return try open(path).read(Int(e.size))
    }

    func open(_ path: String) throws -> ByteSource {
        guard let e = entry(path) else { throw ImageError("\(self.path): \(path) is missing from the archive") }
        return FileRangeSource(fd: fd, owned: false, offset: e.offset, size: e.size)
    }
}

/// Bytes `offset..<offset+size` of a file, read with pread (so several may share one descriptor).
final class FileRangeSource: ByteSource {
    let fd: FileDescriptor
    let owned: Bool
    let end: Int64
    private(set) var position: Int64
    private var buffer: [UInt8] = []
    private var used = 0

    init(fd: FileDescriptor, owned: Bool, offset: Int64, size: Int64) {
        self.fd = fd
        self.owned = owned
        position = offset
        end = offset + size
    }

    deinit { if owned { fd.close() } }

    func read(_ n: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            if used == buffer.count {
                try fill()
                if buffer.isEmpty { break }
            }
            let take = min(n - out.count, buffer.count - used)
            out += buffer[used..<(used + take)]
            used += take
            position += Int64(take)
        }
        return out
    }

    func skip(_ n: Int64) throws {
        let buffered = Int64(buffer.count - used)
        if n <= buffered {
            used += Int(n)
        } else {
            buffer = []
            used = 0
        }
        position = min(end, position + n)
    }

    private func fill() throws {
        let want = Int(min(Int64(1 << 17), end - position))
        buffer = [UInt8](repeating: 0, count: max(0, want))
        used = 0
        guard want > 0 else { return }
        let got = try buffer.withUnsafeMutableBytes { p in
            try Sys.call("pread", detail: "at \(position)") { pread(fd.rawValue, p.baseAddress, want, off_t(position)) }
        }
        buffer.removeLast(want - got)
    }
}

/// Hashes everything read through it.
final class HashingSource: ByteSource {
    let inner: ByteSource
    let hash: StreamDigest
    init(_ inner: ByteSource) throws {
        self.inner = inner
        hash = try StreamDigest()
    }
    func read(_ n: Int) throws -> [UInt8] {
        let bytes = try inner.read(n)
        hash.update(bytes)
        return bytes
    }
}

/// Passes a blob through, refusing more bytes than its descriptor declares (stopped at the first
/// byte over, before it is decompressed) and, at its end, fewer.
final class SizeCheckedSource: ByteSource {
    let inner: ByteSource
    let declared: Int64?
    private(set) var count: Int64 = 0

    init(_ inner: ByteSource, declared: Int64?) {
        self.inner = inner
        self.declared = declared
    }

    func read(_ n: Int) throws -> [UInt8] {
        guard let declared else { return try inner.read(n) }
        let bytes = try inner.read(Int(min(Int64(n), max(0, declared - count) + 1)))
        count += Int64(bytes.count)
        if count > declared { throw ImageError("blob is longer than the \(declared) bytes its descriptor declares") }
        if bytes.isEmpty, count < declared {
            throw ImageError("blob is shorter (\(count) bytes) than the \(declared) bytes its descriptor declares")
        }
        return bytes
    }
}

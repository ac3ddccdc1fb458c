import BerthSys
import CBerth
import CCompress
#if canImport(Glibc)
import Glibc
#endif

/// Turns an unpacked layer tree of the store back into an OCI layer tar: entries in byte order of
/// their names, a directory before its content, owners, modes, xattrs (all but `trusted.*`), hard
/// links (a file's later names link to its first), symlinks as they are, device nodes and FIFOs;
/// overlayfs whiteouts (character device 0/0) become `.wh.NAME` and an opaque directory
/// (`trusted.overlay.opaque=y`) gets a `.wh..wh..opq` entry. Timestamps are 0, so saving the same
/// layer twice gives the same tar and the same digests.
struct LayerExporter {
    let root: String

    func write(to tar: inout TarWriter) throws {
        var links: [String: String] = [:]
        try walk("", &tar, &links)
        try tar.finish()
    }

    private func walk(_ rel: String, _ tar: inout TarWriter, _ links: inout [String: String]) throws {
        let dir = rel.isEmpty ? root : root + "/" + rel
        for name in try Files.list(dir).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let path = rel.isEmpty ? name : rel + "/" + name
            let full = root + "/" + path
            var st = stat()
            try Sys.call("lstat", detail: full) { lstat(full, &st) }
            var e = TarWriter.Entry(path: path, type: "0", mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid)
            let type = st.st_mode & S_IFMT
            if type != S_IFLNK { e.xattrs = try Self.xattrs(full).filter { !$0.0.hasPrefix("trusted.") } }
            switch type {
            case S_IFDIR:
                e.type = "5"
                try tar.begin(e)
                if try Self.xattr(full, "trusted.overlay.opaque") == Array("y".utf8) {
                    try tar.begin(.init(path: path + "/.wh..wh..opq", type: "0", mode: 0o644))
                }
                try walk(path, &tar, &links)
            case S_IFLNK:
                e.type = "2"
                e.link = try Self.readlink(full)
                try tar.begin(e)
            case S_IFREG:
                let key = "\(st.st_dev):\(st.st_ino)"
                if st.st_nlink > 1, let first = links[key] {
                    e.type = "1"
                    e.link = first
                    try tar.begin(e)
                    continue
                }
                if st.st_nlink > 1 { links[key] = path }
                e.size = Int64(st.st_size)
                try tar.begin(e)
                try copy(full, e.size, &tar)
            case S_IFCHR where st.st_rdev == 0:
                let parent = path.split(separator: "/").dropLast().joined(separator: "/")
                try tar.begin(.init(path: (parent.isEmpty ? "" : parent + "/") + ".wh." + name, type: "0", mode: 0o644))
            case S_IFCHR, S_IFBLK, S_IFIFO:
                e.type = type == S_IFCHR ? "3" : type == S_IFBLK ? "4" : "6"
                (e.devMajor, e.devMinor) = (berth_major(st.st_rdev), berth_minor(st.st_rdev))
                try tar.begin(e)
            default:
                throw ImageError("\(full): a socket cannot be saved in a layer")
            }
        }
    }

    /// Exactly `size` bytes of the file (it is not written to while the store is locked).
    private func copy(_ full: String, _ size: Int64, _ tar: inout TarWriter) throws {
        let fd = try FileDescriptor.open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        defer { fd.close() }
        var left = size
        while left > 0 {
            let chunk = try fd.read(max: Int(min(left, 1 << 17)))
            guard !chunk.isEmpty else { throw ImageError("\(full) shrank while it was saved") }
            try tar.writeData(chunk)
            left -= Int64(chunk.count)
        }
        try tar.endData(size)
    }

    static func readlink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = try Sys.call("readlink", detail: path) { Glibc.readlink(path, &buf, 4096) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Extended attributes of `path` (not following a symlink), by name.
    static func xattrs(_ path: String) throws -> [(String, [UInt8])] {
        var names = [CChar](repeating: 0, count: 65536)
        let n = berth_llistxattr(path, &names, names.count)
        if n < 0 {
            if errno == ENOTSUP { return [] }
            throw SysError("listxattr", detail: path)
        }
        var out: [(String, [UInt8])] = []
        for raw in names[0..<n].split(separator: 0) {
            let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let value = try xattr(path, name) { out.append((name, value)) }
        }
        return out
    }

    static func xattr(_ path: String, _ name: String) throws -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: 65536)
        let n = berth_lgetxattr(path, name, &value, value.count)
        if n < 0 {
            if errno == ENODATA || errno == ENOTSUP { return nil }
            throw SysError("getxattr \(name)", detail: path)
        }
        return Array(value[0..<n])
    }
}

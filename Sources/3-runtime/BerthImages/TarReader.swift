import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A streaming reader for ustar, GNU (long names, base-256 sizes) and pax tar archives.
/// Reads from any ByteSource (a file, or `GzipSource` over one).
struct TarReader {
    struct Header {
        var path: String
        var kind: Character
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var link: String
        var devMajor: UInt32 = 0
        var devMinor: UInt32 = 0
        /// pax `SCHILY.xattr.NAME` records (GNU tar, Docker, containerd), values as raw bytes.
        var xattrs: [String: [UInt8]] = [:]
    }

    private let input: ByteSource
    private var offset: Int64 = 0

    init(_ input: ByteSource) {
        self.input = input
    }

    /// The next entry header (pax and GNU long-name records folded in), or nil at the end.
    /// The caller must consume exactly `size` bytes with `readData` before the next call.
    mutating func next() throws -> Header? {
        var paxPath: String?, paxLink: String?, paxSize: Int64?, paxUid: UInt32?, paxGid: UInt32?
        var longName: String?, longLink: String?
        var xattrs: [String: [UInt8]] = [:]
        while true {
            let block = try input.read(512)
            if block.isEmpty { return nil }
            guard block.count == 512 else { throw ImageError("archive truncated at byte \(offset)") }
            offset += 512
            if block.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(block)
            let kind = Character(Unicode.Scalar(block[156] == 0 ? UInt8(ascii: "0") : block[156]))
            let size = try number(block[124..<136], "size")
            switch kind {
            case "x", "g":
                let data = try readAll(size)
                if kind == "x" {
                    for (k, raw) in parsePax(data) {
                        let v = String(decoding: raw, as: UTF8.self)
                        if k.hasPrefix("SCHILY.xattr.") { xattrs[String(k.dropFirst(13))] = raw; continue }
                        switch k {
                        case "path": paxPath = v
                        case "linkpath": paxLink = v
                        case "size": paxSize = Int64(v)
                        case "uid": paxUid = UInt32(v)
                        case "gid": paxGid = UInt32(v)
                        default: break
                        }
                    }
                }
                continue
            case "L":
                longName = cString(try readAll(size)[...])
                continue
            case "K":
                longLink = cString(try readAll(size)[...])
                continue
            default:
                break
            }
            var name = cString(block[0..<100])
            let prefix = cString(block[345..<500])
            if block[257..<262].elementsEqual("ustar".utf8), !prefix.isEmpty { name = prefix + "/" + name }
            let mode = UInt32(truncatingIfNeeded: try number(block[100..<108], "mode"))
            let uid = UInt32(truncatingIfNeeded: try number(block[108..<116], "uid"))
            let gid = UInt32(truncatingIfNeeded: try number(block[116..<124], "gid"))
            var header = Header(path: paxPath ?? longName ?? name, kind: kind, mode: mode, uid: paxUid ?? uid, gid: paxGid ?? gid,
                                size: paxSize ?? size, link: paxLink ?? longLink ?? cString(block[157..<257]), xattrs: xattrs)
            if kind == "3" || kind == "4" {
                header.devMajor = UInt32(truncatingIfNeeded: try number(block[329..<337], "devmajor"))
                header.devMinor = UInt32(truncatingIfNeeded: try number(block[337..<345], "devminor"))
            }
            return header
        }
    }

    /// Stream an entry's data in chunks, then skip its padding.
    mutating func readData(_ size: Int64, _ body: ([UInt8]) throws -> Void) throws {
        var left = size
        while left > 0 {
            let chunk = try input.read(Int(min(left, 1 << 16)))
            guard !chunk.isEmpty else { throw ImageError("archive truncated inside an entry at byte \(offset)") }
            try body(chunk)
            left -= Int64(chunk.count)
            offset += Int64(chunk.count)
        }
        let pad = (512 - Int(size % 512)) % 512
        if pad > 0 { _ = try input.read(pad); offset += Int64(pad) }
    }

    /// Skip an entry's data and padding (without reading it when the source can seek).
    mutating func skipData(_ size: Int64) throws {
        let padded = size + Int64((512 - Int(size % 512)) % 512)
        try input.skip(padded)
        offset += padded
    }

    private mutating func readAll(_ size: Int64) throws -> [UInt8] {
        guard size < 1 << 24 else { throw ImageError("archive metadata record of \(size) bytes is too large") }
        var out: [UInt8] = []
        try readData(size) { out += $0 }
        return out
    }

    private func verifyChecksum(_ block: [UInt8]) throws {
        var sum = 0
        for (i, b) in block.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        let stored = try number(block[148..<156], "checksum")
        guard stored == Int64(sum) else {
            throw ImageError("not a tar archive, or a corrupt header at byte \(offset - 512) (checksum mismatch)")
        }
    }

    /// Octal ASCII, or GNU base-256 when the high bit of the first byte is set.
    private func number(_ field: ArraySlice<UInt8>, _ what: String) throws -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            var v: Int64 = Int64(first & 0x7f)
            for b in field.dropFirst() { v = v << 8 | Int64(b) }
            return v
        }
        var v: Int64 = 0
        var seen = false
        for b in field {
            if b == 0 || b == 32 { if seen { break } else { continue } }
            guard (48...55).contains(b) else { throw ImageError("bad \(what) field in tar header at byte \(offset - 512)") }
            v = v * 8 + Int64(b - 48)
            seen = true
        }
        return v
    }

    private func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// pax records: "<len> <key>=<value>\n" (a value may be binary: xattrs).
    private func parsePax(_ data: [UInt8]) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: 32), let len = Int(String(decoding: data[i..<space], as: UTF8.self)),
                  len > 0, i + len <= data.count else { break }
            let record = data[(space + 1)..<(i + len - 1)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                out.append((String(decoding: record[..<eq], as: UTF8.self), Array(record[(eq + 1)...])))
            }
            i += len
        }
        return out
    }
}

/// Reads exactly n bytes (fewer only at end of file) from a descriptor.
final class BufferedInput {
    let fd: FileDescriptor
    private var buffer: [UInt8] = []
    private var position = 0

    init(fd: FileDescriptor) { self.fd = fd }

    /// The next `n` bytes without consuming them (fewer at end of file).
    func peek(_ n: Int) throws -> [UInt8] {
        while buffer.count - position < n {
            let more = try fd.read(max: 1 << 17)
            if more.isEmpty { break }
            buffer = Array(buffer[position...]) + more
            position = 0
        }
        return Array(buffer[position..<min(buffer.count, position + n)])
    }

    func read(_ n: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            if position == buffer.count {
                buffer = try fd.read(max: 1 << 17)
                position = 0
                if buffer.isEmpty { break }
            }
            let take = min(n - out.count, buffer.count - position)
            out += buffer[position..<(position + take)]
            position += take
        }
        return out
    }
}

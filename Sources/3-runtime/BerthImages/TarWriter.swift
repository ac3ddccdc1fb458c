/// Writes a tar stream (ustar headers, pax extended headers for long names, large numbers and
/// xattrs, as GNU tar's `--format=pax` does) to a sink. Timestamps are 0 and owner names empty,
/// so the same tree always gives the same bytes.
struct TarWriter {
    struct Entry {
        var path: String
        /// ustar type flag: "0" file, "1" hard link, "2" symlink, "3" char, "4" block, "5" dir, "6" fifo.
        var type: Character
        var mode: UInt32
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var size: Int64 = 0
        var link = ""
        var devMajor: UInt32 = 0
        var devMinor: UInt32 = 0
        var xattrs: [(String, [UInt8])] = []
    }

    let sink: ([UInt8]) throws -> Void
    private(set) var written: Int64 = 0

    init(sink: @escaping ([UInt8]) throws -> Void) { self.sink = sink }

    /// The header (and pax header if needed); the caller then writes exactly `size` bytes with
    /// `writeData` and calls `endData`.
    mutating func begin(_ e: Entry) throws {
        var pax: [(String, [UInt8])] = []
        let name = e.type == "5" && !e.path.hasSuffix("/") ? e.path + "/" : e.path
        if name.utf8.count > 100 { pax.append(("path", Array(name.utf8))) }
        if e.link.utf8.count > 100 { pax.append(("linkpath", Array(e.link.utf8))) }
        if e.size > 0o77777777777 { pax.append(("size", Array(String(e.size).utf8))) }
        if e.uid > 0o7777777 { pax.append(("uid", Array(String(e.uid).utf8))) }
        if e.gid > 0o7777777 { pax.append(("gid", Array(String(e.gid).utf8))) }
        for (k, v) in e.xattrs.sorted(by: { $0.0 < $1.0 }) { pax.append(("SCHILY.xattr." + k, v)) }
        if !pax.isEmpty {
            var body: [UInt8] = []
            for (k, v) in pax { body += Self.paxRecord(k, v) }
            let short = "PaxHeaders/" + String(name.split(separator: "/").last ?? "").prefix(80)
            try emit(Self.header(name: short, type: "x", mode: 0o644, uid: 0, gid: 0, size: Int64(body.count), link: "", major: 0, minor: 0))
            try writeData(body)
            try endData(Int64(body.count))
        }
        try emit(Self.header(name: String(decoding: name.utf8.prefix(100), as: UTF8.self), type: e.type, mode: e.mode,
                             uid: min(e.uid, 0o7777777), gid: min(e.gid, 0o7777777), size: e.size > 0o77777777777 ? 0 : e.size,
                             link: String(decoding: e.link.utf8.prefix(100), as: UTF8.self), major: e.devMajor, minor: e.devMinor))
    }

    mutating func writeData(_ bytes: [UInt8]) throws { try emit(bytes) }

    /// Padding to the next 512-byte block after `size` bytes of data.
    mutating func endData(_ size: Int64) throws {
        let pad = Int((512 - size % 512) % 512)
        if pad > 0 { try emit([UInt8](repeating: 0, count: pad)) }
    }

    /// The end-of-archive marker: two zero blocks.
    mutating func finish() throws { try emit([UInt8](repeating: 0, count: 1024)) }

    private mutating func emit(_ bytes: [UInt8]) throws {
        try sink(bytes)
        written += Int64(bytes.count)
    }

    /// "<len> <key>=<value>\n", where len counts itself.
    static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.count + 1
        var len = rest + String(rest).count
        if String(len).count != String(rest).count { len = rest + String(len).count }
        return Array("\(len) \(key)=".utf8) + value + [10]
    }

    static func header(name: String, type: Character, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, link: String,
                       major: UInt32, minor: UInt32) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: some Collection<UInt8>, _ at: Int) { for (i, b) in s.enumerated() { h[at + i] = b } }
        func octal(_ v: Int64, _ at: Int, _ width: Int) {
            let s = String(v, radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - s.count)) + s).utf8), at)
        }
        put(Array(name.utf8), 0)
        octal(Int64(mode & 0o7777), 100, 8)
        octal(Int64(uid), 108, 8)
        octal(Int64(gid), 116, 8)
        octal(size, 124, 12)
        octal(0, 136, 12)
        put(Array(repeating: UInt8(ascii: " "), count: 8), 148)
        h[156] = type.asciiValue ?? UInt8(ascii: "0")
        put(Array(link.utf8), 157)
        put(Array("ustar\u{0}00".utf8), 257)
        if type == "3" || type == "4" {
            octal(Int64(major), 329, 8)
            octal(Int64(minor), 337, 8)
        }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(Int64(sum), 148, 7)  // six digits, NUL, space
        h[154] = 0
        h[155] = UInt8(ascii: " ")
        return h
    }
}

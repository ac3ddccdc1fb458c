/// Hand-built tar archives for layer tests, written independently of Berth's own tar code:
/// ustar headers, with a pax header when an entry has xattrs or a name over 100 bytes.
public final class TestTar {
    public struct Entry {
        public var name: String
        /// "0" file, "1" hard link, "2" symlink, "3" char, "4" block, "5" dir, "6" fifo.
        public var type: Character
        public var content: [UInt8]
        public var link: String
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var major: UInt32
        public var minor: UInt32
        public var xattrs: [(String, [UInt8])]
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    @discardableResult
    public func file(_ name: String, _ text: String = "", mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                              xattrs: [(String, [UInt8])] = []) -> TestTar {
        entries.append(Entry(name: name, type: "0", content: Array(text.utf8), link: "", mode: mode, uid: uid, gid: gid, major: 0, minor: 0, xattrs: xattrs))
        return self
    }

    @discardableResult
    public func dir(_ name: String, mode: UInt32 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0) -> TestTar {
        entries.append(Entry(name: name, type: "5", content: [], link: "", mode: mode, uid: uid, gid: gid, major: 0, minor: 0, xattrs: []))
        return self
    }

    @discardableResult
    public func symlink(_ name: String, to target: String) -> TestTar {
        entries.append(Entry(name: name, type: "2", content: [], link: target, mode: 0o777, uid: 0, gid: 0, major: 0, minor: 0, xattrs: []))
        return self
    }

    @discardableResult
    public func hardlink(_ name: String, to target: String) -> TestTar {
        entries.append(Entry(name: name, type: "1", content: [], link: target, mode: 0o644, uid: 0, gid: 0, major: 0, minor: 0, xattrs: []))
        return self
    }

    @discardableResult
    public func device(_ name: String, char: Bool = true, major: UInt32, minor: UInt32, mode: UInt32 = 0o666) -> TestTar {
        entries.append(Entry(name: name, type: char ? "3" : "4", content: [], link: "", mode: mode, uid: 0, gid: 0, major: major, minor: minor, xattrs: []))
        return self
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            var pax: [UInt8] = []
            for (k, v) in e.xattrs { pax += Self.record("SCHILY.xattr." + k, v) }
            if e.name.utf8.count > 100 { pax += Self.record("path", Array(e.name.utf8)) }
            if !pax.isEmpty {
                out += Self.header("PaxHeader", "x", pax.count, "", 0o644, 0, 0, 0, 0)
                out += Self.padded(pax)
            }
            out += Self.header(String(e.name.prefix(100)), e.type, e.content.count, e.link, e.mode, e.uid, e.gid, e.major, e.minor)
            out += Self.padded(e.content)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (512 - b.count % 512) % 512) }

    static func record(_ k: String, _ v: [UInt8]) -> [UInt8] {
        let rest = k.utf8.count + v.count + 3
        var n = rest + String(rest).count
        if String(n).count > String(rest).count { n += 1 }
        return Array("\(n) \(k)=".utf8) + v + [10]
    }

    static func header(_ name: String, _ type: Character, _ size: Int, _ link: String, _ mode: UInt32, _ uid: UInt32, _ gid: UInt32,
                       _ major: UInt32, _ minor: UInt32) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int) { for (i, b) in s.utf8.enumerated() { h[at + i] = b } }
        func oct(_ v: Int, _ at: Int, _ w: Int) { let s = String(v, radix: 8); put(String(repeating: "0", count: w - 1 - s.count) + s, at) }
        put(name, 0); oct(Int(mode), 100, 8); oct(Int(uid), 108, 8); oct(Int(gid), 116, 8); oct(size, 124, 12); oct(0, 136, 12)
        put("        ", 148)
        h[156] = type.asciiValue!
        put(link, 157); put("ustar", 257); h[262] = 0; put("00", 263)
        oct(Int(major), 329, 8); oct(Int(minor), 337, 8)
        let sum = h.reduce(0) { $0 + Int($1) }
        oct(sum, 148, 7)
        return h
    }
}

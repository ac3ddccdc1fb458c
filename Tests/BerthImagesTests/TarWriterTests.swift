import BerthSys
import Testing
@testable import BerthImages

/// Berth's tar writer read back by Berth's tar reader (GNU tar, skopeo and umoci: ImageSaveTests): long names and link targets,
/// binary xattrs, large ids, devices, padding.
@Suite struct TarWriterTests {
    final class Bytes: ByteSource {
        var data: [UInt8]; var pos = 0
        init(_ data: [UInt8]) { self.data = data }
        func read(_ n: Int) throws -> [UInt8] { let e = min(data.count, pos + n); defer { pos = e }; return Array(data[pos..<e]) }
    }

    func written(_ entries: [(TarWriter.Entry, [UInt8])]) throws -> [UInt8] {
        var out: [UInt8] = []
        var tar = TarWriter { out += $0 }
        for (e, data) in entries {
            try tar.begin(e)
            if !data.isEmpty { try tar.writeData(data); try tar.endData(Int64(data.count)) }
        }
        try tar.finish()
        return out
    }

    @Test func paxRecordsAndHeadersReadBack() throws {
        let long = String(repeating: "d/", count: 60) + "file"
        let cap: [UInt8] = [0, 0, 0, 2, 0, 0x20, 0, 0, 0, 10, 61, 0xff]  // includes "\n", "=", 0 and 0xff
        let bytes = try written([
            (.init(path: "dir", type: "5", mode: 0o755), []),
            (.init(path: long, type: "0", mode: 0o4755, uid: 5_000_000, gid: 7, size: 3, xattrs: [("security.capability", cap)]), Array("abc".utf8)),
            (.init(path: "l", type: "2", mode: 0o777, link: String(repeating: "t", count: 150)), []),
            (.init(path: "null", type: "3", mode: 0o666, devMajor: 1, devMinor: 3), []),
        ])
        #expect(bytes.count % 512 == 0)
        var reader = TarReader(Bytes(bytes))
        let d = try #require(try reader.next())
        #expect(d.path == "dir/" && d.kind == "5" && d.mode == 0o755)
        let f = try #require(try reader.next())
        #expect(f.path == long && f.mode == 0o4755 && f.uid == 5_000_000 && f.gid == 7 && f.xattrs["security.capability"] == cap)
        var content: [UInt8] = []
        try reader.readData(f.size) { content += $0 }
        #expect(content == Array("abc".utf8))
        let l = try #require(try reader.next())
        #expect(l.kind == "2" && l.link == String(repeating: "t", count: 150))
        let n = try #require(try reader.next())
        #expect(n.kind == "3" && n.devMajor == 1 && n.devMinor == 3)
        #expect(try reader.next() == nil)
        #expect(TarWriter.paxRecord("path", Array("x".utf8)) == Array("9 path=x\n".utf8))
        #expect(TarWriter.paxRecord("k", Array(repeating: 65, count: 93)).count == 99)
        #expect(TarWriter.paxRecord("k", Array(repeating: 65, count: 94)).prefix(4).elementsEqual("101 ".utf8), "a length that gains a digit counts it")
    }
}

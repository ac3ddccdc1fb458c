import BerthSys
import Testing
@testable import BerthImages

/// Bytes in memory as a ByteSource, handed out in reads of at most `chunk` bytes.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private let chunk: Int
    private var position = 0
    init(_ bytes: [UInt8], chunk: Int = 1 << 16) { self.bytes = bytes; self.chunk = chunk }
    func read(_ n: Int) throws -> [UInt8] {
        let take = min(n, chunk, bytes.count - position)
        defer { position += take }
        return Array(bytes[position..<(position + take)])
    }
}

/// The zlib-backed gzip reader the unpacker uses for tar+gzip layers and .tgz imports.
@Suite struct GzipSourceTests {
    func gzip(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var out: [UInt8] = []
        let writer = try GzipWriter(level: level) { out += $0 }
        try writer.write(data)
        try writer.finish()
        return out
    }

    func readAll(_ source: ByteSource, in size: Int = 1 << 16) throws -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try source.read(size)
            if chunk.isEmpty { return out }
            out += chunk
        }
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch let e as ImageError { return e.message } catch { return "\(error)" }
    }

    @Test func roundTripsInAnyReadSizeFromAnyInputChunking() throws {
        var data: [UInt8] = []
        for i in 0..<300_000 { data.append(UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> (i % 7))) }
        data += Array(String(repeating: "some text that compresses well\n", count: 20_000).utf8)
        for level: Int32 in [1, 9] {
            let packed = try gzip(data, level: level)
            #expect(try readAll(GzipSource(MemorySource(packed))) == data)
            #expect(try readAll(GzipSource(MemorySource(packed, chunk: 7)), in: 1000) == data)
            #expect(try readAll(GzipSource(MemorySource(packed)), in: 1) .count == data.count)
        }
        #expect(try readAll(GzipSource(MemorySource(try gzip([])))) == [])
    }

    @Test func concatenatedMembersAreReadInTurn() throws {
        let both = try gzip(Array("hello ".utf8)) + gzip(Array("world".utf8))
        #expect(try readAll(GzipSource(MemorySource(both, chunk: 5))) == Array("hello world".utf8))
    }

    @Test func truncatedCorruptAndForeignStreamsAreRefusedSayingWhat() throws {
        let packed = try gzip(Array(String(repeating: "abcdefgh", count: 10_000).utf8))
        #expect(message { _ = try readAll(GzipSource(MemorySource([]))) } == "gzip stream truncated")
        #expect(message { _ = try readAll(GzipSource(MemorySource(Array(packed.dropLast(4))))) } == "gzip stream truncated")
        var badCRC = packed
        badCRC[badCRC.count - 6] ^= 0xff
        #expect(message { _ = try readAll(GzipSource(MemorySource(badCRC))) } == "gzip: incorrect data check (corrupt archive)")
        var badLength = packed
        badLength[badLength.count - 1] ^= 0xff
        #expect(message { _ = try readAll(GzipSource(MemorySource(badLength))) } == "gzip: incorrect length check (corrupt archive)")
        #expect(message { _ = try readAll(GzipSource(MemorySource(Array("plain text, not gzip".utf8)))) } == "gzip: incorrect header check (corrupt archive)")
        // A second member that is not gzip is refused too (not silently ignored as trailing garbage).
        #expect(message { _ = try readAll(GzipSource(MemorySource(packed + Array("junk".utf8)))) }.hasPrefix("gzip: "))
    }
}

/// libcrypto's SHA-256 (blobs, layers) agrees with BerthSys' portable one and the FIPS vectors.
@Suite struct StreamDigestTests {
    @Test func matchesKnownVectorsAndThePortableImplementation() throws {
        #expect(try StreamDigest().digest == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let abc = try StreamDigest()
        abc.update(Array("abc".utf8))
        #expect(abc.digest == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var data: [UInt8] = []
        for i in 0..<1_000_003 { data.append(UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9)) }
        let streamed = try StreamDigest()
        let sizes = [1, 63, 64, 65, 4096, 100_000]
        var i = 0, k = 0
        while i < data.count {
            let end = min(i + sizes[k % sizes.count], data.count)
            streamed.update(Array(data[i..<end]))
            i = end
            k += 1
        }
        var portable = BerthSys.SHA256()
        portable.update(data)
        #expect(streamed.digest == "sha256:" + portable.hexDigest())
        #expect(streamed.digest == streamed.digest, "reading the digest does not end the stream")
    }
}

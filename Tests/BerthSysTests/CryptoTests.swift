import BerthSys
import Testing

@Suite struct SHA256Tests {
    // FIPS 180-2 appendix B examples.
    @Test func fipsVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func millionAsInPieces() {
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(Hex.encode(h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func anyChunkingGivesTheOneShotDigest() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
        for sizes in [[1], [63], [64], [65], [130, 1, 7], [4096]] {
            var h = SHA256(), offset = 0, i = 0
            while offset < data.count {
                let n = min(sizes[i % sizes.count], data.count - offset)
                h.update(data[offset..<(offset + n)])
                offset += n
                i += 1
            }
            #expect(h.hexDigest() == SHA256.hex(data), "chunks of \(sizes)")
        }
    }

    @Test func paddingBoundaries() {
        // 55, 56 and 64 bytes cross the one-block/two-block padding boundary.
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }
}

@Suite struct HMACTests {
    // RFC 4231 test cases 1, 2, 4 and 6.
    @Test func rfc4231() {
        #expect(Hex.encode(HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), "Hi There"))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hex.encode(HMAC.sha256(key: Array("Jefe".utf8), "what do ya want for nothing?"))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encode(HMAC.sha256(key: (1...25).map { UInt8($0) }, message: [UInt8](repeating: 0xcd, count: 50)))
            == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
        #expect(Hex.encode(HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First"))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func hexRoundTrip() {
        #expect(Hex.decode("00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.equalConstantTime([1, 2], [1, 2]))
        #expect(!Hex.equalConstantTime([1, 2], [1, 3]))
    }
}

import BerthSys
import Foundation
import Testing
@testable import BerthAgent

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

@Suite struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    // AWS IAM documentation: deriving the signing key for 20120215/us-east-1/iam.
    @Test func signingKeyExample() {
        let kDate = HMAC.sha256(key: Array("AWS4\(Self.secret)".utf8), "20120215")
        let kSigning = HMAC.sha256(key: HMAC.sha256(key: HMAC.sha256(key: kDate, "us-east-1"), "iam"), "aws4_request")
        #expect(Hex.encode(kSigning) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    static var vanilla: HTTPRequest {
        HTTPRequest(method: "GET", target: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")], body: [])
    }

    static func verifier(service: String = "service") -> SigV4Verifier {
        var v = SigV4Verifier(region: "us-east-1") { $0 == "AKIDEXAMPLE" ? secret : nil }
        v.service = service
        return v
    }

    static let signedAt = SigV4Verifier.parseAmzDate("20150830T123600Z")!

    // AWS SigV4 test suite, get-vanilla.
    @Test func getVanillaCanonicalRequestAndSignature() {
        let canonical = SigV4Verifier.canonicalRequest(Self.vanilla, signedHeaders: ["host", "x-amz-date"])
        #expect(canonical == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array(canonical.utf8)) == "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        #expect(Self.verifier().verify(Self.vanilla, now: Self.signedAt + 60) == nil)
    }

    @Test func refusals() {
        var r = Self.vanilla
        #expect(Self.verifier().verify(r, now: Self.signedAt + 16 * 60)?.message.hasPrefix("Signature expired") == true)
        #expect(Self.verifier(service: "ecs").verify(r, now: Self.signedAt)?.type == "InvalidSignatureException")
        r.headers[0].value = "other.example.com"
        #expect(Self.verifier().verify(r, now: Self.signedAt)?.type == "InvalidSignatureException")
        r.headers.removeLast()
        #expect(Self.verifier().verify(r, now: Self.signedAt) == AuthFailure(type: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token"))
        var unknown = Self.vanilla
        unknown.headers[2].value = unknown.headers[2].value.replacingOccurrences(of: "AKIDEXAMPLE", with: "AKIDOTHER")
        #expect(Self.verifier().verify(unknown, now: Self.signedAt)?.type == "UnrecognizedClientException")
        var garbage = Self.vanilla
        garbage.headers[2].value = "AWS4-HMAC-SHA256 nonsense"
        #expect(Self.verifier().verify(garbage, now: Self.signedAt)?.type == "IncompleteSignatureException")
    }

    @Test func signerAndVerifierAgree() {
        let creds = AgentCredentials(accessKeyId: "BRTHTEST", secretAccessKey: Self.secret)
        let body = Array(#"{"cluster":"default"}"#.utf8)
        let now = 1_700_000_000.5
        let headers = SigV4Signer(credentials: creds, region: "eu-west-1").sign(method: "POST", path: "/", headers: [
            ("Host", "127.0.0.1:8845"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListTasks"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ], body: body, now: now)
        let verifier = SigV4Verifier(region: "eu-west-1") { $0 == "BRTHTEST" ? Self.secret : nil }
        #expect(verifier.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body), now: now) == nil)
        // A changed body no longer matches.
        #expect(verifier.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body + [0x20]), now: now)?.type == "InvalidSignatureException")
        // Wrong region in the scope.
        let other = SigV4Verifier(region: "us-east-1") { _ in Self.secret }
        #expect(other.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body), now: now)?.message.contains("region") == true)
    }

    @Test func amzDates() {
        #expect(SigV4Verifier.parseAmzDate("19700101T000000Z") == 0)
        #expect(SigV4Verifier.formatAmzDate(1_440_938_160) == "20150830T123600Z")
        #expect(SigV4Verifier.parseAmzDate("20150830T123600Z") == 1_440_938_160)
        #expect(SigV4Verifier.parseAmzDate("2015-08-30T12:36:00Z") == nil)
        #expect(SigV4Verifier.parseAmzDate("20151330T123600Z") == nil)
    }
}

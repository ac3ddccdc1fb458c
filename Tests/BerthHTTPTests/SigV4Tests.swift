import BerthSys
import Foundation
import Testing
@testable import BerthHTTP

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
        SigV4Verifier(region: "us-east-1", service: service) { $0 == "AKIDEXAMPLE" ? secret : nil }
    }

    static let signedAt = UTC.parseAmzDate("20150830T123600Z")!

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
        let creds = SigV4Credentials(accessKeyId: "BRTHTEST", secretAccessKey: Self.secret)
        let body = Array(#"{"cluster":"default"}"#.utf8)
        let now = 1_700_000_000.5
        let headers = SigV4Signer(credentials: creds, region: "eu-west-1", service: "ecs").sign(method: "POST", path: "/", headers: [
            ("Host", "127.0.0.1:8845"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListTasks"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ], body: body, now: now)
        let verifier = SigV4Verifier(region: "eu-west-1", service: "ecs") { $0 == "BRTHTEST" ? Self.secret : nil }
        #expect(verifier.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body), now: now) == nil)
        // A changed body no longer matches.
        #expect(verifier.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body + [0x20]), now: now)?.type == "InvalidSignatureException")
        // Wrong region in the scope.
        let other = SigV4Verifier(region: "us-east-1", service: "ecs") { _ in Self.secret }
        #expect(other.verify(HTTPRequest(method: "POST", target: "/", headers: headers, body: body), now: now)?.message.contains("region") == true)
    }

    @Test func amzDates() {
        #expect(UTC.parseAmzDate("19700101T000000Z") == 0)
        #expect(UTC.amzDate(1_440_938_160) == "20150830T123600Z")
        #expect(UTC.parseAmzDate("20150830T123600Z") == 1_440_938_160)
        #expect(UTC.parseAmzDate("2015-08-30T12:36:00Z") == nil)
        #expect(UTC.parseAmzDate("20151330T123600Z") == nil)
    }
}

import BerthSys
import BerthTestSupport
import Foundation
import Testing

/// `berth image pull` against Debian's docker-registry on loopback: anonymous, Basic over HTTPS
/// with a test CA, Bearer through a token service, a mirror rule for an ECR-style name behind a
/// proxy that drops connections; by tag, by digest, through an index; and each failure a clear
/// error that leaves nothing listed or behind.
@Suite(.serialized) struct RegistryPullTests {
    static let taskDefinition = #"""
        {"family": "pulled", "containerDefinitions": [
          {"name": "main", "image": "IMAGE", "essential": true, "memory": 64}
        ]}
        """#

    @Test func anonymousPullByTagDigestAndIndexRunsAsTask() throws {
        let h = try TaskHarness()
        let w = try RegistryWorld()
        let image = "127.0.0.1:\(w.anonymousPort)/test/app"
        let pull = try w.berth(["pull", image + ":v1"], store: h.images)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("pulled \(image):v1 digest \(w.v1Digest)"), "\(pull.stdout)")
        #expect(pull.stderr.contains("extracting"), "plain progress lines when not a terminal:\n\(pull.stderr)")

        // ENTRYPOINT, CMD, Env, WorkingDir, User and the layers (whiteout, opaque directory) as the image says.
        let r = try h.run(try h.write(Self.taskDefinition.replacingOccurrences(of: "IMAGE", with: image + ":v1")))
        for line in ["main | two", "main | gone-is-gone", "main | data=b", "main | greeting=hi", "main | pwd=/data", "main | uid=1000", "main | links=2", "main | via-symlink"] {
            #expect(r.stdout.contains(line), "expected \(line.debugDescription):\n\(r.stdout)\n\(r.stderr)")
        }
        #expect(r.exitCode("main") == 0)

        // By digest: listed under sha256-<12 hex>, every layer already present.
        let byDigest = try w.berth(["pull", image + "@" + w.v1Digest], store: h.images)
        #expect(byDigest.status == 0, "\(byDigest.stderr)")
        #expect(byDigest.stdout.contains("\(image):sha256-\(w.v1Digest.dropFirst(7).prefix(12)) digest \(w.v1Digest)"), "\(byDigest.stdout)")
        #expect(byDigest.stderr.components(separatedBy: "already present").count - 1 == 3, "\(byDigest.stderr)")
        #expect(!byDigest.stderr.contains("downloading"), "\(byDigest.stderr)")

        // Through an index: this host's platform is the v1 manifest; another platform gives another.
        let multi = try w.berth(["pull", "--quiet", image + ":multi"], store: h.images)
        #expect(multi.status == 0 && multi.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == w.v1Digest, "\(multi.stdout) \(multi.stderr)")
        let arm = try w.berth(["pull", "--quiet", "--platform", "linux/arm64", image + ":multi"], store: h.images)
        #expect(arm.status == 0 && arm.stdout.hasPrefix("sha256:") && !arm.stdout.contains(w.v1Digest), "\(arm.stdout) \(arm.stderr)")
    }

    @Test func missingPlatformAndUnknownTagAreClearErrors() throws {
        let w = try RegistryWorld()
        let image = "127.0.0.1:\(w.anonymousPort)/test/app"
        let other = try w.berth(["pull", image + ":armonly"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("has no manifest for linux/amd64 (it has: linux/arm64, linux/s390x)"), "\(other.stderr)")
        let missing = try w.berth(["pull", image + ":nope"])
        #expect(missing.status == 1 && missing.stderr.contains("not found") && missing.stderr.contains("MANIFEST_UNKNOWN"), "\(missing.stderr)")
        let contents = w.storeContents()
        #expect(!contents.images.contains("armonly") && contents.layers.isEmpty && contents.downloads.isEmpty)
    }

    @Test func basicAuthOverHTTPSWithTestCA() throws {
        let w = try RegistryWorld()
        let certs = try w.makeCertificates()
        let port = try w.registry(tls: (certs.cert, certs.key), auth: try w.htpasswd(user: "alice", password: "s3cret"))
        let image = "127.0.0.1:\(port)/test/app:v1"

        let unknownCA = try w.berth(["pull", image])
        #expect(unknownCA.status == 1 && unknownCA.stderr.contains("certificate verify failed"), "\(unknownCA.stderr)")

        try Files.makeDirectories(w.root + "/certs.d/127.0.0.1:\(port)")
        try Files.writeAtomically(w.root + "/certs.d/127.0.0.1:\(port)/ca.crt", try Files.readBytes(certs.ca))
        let anonymous = try w.berth(["pull", image])
        #expect(anonymous.status == 1 && anonymous.stderr.contains("pull access denied") && anonymous.stderr.contains("without credentials"), "\(anonymous.stderr)")

        #expect(try w.berth(["login", "--username", "alice", "--password-stdin", "127.0.0.1:\(port)"], stdin: "wrong\n").status == 0)
        let bad = try w.berth(["pull", image])
        #expect(bad.status == 1 && bad.stderr.contains("pull access denied") && bad.stderr.contains("as alice"), "\(bad.stderr)")
        #expect(w.storeContents().layers.isEmpty && !w.storeContents().images.contains("test/app"))

        #expect(try w.berth(["login", "--username", "alice", "--password-stdin", "127.0.0.1:\(port)"], stdin: "s3cret\n").status == 0)
        var st = stat()
        stat(w.root + "/auth.json", &st)
        #expect(st.st_mode & 0o777 == 0o600, "the credential file is private")
        let good = try w.berth(["pull", image])
        #expect(good.status == 0 && good.stdout.contains(w.v1Digest), "\(good.stdout)\(good.stderr)")
        #expect(try w.berth(["logout", "127.0.0.1:\(port)"]).status == 0)
        #expect(!((try? Files.read(w.root + "/auth.json")) ?? "").contains("127.0.0.1:\(port)"))
    }

    @Test func bearerTokenFlow() throws {
        let w = try RegistryWorld()
        let token = try w.tokenService(user: "bob", password: "pw")
        let port = try w.registry(auth: token.auth)
        let image = "127.0.0.1:\(port)/test/app:v1"
        let anonymous = try w.berth(["pull", image])
        #expect(anonymous.status == 1 && anonymous.stderr.contains("refused a token anonymously"), "\(anonymous.stderr)")
        #expect(try w.berth(["login", "-u", "bob", "--password-stdin", "127.0.0.1:\(port)"], stdin: "pw").status == 0)
        let pulled = try w.berth(["pull", image])
        #expect(pulled.status == 0 && pulled.stdout.contains(w.v1Digest), "\(pulled.stdout)\(pulled.stderr)")
    }

    @Test func mirrorRuleMapsAnECRNameAndResumesDroppedLayers() throws {
        let w = try RegistryWorld()
        let once = try w.cuttingProxy(to: w.anonymousPort, cutAfter: 100_000, always: false)
        let always = try w.cuttingProxy(to: w.anonymousPort, cutAfter: 100_000, always: true)
        try Files.writeAtomically(w.root + "/registries.json", Array("""
            {"registries": [
              {"host": "*.dkr.ecr.*.amazonaws.com", "mirror": "http://127.0.0.1:\(once)"},
              {"host": "broken.example.com", "mirror": "http://127.0.0.1:\(always)"}
            ]}
            """.utf8))
        let pulled = try w.berth(["pull", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/test/app:v1"])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.contains("pulled 123456789012.dkr.ecr.eu-west-1.amazonaws.com/test/app:v1 digest \(w.v1Digest)"), "\(pulled.stdout)")
        let log = (try? Files.read(w.root + "/registry-\(w.anonymousPort).log")) ?? ""
        #expect(log.contains("\" 206 "), "the dropped layer was resumed with a Range request:\n\(log)")

        let store = w.root + "/store2"
        let dropped = try w.berth(["pull", "broken.example.com/test/app:v1"], store: store)
        #expect(dropped.status == 1 && dropped.stderr.contains("after 4 attempts"), "\(dropped.stderr)")
        let contents = w.storeContents(store)
        #expect(!contents.images.contains("broken") && contents.layers.isEmpty && contents.downloads.isEmpty, "\(contents)")
    }

    @Test func corruptBlobAndManifestAreRefused() throws {
        let w = try RegistryWorld()
        let image = "127.0.0.1:\(w.anonymousPort)/test/app"
        // Same size, one byte changed: only the digest tells.
        let layerFile = w.blobFile(w.layerDigests[2])
        var bytes = try Files.readBytes(layerFile)
        bytes[bytes.count / 2] ^= 0xff
        try Files.writeAtomically(layerFile, bytes)
        let corrupt = try w.berth(["pull", image + ":v1"])
        #expect(corrupt.status == 1 && corrupt.stderr.contains("does not match its digest"), "\(corrupt.stderr)")
        var contents = w.storeContents()
        #expect(!contents.images.contains("test/app") && contents.layers.isEmpty && contents.downloads.isEmpty, "\(contents)")

        let manifestFile = w.blobFile(w.v1Digest)
        var manifest = try Files.readBytes(manifestFile)
        // Still valid JSON (the registry parses it), same size, another digest.
        manifest[manifest.firstIndex(of: UInt8(ascii: " "))!] = UInt8(ascii: "\n")
        try Files.writeAtomically(manifestFile, manifest)
        let wrong = try w.berth(["pull", image + "@" + w.v1Digest])
        #expect(wrong.status == 1 && wrong.stderr.contains("refusing it"), "\(wrong.stderr)")
        contents = w.storeContents()
        #expect(!contents.images.contains("test/app") && contents.layers.isEmpty)
    }
}

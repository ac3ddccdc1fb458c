import BerthHTTP
import BerthJSON
import BerthSys
import BerthTestSupport
import Foundation
import Testing
@testable import BerthImages

/// A settable clock for token expiry.
final class TestClock: @unchecked Sendable {
    var now: Double = 1000
    var function: @Sendable () -> Double { { [self] in now } }
}

@Suite(.serialized) struct RegistryPullerTests {
    let scratch = Scratch()
    var store: ImageStore { ImageStore(root: scratch.path + "/store") }

    func puller(_ registry: FakeRegistry, clock: TestClock = TestClock()) -> RegistryPuller {
        var p = RegistryPuller(store: store, hosts: RegistryHosts(), credentials: CredentialStore(path: scratch.path + "/auth.json"),
                               credentialFiles: [], transport: registry)
        p.clock = clock.function
        return p
    }

    func pull(_ p: RegistryPuller, _ ref: String, _ options: PullOptions = PullOptions()) throws(PullError) -> ImageRecord {
        try p.pull(ref, options: options) { _ in }
    }

    func expectNothingListed() throws {
        #expect(try store.list().isEmpty)
        let layers = ((try? Files.list(store.root + "/layers")) ?? []).filter { !$0.hasPrefix(".") || $0.hasPrefix(".import-") }
        #expect(layers.isEmpty, "\(layers)")
        #expect(((try? Files.list(store.root + "/downloads")) ?? []).isEmpty)
    }

    @Test func bearerPullUsesOneTokenAndStoresTheRegistrysConfig() throws {
        let r = FakeRegistry()
        r.auth = .bearer(user: "u", password: "p", expiresIn: 300)
        let image = r.addImage(tag: "v1", layers: [[("a", "one\n")], [("b", "two\n")], [("c", "three\n")]])
        try CredentialStore(path: scratch.path + "/auth.json").login(r.host, RegistryCredential(username: "u", password: "p"))
        let record = try pull(puller(r), "reg.example.com/app:v1")
        #expect(record.digest == image.manifest.digest && record.id == image.config.digest)
        #expect(record.name == "reg.example.com/app" && record.tag == "v1" && record.layers.count == 3)
        #expect(r.tokenRequests == 1, "one token for the scope, reused for every request")
        #expect(try Files.readBytes(store.root + "/blobs/sha256/" + image.config.digest.dropFirst(7)) == r.blobs[image.config.digest])
        let resolved = try store.resolve("reg.example.com/app@" + image.manifest.digest)
        #expect(resolved.record.tag == "v1" && resolved.config.config.Cmd == ["/bin/true"])

        // A second pull of an image sharing two layers downloads only the third.
        let second = r.addImage(tag: "v2", layers: [[("a", "one\n")], [("b", "two\n")], [("d", "four\n")]])
        let before = r.requests.count
        let record2 = try pull(puller(r), "reg.example.com/app:v2")
        let blobGets = r.requests[before...].filter { $0.url.target.contains("/blobs/") }.map(\.url.target)
        #expect(blobGets.count == 2 && blobGets.contains { $0.hasSuffix(second.layers[2].digest) }, "config and the new layer only: \(blobGets)")
        #expect(Array(record2.layers.prefix(2)) == Array(record.layers.prefix(2)))
    }

    @Test func expiredTokenIsFetchedAgainAndTokenWithoutExpiryLastsSixtySeconds() throws {
        let r = FakeRegistry()
        r.auth = .bearer(user: "u", password: "p", expiresIn: 300)
        r.addImage(tag: "v1", layers: [[("a", "1")]])
        let clock = TestClock()
        let client = RegistryClient(name: RegistryName("reg.example.com/app"), endpoint: RegistryHosts().endpoint(for: RegistryName("reg.example.com/app")),
                                    transport: r, credential: RegistryCredential(username: "u", password: "p"), clock: clock.function)
        try client.ping()
        _ = try client.manifest("v1")
        _ = try client.manifest("v1")
        #expect(r.tokenRequests == 1)
        clock.now += 295  // within the 10 s margin before expiry
        _ = try client.manifest("v1")
        #expect(r.tokenRequests == 2)

        #expect(try BearerToken.parse(Array(#"{"token":"t"}"#.utf8), now: 0).expires == 60)
        #expect(try BearerToken.parse(Array(#"{"access_token":"t","expires_in":5}"#.utf8), now: 0).expires == 60)
        #expect(throws: PullError.self) { try BearerToken.parse(Array("{}".utf8), now: 0) }
    }

    @Test func badCredentialsAndUnknownCredentialNamesAreUnauthorized() throws {
        let r = FakeRegistry()
        r.auth = .bearer(user: "u", password: "p", expiresIn: nil)
        r.addImage(tag: "v1", layers: [[("a", "1")]])
        let creds = CredentialStore(path: scratch.path + "/auth.json")
        try creds.login(r.host, RegistryCredential(username: "u", password: "wrong"))
        let e = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:v1") }
        #expect(e?.kind == .unauthorized && e?.message.contains("as u") == true, "\(e?.message ?? "")")

        let unknown = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:v1", PullOptions(credentialsParameter: "nope")) }
        #expect(unknown?.kind == .unauthorized && unknown?.message.contains("\"nope\"") == true)

        try creds.login(r.host, RegistryCredential(username: "u", password: "p"), name: "ci-creds")
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ci-creds-AbCdEf"
        #expect(try pull(puller(r), "reg.example.com/app:v1", PullOptions(credentialsParameter: arn)).tag == "v1")
        try expectNothingListedExcept("reg.example.com/app")
    }

    func expectNothingListedExcept(_ name: String) throws {
        #expect(try store.list().allSatisfy { $0.name == name })
    }

    @Test func basicChallengeIsAnsweredWithTheStoredCredential() throws {
        let r = FakeRegistry()
        let credential = RegistryCredential(username: "alice", password: "pw")
        r.auth = .basic(credential.basicAuthorization)
        r.addImage(tag: "v1", layers: [[("a", "1")]])
        #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:v1") }
        try CredentialStore(path: scratch.path + "/auth.json").login(r.host, credential)
        #expect(try pull(puller(r), "reg.example.com/app:v1").tag == "v1")
    }

    @Test func blobRedirectedToAnotherHostGetsNoAuthorization() throws {
        let r = FakeRegistry()
        let credential = RegistryCredential(username: "alice", password: "pw")
        r.auth = .basic(credential.basicAuthorization)
        let image = r.addImage(tag: "v1", layers: [[("a", "1")]])
        r.redirected = [image.layers[0].digest]
        try CredentialStore(path: scratch.path + "/auth.json").login(r.host, credential)
        _ = try pull(puller(r), "reg.example.com/app:v1")
        let cdn = r.requests.filter { $0.url.host == "cdn.example.com" }
        #expect(cdn.count == 1 && cdn[0].header("Authorization") == nil)
    }

    @Test func corruptBlobAndWrongManifestDigestAreRefusedLeavingNothing() throws {
        let r = FakeRegistry()
        let image = r.addImage(tag: "v1", layers: [[("a", "1")], [("b", "2")]])
        var bytes = r.blobs[image.layers[1].digest]!
        bytes[0] ^= 1
        r.blobs[image.layers[1].digest] = bytes
        let e = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:v1") }
        #expect(e?.kind == .digestMismatch && e?.message.contains("does not match its digest") == true)
        try expectNothingListed()

        let other = "sha256:" + String(repeating: "a", count: 64)
        r.manifests[other] = r.manifests[image.manifest.digest]
        let m = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app@" + other) }
        #expect(m?.kind == .digestMismatch)
        try expectNothingListed()
    }

    @Test func indexWithoutThisPlatformIsAPlatformError() throws {
        let r = FakeRegistry()
        let arm = r.addImage(tag: nil, arch: "arm64", layers: [[("a", "1")]])
        var entry = arm.manifest
        entry.platform = Platform(os: "linux", architecture: "arm64")
        r.addManifest(ImageIndex(mediaType: MediaType.ociIndex, manifests: [entry]).jsonValue, type: MediaType.ociIndex, tag: "multi")
        let e = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:multi", PullOptions(platform: Platform(os: "linux", architecture: "s390x"))) }
        #expect(e?.kind == .platform && e?.message.contains("linux/arm64") == true, "\(e?.message ?? "")")
        #expect(try pull(puller(r), "reg.example.com/app:multi", PullOptions(platform: Platform(os: "linux", architecture: "arm64"))).digest == arm.manifest.digest)
    }

    @Test func droppedLayerIsResumedWithRangeAndABadContentRangeIsRefused() throws {
        let r = FakeRegistry()
        let image = r.addImage(tag: "v1", layers: [[("big", String(repeating: "x", count: 5000))]])
        r.dropOnce[image.layers[0].digest] = 1000
        _ = try pull(puller(r), "reg.example.com/app:v1")
        #expect(r.requests.contains { $0.header("Range") == "bytes=1000-" })

        let r2 = FakeRegistry()
        let image2 = r2.addImage(tag: "v1", layers: [[("big", String(repeating: "y", count: 5000))]])
        r2.dropOnce[image2.layers[0].digest] = 1000
        r2.badContentRange = "bytes 0-4999/5000"
        let scratch2 = Scratch()
        var p = puller(r2)
        p.store = ImageStore(root: scratch2.path)
        let e = #expect(throws: PullError.self) { try p.pull("reg.example.com/app:v1", options: PullOptions()) { _ in } }
        #expect(e?.message.contains("Content-Range") == true, "\(e?.message ?? "")")
    }

    @Test func abandonedDownloadsAreRemovedAndLiveOnesKept() throws {
        let dir = scratch.path + "/downloads"
        try Files.makeDirectories(dir + "/999999999-1")   // no such process
        try Files.makeDirectories(dir + "/\(getpid())-2")  // this one
        RegistryPuller.removeAbandonedDownloads(dir)
        #expect(try Files.list(dir) == ["\(getpid())-2"])
    }

    @Test func credentialsAreNotSentToAPlainHTTPTokenServiceOfAnHTTPSRegistry() throws {
        let r = FakeRegistry()
        r.auth = .bearer(user: "u", password: "p", expiresIn: nil)
        r.addImage(tag: "v1", layers: [[("a", "1")]])
        let name = RegistryName("reg.example.com/app")
        let client = RegistryClient(name: name, endpoint: RegistryHosts().endpoint(for: name), transport: PlainRealm(r),
                                    credential: RegistryCredential(username: "u", password: "p"))
        try client.ping()
        let e = #expect(throws: PullError.self) { _ = try client.manifest("v1") }
        #expect(e?.kind == .unauthorized && e?.message.contains("plain HTTP") == true)
        #expect(!r.requests.contains { $0.url.host == "auth.example.com" })
    }

    /// The fake registry, with its challenge's realm rewritten to http://.
    struct PlainRealm: HTTPTransport {
        let inner: FakeRegistry
        init(_ inner: FakeRegistry) { self.inner = inner }
        func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse {
            let r = try inner.send(request)
            let headers = r.headers.map { h in (name: h.name, value: h.value.replacingOccurrences(of: "https://auth", with: "http://auth")) }
            return ClientResponse(status: r.status, headers: headers, url: r.url, body: r.body)
        }
    }

    @Test func layersThatDoNotFitBesideTheReserveAreNotDownloaded() throws {
        let r = FakeRegistry()
        let image = r.addImage(tag: "v1", layers: [[("a", "1")]])
        var p = puller(r)
        p.limits.minFreeSpace = .percent(100)
        let e = #expect(throws: PullError.self) { try pull(p, "reg.example.com/app:v1") }
        #expect(e?.message.contains("no room to download") == true, "\(e?.message ?? "")")
        #expect(!r.requests.contains { $0.url.target.hasSuffix(image.layers[0].digest) })
        try expectNothingListed()
    }

    @Test func missingTagIsNotFound() throws {
        let r = FakeRegistry()
        let e = #expect(throws: PullError.self) { try pull(puller(r), "reg.example.com/app:nope") }
        #expect(e?.kind == .notFound && e?.message.contains("MANIFEST_UNKNOWN") == true)
        let bad = #expect(throws: PullError.self) { try pull(puller(r), "UPPER/case") }
        #expect(bad?.kind == .invalidReference)
    }
}

@Suite struct RegistryConfigTests {
    @Test func namesFollowDockerRules() {
        #expect(RegistryName("nginx") == RegistryName(registry: "docker.io", repository: "library/nginx"))
        #expect(RegistryName("nginx").endpointHost == "registry-1.docker.io")
        #expect(RegistryName("org/app") == RegistryName(registry: "docker.io", repository: "org/app"))
        #expect(RegistryName("ghcr.io/o/a") == RegistryName(registry: "ghcr.io", repository: "o/a"))
        #expect(RegistryName("localhost/a") == RegistryName(registry: "localhost", repository: "a"))
        #expect(RegistryName("reg:5000/a/b") == RegistryName(registry: "reg:5000", repository: "a/b"))
    }

    @Test func hostsRulesMatchPatternsAndPickSchemes() throws {
        let hosts = try RegistryHosts.parse(Array("""
            {"registries": [
              {"host": "*.dkr.ecr.*.amazonaws.com", "mirror": "http://127.0.0.1:5000"},
              {"host": "docker.io", "mirror": "mirror.example.com"},
              {"host": "lan.example:5000", "insecure": true}
            ]}
            """.utf8), file: "r.json")
        let ecr = hosts.endpoint(for: RegistryName("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"))
        #expect(ecr == RegistryEndpoint(host: "127.0.0.1:5000", schemes: ["http"], mirrored: true))
        #expect(hosts.endpoint(for: RegistryName("nginx")) == RegistryEndpoint(host: "mirror.example.com", schemes: ["https"], mirrored: true))
        #expect(hosts.endpoint(for: RegistryName("lan.example:5000/a")).schemes == ["https", "http"])
        #expect(hosts.endpoint(for: RegistryName("ghcr.io/a/b")).schemes == ["https"])
        #expect(hosts.endpoint(for: RegistryName("127.0.0.1:5000/a")).schemes == ["https", "http"])
        #expect(!RegistryHosts.matches(pattern: "*.dkr.ecr.*.amazonaws.com", "a.b.dkr.ecr.x.amazonaws.com"))
        #expect(RegistryHosts.matches(pattern: "*.example.com", "A.example.com"))

        #expect(throws: PullError.self) { try RegistryHosts.parse(Array(#"{"registries": [{"host": "x", "mirrors": ["y"]}]}"#.utf8), file: "r.json") }
        #expect(throws: PullError.self) { try RegistryHosts.parse(Array(#"{"registries": [{"host": "x", "mirror": "ftp://y/z"}]}"#.utf8), file: "r.json") }
    }

    @Test func challengesParse() {
        let c = AuthChallenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#)
        #expect(c?.scheme == "bearer" && c?.parameters["realm"] == "https://auth.docker.io/token" && c?.parameters["service"] == "registry.docker.io")
        #expect(c?.parameters["scope"] == "repository:library/nginx:pull")
        #expect(AuthChallenge.parse(#"Basic realm="x""#)?.scheme == "basic")
        #expect(AuthChallenge.parse("Negotiate abc") == nil)
    }

    @Test func dockerAndPodmanCredentialFilesAreRead() throws {
        let s = Scratch()
        let auth = Data("bob:pw".utf8).base64EncodedString()
        s.write("docker/config.json", #"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(auth)"}, "ghcr.io": {"username": "g", "password": "h"}}}"#)
        s.write("podman.json", #"{"auths": {"quay.io": {"auth": "\#(auth)"}}}"#)
        let paths = CredentialFiles.paths(store: CredentialStore(path: s.path + "/berth.json"),
                                          environment: ["DOCKER_CONFIG": s.path + "/docker", "REGISTRY_AUTH_FILE": s.path + "/podman.json"])
        #expect(CredentialFiles.find("docker.io", in: paths) == RegistryCredential(username: "bob", password: "pw"))
        #expect(CredentialFiles.find("ghcr.io", in: paths) == RegistryCredential(username: "g", password: "h"))
        #expect(CredentialFiles.find("quay.io", in: paths)?.username == "bob")
        #expect(CredentialFiles.find("other.io", in: paths) == nil)

        let store = CredentialStore(path: s.path + "/state/auth.json")
        try store.login("ghcr.io", RegistryCredential(username: "x", password: "y:z"))
        #expect(try store.credential(for: "ghcr.io") == RegistryCredential(username: "x", password: "y:z"))
        var st = stat()
        stat(store.path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try store.logout("ghcr.io") && !(try store.logout("ghcr.io")))
        #expect(try store.credential(for: "ghcr.io") == nil)
    }
}

/// Pulled layers are named by their verified diff_id; a store whose earlier pulls named layers by
/// the canonical tree digest (before that change) still serves them to later pulls.
@Suite(.serialized) struct PulledLayerNamingTests {
    let scratch = Scratch()
    var store: ImageStore { ImageStore(root: scratch.path + "/store") }

    func pull(_ r: FakeRegistry, _ ref: String) throws -> ImageRecord {
        let p = RegistryPuller(store: store, hosts: RegistryHosts(), credentials: CredentialStore(path: scratch.path + "/auth.json"),
                               credentialFiles: [], transport: r)
        return try p.pull(ref, options: PullOptions()) { _ in }
    }

    @Test func pulledLayersAreNamedByDiffIDAndOlderStoresStillServeTheirLayers() throws {
        let r = FakeRegistry()
        let v1 = r.addImage(tag: "v1", layers: [[("a", "one\n")], [("b", "two\n")]])
        let record = try pull(r, "reg.example.com/app:v1")
        // The fake registry's layers are plain tars: each blob digest is its diff_id.
        #expect(record.layers == v1.layers.map(\.digest))
        #expect(try Files.read(store.layerPath(record.layers[1]) + "/b") == "two\n")

        // Make the store look like one written before: layer 0 under another name, found through diffids/.
        let old = "sha256:" + String(repeating: "ab", count: 32)
        #expect(rename(store.layerPath(record.layers[0]), store.layerPath(old)) == 0)
        let size = try Files.read(store.diffIDDirectory + "/" + record.layers[0].hexPart).split(separator: " ")[1]
        try Files.writeAtomically(store.diffIDDirectory + "/" + record.layers[0].hexPart, Array("\(old) \(size)".utf8))
        let index = try Files.read(store.indexPath).replacingOccurrences(of: record.layers[0], with: old)
        try Files.writeAtomically(store.indexPath, Array(index.utf8))

        let v2 = r.addImage(tag: "v2", layers: [[("a", "one\n")], [("b", "two\n")], [("c", "three\n")]])
        let before = r.requests.count
        let record2 = try pull(r, "reg.example.com/app:v2")
        let layerGets = r.requests[before...].filter { $0.url.target.contains("/blobs/") && !$0.url.target.hasSuffix(v2.config.digest) }
        #expect(layerGets.count == 1 && layerGets[0].url.target.hasSuffix(v2.layers[2].digest), "only the new layer is downloaded: \(layerGets.map(\.url.target))")
        #expect(record2.layers == [old, v1.layers[1].digest, v2.layers[2].digest])
        #expect(try store.lowerDirs(record2).map { try Files.list($0) } == [["c"], ["b"], ["a"]])
        // Garbage collection keeps what is used under either naming.
        try store.remove("reg.example.com/app:v1")
        #expect(Files.isDirectory(store.layerPath(old)) && Files.isDirectory(store.layerPath(v1.layers[1].digest)))
    }
}

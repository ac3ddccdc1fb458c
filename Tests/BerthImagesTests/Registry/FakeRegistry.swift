import BerthHTTP
import BerthJSON
import BerthSys
import Foundation
@testable import BerthImages

/// An in-memory registry behind the `HTTPTransport` seam: blobs and manifests by digest, tags,
/// an optional auth mode (Bearer with a token service, or Basic), and hooks to break things.
final class FakeRegistry: HTTPTransport, @unchecked Sendable {
    enum Auth { case none, basic(String), bearer(user: String, password: String, expiresIn: Int?) }

    let host = "reg.example.com"
    var auth: Auth = .none
    var blobs: [String: [UInt8]] = [:]
    var manifests: [String: (bytes: [UInt8], type: String)] = [:]
    var tags: [String: String] = [:]
    /// Blob digest → bytes after which its first GET drops.
    var dropOnce: [String: Int] = [:]
    /// Answer a Range request with this Content-Range instead of the right one.
    var badContentRange: String?
    /// Blob digests served from another host through a 307 redirect.
    var redirected: Set<String> = []

    private let lock = NSLock()
    private(set) var requests: [ClientRequest] = []
    private var tokensIssued = 0
    var tokenRequests: Int { lock.lock(); defer { lock.unlock() }; return tokensIssued }
    var validTokens: Set<String> = []

    func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse {
        lock.lock()
        requests.append(request)
        lock.unlock()
        let url = request.url
        func reply(_ status: Int, _ headers: [(name: String, value: String)] = [], _ body: [UInt8] = [], dropAfter: Int? = nil) -> ClientResponse {
            ClientResponse(status: status, headers: headers + [("Content-Length", String(body.count))], url: url, body: BytesBody(body, dropAfter: dropAfter))
        }
        if url.host == "auth.example.com" { return tokenAnswer(request, reply) }
        if url.host == "cdn.example.com" {
            let digest = String(url.target.dropFirst("/blob/".count))
            return reply(200, [], blobs[digest] ?? [])
        }
        guard url.host == host else { throw HTTPFetchError(.connect, "cannot connect to \(url.authority)") }
        // Authentication.
        let given = request.header("Authorization")
        switch auth {
        case .none: break
        case .basic(let expected):
            if given != expected { return reply(401, [("WWW-Authenticate", "Basic realm=\"fake\"")]) }
        case .bearer:
            lock.lock()
            let ok = given.map { validTokens.contains(String($0.dropFirst("Bearer ".count))) } ?? false
            lock.unlock()
            if !ok {
                return reply(401, [("WWW-Authenticate", "Bearer realm=\"https://auth.example.com/token\",service=\"fake-registry\",scope=\"repository:app:pull\"")],
                             Array(#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.utf8))
            }
        }
        if url.target == "/v2/" { return reply(200, [], Array("{}".utf8)) }
        let parts = url.target.split(separator: "/").map(String.init)  // v2 app manifests ref
        guard parts.count == 4 else { return reply(404) }
        if parts[2] == "manifests" {
            let digest = tags[parts[3]] ?? parts[3]
            guard let m = manifests[digest] else {
                return reply(404, [], Array(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.utf8))
            }
            return reply(200, [("Content-Type", m.type), ("Docker-Content-Digest", digest)], m.bytes)
        }
        let digest = parts[3]
        guard let blob = blobs[digest] else { return reply(404) }
        if redirected.contains(digest) { return reply(307, [("Location", "https://cdn.example.com/blob/\(digest)")]) }
        if let range = request.header("Range"), let start = Int(range.dropFirst("bytes=".count).dropLast()) {
            let contentRange = badContentRange ?? "bytes \(start)-\(blob.count - 1)/\(blob.count)"
            return reply(206, [("Content-Range", contentRange)], Array(blob[start...]))
        }
        lock.lock()
        let drop = dropOnce.removeValue(forKey: digest)
        lock.unlock()
        return reply(200, [], blob, dropAfter: drop)
    }

    private func tokenAnswer(_ request: ClientRequest, _ reply: (Int, [(name: String, value: String)], [UInt8], Int?) -> ClientResponse) -> ClientResponse {
        guard case .bearer(let user, let password, let expiresIn) = auth,
              request.header("Authorization") == RegistryCredential(username: user, password: password).basicAuthorization,
              request.url.target.contains("service=fake-registry"), request.url.target.contains("scope=repository%3Aapp%3Apull") else {
            return reply(401, [], [], nil)
        }
        lock.lock()
        tokensIssued += 1
        let token = "token-\(tokensIssued)"
        validTokens.insert(token)
        lock.unlock()
        let body = expiresIn.map { #"{"access_token":"\#(token)","expires_in":\#($0)}"# } ?? #"{"token":"\#(token)"}"#
        return reply(200, [], Array(body.utf8), nil)
    }

    // MARK: content

    @discardableResult
    func addBlob(_ bytes: [UInt8]) -> Descriptor {
        let digest = "sha256:" + SHA256.hex(bytes)
        blobs[digest] = bytes
        return Descriptor(digest: digest, size: Int64(bytes.count))
    }

    @discardableResult
    func addManifest(_ json: JSONValue, type: String, tag: String? = nil) -> Descriptor {
        let bytes = json.serializedBytes()
        let digest = "sha256:" + SHA256.hex(bytes)
        manifests[digest] = (bytes, type)
        if let tag { tags[tag] = digest }
        return Descriptor(mediaType: type, digest: digest, size: Int64(bytes.count))
    }

    /// An image of uncompressed tar layers (each a list of path → content) for `arch`.
    @discardableResult
    func addImage(tag: String?, arch: String = Platform.host.architecture, layers: [[(String, String)]]) -> (manifest: Descriptor, config: Descriptor, layers: [Descriptor]) {
        let tars = layers.map { Tar.make($0) }
        var layerDescs = tars.map { addBlob($0) }
        for i in layerDescs.indices { layerDescs[i].mediaType = MediaType.ociLayer }
        let config = JSONValue.obj([("architecture", .string(arch)), ("os", .string("linux")),
                                    ("config", .obj([("Cmd", .array([.string("/bin/true")]))])),
                                    ("rootfs", .obj([("type", .string("layers")), ("diff_ids", .array(layerDescs.map { .string($0.digest) }))]))])
        var configDesc = addBlob(config.serializedBytes())
        configDesc.mediaType = MediaType.ociConfig
        let manifest = ImageManifest(mediaType: MediaType.ociManifest, config: configDesc, layers: layerDescs)
        return (addManifest(manifest.jsonValue, type: MediaType.ociManifest, tag: tag), configDesc, layerDescs)
    }
}

/// Minimal ustar writer for test layers (regular files, parents implied).
enum Tar {
    static func make(_ files: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, text) in files {
            let data = Array(text.utf8)
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ s: String, _ at: Int) { for (i, b) in s.utf8.enumerated() { h[at + i] = b } }
            put(name, 0)
            put("0000644\0", 100); put("0000000\0", 108); put("0000000\0", 116)
            put(String(String(data.count, radix: 8).leftPadded(11)) + "\0", 124)
            put("00000000000\0", 136)
            put("        ", 148)
            h[156] = UInt8(ascii: "0")
            put("ustar\0", 257); put("00", 263)
            let sum = h.reduce(0) { $0 + Int($1) }
            put(String(String(sum, radix: 8).leftPadded(6)) + "\0 ", 148)
            out += h + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

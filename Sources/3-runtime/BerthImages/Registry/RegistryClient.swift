import BerthHTTP
import BerthJSON
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The distribution API of one repository on one registry endpoint: `GET /v2/` (which also
/// picks https or, where allowed, http), manifests and blobs, with anonymous, Basic and Bearer
/// authentication. Every manifest and blob is checked against the digest it was asked by and
/// the size its descriptor declares before it is handed back.
public final class RegistryClient: @unchecked Sendable {
    public let name: RegistryName
    public let endpoint: RegistryEndpoint
    let transport: HTTPTransport
    let credential: RegistryCredential?
    let clock: @Sendable () -> Double
    let tokens = TokenCache()
    /// Attempts per blob when the connection drops (each resumes with Range where it can).
    public var blobAttempts = 4

    private let lock = NSLock()
    private var base: HTTPURL?
    private var challenge: AuthChallenge?

    public init(name: RegistryName, endpoint: RegistryEndpoint, transport: HTTPTransport, credential: RegistryCredential?,
                clock: @escaping @Sendable () -> Double = monotonicNow) {
        self.name = name
        self.endpoint = endpoint
        self.transport = FollowRedirects(transport)
        self.credential = credential
        self.clock = clock
    }

    static let maxManifestBytes = 4 << 20
    static let maxConfigBytes = 8 << 20

    // MARK: API version check

    /// `GET /v2/` over the first scheme that answers; a 401 tells which authentication to use.
    public func ping() throws(PullError) {
        var failure: PullError?
        for scheme in endpoint.schemes {
            guard let url = HTTPURL(string: "\(scheme)://\(endpoint.host)/v2/") else {
                throw PullError(.invalidReference, "\(endpoint.host) is not a usable registry host")
            }
            do {
                let response = try transport.send(ClientRequest(url: url))
                response.body.close()
                lock.lock()
                base = HTTPURL(scheme: url.scheme, host: url.host, port: url.port, target: "/")
                if response.status == 401 { challenge = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse) }
                lock.unlock()
                return
            } catch {
                let mapped = Self.map(error, endpoint.host)
                // A server that speaks TLS but whose certificate is refused is not retried in plain HTTP.
                if failure == nil { failure = mapped }
                if scheme == "https", error.kind == .tls, error.message.contains("certificate") { throw mapped }
                if error.kind == .connect, error.message.hasPrefix("cannot resolve") { throw mapped }
            }
        }
        throw failure ?? PullError(.network, "\(endpoint.host): no way to reach it")
    }

    // MARK: manifests

    /// A manifest or index by tag or digest: its bytes, media type and digest (computed here;
    /// when asked by digest, or with `expected`, it must match, as must the declared size).
    public func manifest(_ reference: String, expected: Descriptor? = nil) throws(PullError) -> (bytes: [UInt8], mediaType: String?, digest: String) {
        let response = try get("/v2/\(name.repository)/manifests/\(reference)", accept: MediaType.manifestAccept, what: "manifest \(name.repository)\(reference.hasPrefix("sha256:") ? "@" : ":")\(reference)")
        let bytes: [UInt8]
        do { bytes = try response.readAll(limit: Self.maxManifestBytes) } catch { throw Self.map(error, endpoint.host) }
        let digest = "sha256:" + SHA256.hex(bytes)
        let wanted = expected?.digest ?? (reference.hasPrefix("sha256:") ? reference : nil)
        if let wanted, wanted != digest {
            throw PullError(.digestMismatch, "manifest \(name)@\(wanted) from \(endpoint.host) has digest \(digest): refusing it")
        }
        if let size = expected?.size, Int64(bytes.count) != size {
            throw PullError(.digestMismatch, "manifest \(name)@\(digest) is \(bytes.count) bytes, its descriptor says \(size)")
        }
        let type = (try? JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast))?["mediaType"]?.stringValue
            ?? response.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        return (bytes, type, digest)
    }

    // MARK: blobs

    /// A small blob (an image config) in memory, verified.
    public func blobBytes(_ descriptor: Descriptor) throws(PullError) -> [UInt8] {
        let limit = Int(min(descriptor.size ?? Int64(Self.maxConfigBytes), Int64(Self.maxConfigBytes)))
        let response = try get("/v2/\(name.repository)/blobs/\(descriptor.digest)", accept: [], what: "blob \(descriptor.digest)")
        let bytes: [UInt8]
        do { bytes = try response.readAll(limit: limit) } catch { throw Self.map(error, endpoint.host) }
        try Self.verify(descriptor, digest: "sha256:" + SHA256.hex(bytes), size: Int64(bytes.count), what: "blob")
        return bytes
    }

    /// A blob streamed into `path`, resumed with a Range request (or restarted when the server
    /// ignores it) after a dropped connection, and verified against its digest and size.
    /// `progress` hears the bytes written so far; `cancelled` is polled between reads.
    public func download(_ descriptor: Descriptor, to path: String, progress: (Int64) -> Void = { _ in },
                         cancelled: () -> Bool = { false }) throws(PullError) {
        let out: FileDescriptor
        do { out = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600) } catch {
            throw PullError(.other, "cannot write \(path): \(error)")
        }
        defer { out.close() }
        var hash: StreamDigest
        do { hash = try StreamDigest() } catch { throw PullError(.other, "blob \(descriptor.digest): \(error.message)") }
        var written: Int64 = 0
        var attempt = 0
        let declared = descriptor.size
        while true {
            attempt += 1
            let resumeAt = written
            do {
                let response = try get("/v2/\(name.repository)/blobs/\(descriptor.digest)", accept: [], what: "blob \(descriptor.digest)",
                                       range: resumeAt > 0 ? resumeAt : nil)
                if resumeAt > 0 {
                    if response.status == 206 {
                        guard let range = response.header("Content-Range"), Self.rangeStart(range) == resumeAt else {
                            response.body.close()
                            throw PullError(.other, "blob \(descriptor.digest): the registry answered a resume from byte \(resumeAt) with Content-Range \(response.header("Content-Range") ?? "(none)")")
                        }
                    } else {
                        // The whole blob again: start over.
                        do { try Sys.call("ftruncate") { ftruncate(out.rawValue, 0) }; _ = lseek(out.rawValue, 0, SEEK_SET) } catch {
                            throw PullError(.other, "cannot rewrite \(path): \(error)")
                        }
                        hash = try StreamDigest()
                        written = 0
                    }
                }
                while true {
                    if cancelled() { response.body.close(); throw PullError(.other, "cancelled") }
                    let chunk = try response.body.read(1 << 17)
                    if chunk.isEmpty { break }
                    written += Int64(chunk.count)
                    if let declared, written > declared {
                        response.body.close()
                        throw PullError(.digestMismatch, "blob \(descriptor.digest) from \(endpoint.host) is longer than the \(declared) bytes its descriptor declares")
                    }
                    hash.update(chunk)
                    do { try out.writeAll(chunk) } catch { throw PullError(.other, "cannot write \(path): \(error)") }
                    progress(written)
                }
                break
            } catch let error as HTTPFetchError {
                guard (error.kind == .dropped || error.kind == .timeout), attempt < blobAttempts else {
                    throw Self.map(error, endpoint.host, what: "blob \(descriptor.digest) (after \(attempt) attempts, \(written) bytes)")
                }
            } catch let error as PullError {
                throw error
            } catch {
                throw PullError(.other, "\(error)")
            }
        }
        try Self.verify(descriptor, digest: hash.digest, size: written, what: "blob")
    }

    static func verify(_ descriptor: Descriptor, digest: String, size: Int64, what: String) throws(PullError) {
        if let declared = descriptor.size, declared != size {
            throw PullError(.digestMismatch, "\(what) \(descriptor.digest) is \(size) bytes, its descriptor declares \(declared)")
        }
        guard digest == descriptor.digest else {
            throw PullError(.digestMismatch, "\(what) \(descriptor.digest) does not match its digest (content hashes to \(digest)): corrupt or tampered blob")
        }
    }

    /// The first byte position of `bytes N-M/T`.
    static func rangeStart(_ header: String) -> Int64? {
        let t = header.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("bytes ") else { return nil }
        return Int64(t.dropFirst(6).prefix { $0 != "-" })
    }

    // MARK: requests with authentication

    /// A GET on the chosen endpoint, authenticated as the last challenge asked; a 401 is answered
    /// once (a new token, or Basic credentials). 2xx is returned; anything else is an error.
    func get(_ path: String, accept: [String], what: String, range: Int64? = nil) throws(PullError) -> ClientResponse {
        lock.lock()
        let base = self.base
        lock.unlock()
        guard let base else { throw PullError(.other, "RegistryClient: ping() first") }
        var request = ClientRequest(url: HTTPURL(scheme: base.scheme, host: base.host, port: base.port, target: path))
        if !accept.isEmpty { request.setHeader("Accept", accept.joined(separator: ", ")) }
        if let range { request.setHeader("Range", "bytes=\(range)-") }
        var retried = false
        while true {
            request.setHeader("Authorization", try authorization(refresh: false))
            let response: ClientResponse
            do { response = try transport.send(request) } catch { throw Self.map(error, endpoint.host, what: what) }
            if (200..<300).contains(response.status) { return response }
            let body = (try? response.readAll(limit: 64 << 10)) ?? []
            if response.status == 401, !retried, let c = response.header("WWW-Authenticate").flatMap(AuthChallenge.parse) {
                lock.lock()
                let changed = challenge != c
                challenge = c
                lock.unlock()
                if changed || c.scheme == "bearer" {
                    retried = true
                    request.setHeader("Authorization", try authorization(refresh: true))
                    continue
                }
            }
            throw statusError(response.status, body, what: what)
        }
    }

    /// The Authorization header value for the current challenge (nil: anonymous).
    private func authorization(refresh: Bool) throws(PullError) -> String? {
        lock.lock()
        let c = challenge
        lock.unlock()
        guard let c else { return nil }
        if c.scheme == "basic" { return credential?.basicAuthorization }
        guard let realm = c.parameters["realm"] else { throw PullError(.unauthorized, "\(endpoint.host) asks for a Bearer token without naming a realm") }
        let scope = "repository:\(name.repository):pull"
        let service = c.parameters["service"]
        let key = [realm, service ?? "", scope].joined(separator: " ")
        if !refresh, let token = tokens.get(key, now: clock()) { return "Bearer " + token }
        let token = try fetchToken(realm: realm, service: service, scope: scope)
        tokens.put(key, token)
        return "Bearer " + token.token
    }

    private func fetchToken(realm: String, service: String?, scope: String) throws(PullError) -> BearerToken {
        var items: [(String, String)] = []
        if let service { items.append(("service", service)) }
        items.append(("scope", scope))
        guard var url = HTTPURL(string: realm) else { throw PullError(.unauthorized, "\(endpoint.host): token realm \(realm.debugDescription) is not an http(s) URL") }
        url.target += (url.target.contains("?") ? "&" : "?") + HTTPURL.query(items)
        var request = ClientRequest(url: url)
        if let credential {
            // A password goes over plain HTTP only where the registry itself is plain HTTP (loopback or insecure) or to loopback.
            lock.lock()
            let registryPlain = base?.scheme == "http"
            lock.unlock()
            guard url.scheme == "https" || registryPlain || isLoopback(url.host) else {
                throw PullError(.unauthorized, "\(endpoint.host): refusing to send credentials to the token service \(url.authority) over plain HTTP")
            }
            request.setHeader("Authorization", credential.basicAuthorization)
        }
        let response: ClientResponse
        do { response = try transport.send(request) } catch { throw Self.map(error, url.authority, what: "token") }
        let body: [UInt8]
        do { body = try response.readAll(limit: 1 << 20) } catch { throw Self.map(error, url.authority, what: "token") }
        guard response.status == 200 else {
            let who = credential.map { "as \($0.username)" } ?? "anonymously"
            throw PullError(.unauthorized, "pull access denied for \(name): the token service \(url.authority) refused a token \(who) (HTTP \(response.status)\(Self.registryMessage(body).map { ": " + $0 } ?? ""))")
        }
        return try BearerToken.parse(body, now: clock())
    }

    func statusError(_ status: Int, _ body: [UInt8], what: String) -> PullError {
        let detail = Self.registryMessage(body).map { ": " + $0 } ?? ""
        switch status {
        case 401, 403:
            let who = credential.map { "as \($0.username)" } ?? "without credentials (berth image login \(name.registry))"
            return PullError(.unauthorized, "pull access denied for \(name) \(who): \(what) answered \(status)\(detail)")
        case 404:
            return PullError(.notFound, "\(name): \(what) not found on \(endpoint.host)\(detail)")
        case 429:
            return PullError(.other, "\(endpoint.host): too many requests (429) for \(what)\(detail)")
        default:
            return PullError(.other, "\(endpoint.host): \(what) answered HTTP \(status)\(detail)")
        }
    }

    /// `errors[0].code: message` of a registry error body.
    static func registryMessage(_ body: [UInt8]) -> String? {
        guard let json = try? JSONValue.parse(bytes: body, duplicateKeys: .keepLast) else { return nil }
        if let first = json["errors"]?.arrayValue?.first {
            return [first["code"]?.stringValue, first["message"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
        }
        return json["details"]?.stringValue ?? json["error"]?.stringValue
    }

    static func map(_ error: HTTPFetchError, _ host: String, what: String? = nil) -> PullError {
        let prefix = what.map { "\($0) from \(host): " } ?? "\(host): "
        switch error.kind {
        case .tls: return PullError(.tls, prefix + error.message)
        case .timeout: return PullError(.timeout, prefix + error.message)
        case .connect, .dropped: return PullError(.network, prefix + error.message)
        case .protocolError, .redirect: return PullError(.other, prefix + error.message)
        }
    }
}

import BerthHTTP
import BerthJSON
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ImagePulling` over the network: resolves a reference through the hosts configuration,
/// authenticates with the credentials found for the registry, picks the platform's manifest,
/// downloads the config and the layers not already in the store (at most `parallelDownloads` at
/// once) into a temporary directory of the store, verifies each, then, under the store's lock,
/// unpacks the layers through the same safe unpacker as `berth image import` and commits the
/// image with the registry's config blob and manifest digest. On failure nothing is listed and
/// nothing of the pull is left behind.
public struct RegistryPuller: ImagePulling {
    public var store: ImageStore
    public var hosts: RegistryHosts
    public var credentials: CredentialStore
    /// Docker/Podman credential files read after Berth's own.
    public var credentialFiles: [String]
    public var transport: HTTPTransport
    public var parallelDownloads = 3
    public var limits = ImportLimits()
    public var clock: @Sendable () -> Double = monotonicNow

    public init(store: ImageStore, hosts: RegistryHosts, credentials: CredentialStore, credentialFiles: [String], transport: HTTPTransport) {
        self.store = store
        self.hosts = hosts
        self.credentials = credentials
        self.credentialFiles = credentialFiles
        self.transport = transport
    }

    /// The directory of extra CA certificates per registry (`HOST[:PORT]/*.crt`, as Docker's certs.d).
    public static let defaultCertsDirectory = "/etc/berth/certs.d"

    /// The real HTTP client, trusting the system CAs plus `certsDirectory/HOST:PORT/*.crt` and
    /// `certsDirectory/HOST/*.crt`.
    public static func transport(certsDirectory: String = defaultCertsDirectory) -> HTTPTransport {
        var options = HTTPStreamClient.Options()
        options.caFiles = { host, port in caFiles(certsDirectory, host: host, port: port) }
        return HTTPStreamClient(options)
    }

    static func caFiles(_ dir: String, host: String, port: UInt16) -> [String] {
        ["\(host):\(port)", host].flatMap { sub -> [String] in
            let d = dir + "/" + sub
            return ((try? Files.list(d)) ?? []).filter { $0.hasSuffix(".crt") || $0.hasSuffix(".pem") }.sorted().map { d + "/" + $0 }
        }
    }

    public func pull(_ reference: String, options: PullOptions,
                     progress: @escaping @Sendable (PullProgress) -> Void) throws(PullError) -> ImageRecord {
        do {
            return try pullNamed(reference, options: options, progress: progress)
        } catch {
            // Every reason names the image, as ECS's CannotPullContainerError does.
            throw error.message.contains(reference) ? error : PullError(error.kind, "\(reference): \(error.message)")
        }
    }

    private func pullNamed(_ reference: String, options: PullOptions,
                           progress: @escaping @Sendable (PullProgress) -> Void) throws(PullError) -> ImageRecord {
        let ref: ImageReference
        do { ref = try ImageReference(parsing: reference) } catch { throw PullError(.invalidReference, error.message) }
        let name = RegistryName(ref.name)
        let endpoint = hosts.endpoint(for: name)
        let client = RegistryClient(name: name, endpoint: endpoint, transport: transport, credential: try credential(for: name, endpoint, options), clock: clock)
        progress(PullProgress(digest: nil, phase: .resolving))
        try client.ping()
        let platform = options.platform ?? .host
        let (manifest, manifestDigest) = try resolveManifest(client, ref, platform)
        let configBytes = try client.blobBytes(manifest.config)
        let config: OCIImageConfig
        do { config = try OCIImageConfig.read(json: configBytes) } catch {
            throw PullError(.other, "\(name)@\(manifestDigest): config \(manifest.config.digest) is not an image config: \(error)")
        }
        if let p = config.platform, !p.matches(platform) {
            throw PullError(.platform, "\(name):\(ref.tag) is for \(p), not \(platform) (give --platform to pull another)")
        }
        guard let diffIDs = config.diffIDs, diffIDs.count == manifest.layers.count else {
            throw PullError(.other, "\(name)@\(manifestDigest): the config lists \(config.diffIDs?.count ?? 0) layers (rootfs.diff_ids), the manifest \(manifest.layers.count)")
        }
        for layer in manifest.layers {
            guard let type = layer.mediaType, MediaType.layerCompression(type) != nil else {
                throw PullError(.badLayer, "\(name)@\(manifestDigest): layer \(layer.digest) has media type \(layer.mediaType ?? "(none)"), not a layer type")
            }
            guard Digest.sha256Hex(layer.digest) != nil else { throw PullError(.other, "layer digest \(layer.digest) is not sha256:<hex>") }
        }
        Self.removeAbandonedDownloads(store.root + "/downloads")
        let downloads = store.root + "/downloads/\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try Files.makeDirectories(downloads, mode: 0o700) } catch { throw PullError(.other, "cannot create \(downloads): \(error)") }
        defer { try? Files.removeTree(downloads) }
        let present = manifest.layers.indices.map { store.presentLayer(diffID: diffIDs[$0]) }
        for (i, layer) in manifest.layers.enumerated() where present[i] != nil {
            progress(PullProgress(digest: layer.digest, phase: .alreadyPresent, completedBytes: layer.size ?? 0, totalBytes: layer.size))
        }
        let needed = manifest.layers.indices.filter { present[$0] == nil }
        // The compressed layers must fit beside the free-space reserve before any is fetched.
        do {
            let space = try ImportBudget(limits: ImportLimits(minFreeSpace: limits.minFreeSpace), store: downloads)
            try space.consume(Int(needed.reduce(Int64(0)) { $0 + (manifest.layers[$1].size ?? 0) }))
        } catch {
            throw PullError(.other, "\(name)@\(manifestDigest): no room to download its layers: \(error)")
        }
        // Each worker downloads a layer, verifies it and unpacks it into the pull's directory (outside
        // the store's lock, so downloads and unpacking overlap); the lock is taken only to commit.
        let unpacked = UnpackedLayers()
        try ParallelDownloads.run(needed.map { (manifest.layers[$0], diffIDs[$0]) }, width: parallelDownloads) { item, cancelled throws(PullError) in
            let (layer, diffID) = item
            progress(PullProgress(digest: layer.digest, phase: .downloading, completedBytes: 0, totalBytes: layer.size))
            let file = downloads + "/" + layer.digest.hexPart
            var last: Int64 = 0
            try client.download(layer, to: file, progress: { n in
                if n - last >= 1 << 18 || n == layer.size {
                    last = n
                    progress(PullProgress(digest: layer.digest, phase: .downloading, completedBytes: n, totalBytes: layer.size))
                }
            }, cancelled: cancelled)
            progress(PullProgress(digest: layer.digest, phase: .verifying, completedBytes: layer.size ?? last, totalBytes: layer.size))
            if cancelled() { throw PullError(.other, "cancelled") }
            progress(PullProgress(digest: layer.digest, phase: .extracting, completedBytes: layer.size ?? last, totalBytes: layer.size))
            unpacked.set(layer.digest, try store.unpackPulled(file, layer, diffID: diffID, limits: limits, context: "\(name)@\(manifestDigest)"))
            unlink(file)
            progress(PullProgress(digest: layer.digest, phase: .done, completedBytes: layer.size ?? last, totalBytes: layer.size))
        }
        let layers = manifest.layers.enumerated().map { i, d in
            PulledLayer(descriptor: d, diffID: diffIDs[i], unpacked: unpacked.get(d.digest))
        }
        let storeRef = ImageReference(name: ref.name, tag: Self.storeTag(reference, ref))
        let record: ImageRecord
        do {
            record = try store.commitPull(storeRef, layers: layers, config: config, configBytes: configBytes, manifestDigest: manifestDigest)
        } catch let e as PullError {
            throw e
        } catch {
            throw PullError(.other, "\(name)@\(manifestDigest): \(error)")
        }
        progress(PullProgress(digest: nil, phase: .done, completedBytes: record.size))
        return record
    }

    /// Download directories (`PID-RANDOM`) of pulls whose process is gone (killed mid-pull).
    static func removeAbandonedDownloads(_ dir: String) {
        for name in (try? Files.list(dir)) ?? [] {
            guard let pid = Int32(name.split(separator: "-").first ?? ""), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? Files.removeTree(dir + "/" + name) }
        }
    }

    /// The tag the store lists a pull under: the reference's own, or for a pull by digest alone
    /// `sha256-<first 12 hex digits>` (the store needs one; the record's digest is the full one).
    static func storeTag(_ raw: String, _ ref: ImageReference) -> String {
        guard let digest = ref.digest else { return ref.tag }
        let beforeDigest = raw.split(separator: "@", maxSplits: 1)[0]
        if let colon = beforeDigest.lastIndex(of: ":"), !beforeDigest[colon...].contains("/") { return ref.tag }
        return "sha256-" + String(digest.hexPart.prefix(12))
    }

    /// The credential for this pull: the one stored under the task definition's
    /// credentialsParameter, or else the first credential file that has one for the endpoint
    /// (a mirror) or the registry.
    func credential(for name: RegistryName, _ endpoint: RegistryEndpoint, _ options: PullOptions) throws(PullError) -> RegistryCredential? {
        if let credential = options.credential { return credential }
        if let parameter = options.credentialsParameter {
            let found: (registry: String, credential: RegistryCredential)?
            do { found = try credentials.named(parameter) } catch { throw PullError(.other, "\(credentials.path): \(error)") }
            guard let found else {
                throw PullError(.unauthorized, "repositoryCredentials.credentialsParameter \(parameter.debugDescription): no credential stored under that name (berth image login --name NAME \(name.registry))")
            }
            return found.credential
        }
        let files = [credentials.path] + credentialFiles
        return CredentialFiles.find(endpoint.host, in: files) ?? CredentialFiles.find(name.registry, in: files)
    }

    /// The image manifest for `platform`, through at most two levels of index.
    func resolveManifest(_ client: RegistryClient, _ ref: ImageReference, _ platform: Platform) throws(PullError) -> (ImageManifest, String) {
        var (bytes, type, digest) = try client.manifest(ref.digest ?? ref.tag)
        for _ in 0..<3 {
            if MediaType.isIndex(type) || (type == nil && (try? JSONValue.parse(bytes: bytes))?["manifests"] != nil) {
                let index: ImageIndex
                do { index = try ImageIndex.read(json: bytes) } catch { throw PullError(.other, "\(client.name)@\(digest): bad index: \(error)") }
                guard let chosen = index.select(platform) else {
                    let offered = index.manifests.compactMap { $0.platform?.description }
                    throw PullError(.platform, "\(client.name):\(ref.tag) has no manifest for \(platform) (it has: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))")
                }
                (bytes, type, digest) = try client.manifest(chosen.digest, expected: chosen)
                continue
            }
            guard type == nil || MediaType.isManifest(type) else {
                throw PullError(.other, "\(client.name)@\(digest): unsupported manifest media type \(type ?? "")")
            }
            do { return (try ImageManifest.read(json: bytes), digest) } catch {
                throw PullError(.other, "\(client.name)@\(digest): bad manifest: \(error)")
            }
        }
        throw PullError(.other, "\(client.name): indexes nested too deep")
    }
}

/// A layer of a pull: unpacked into a directory of the pull, or already in the store (nil).
struct PulledLayer {
    var descriptor: Descriptor
    var diffID: String
    var unpacked: UnpackedLayer?
}

/// A layer tree unpacked outside the store, to be moved in under its digest.
struct UnpackedLayer: Sendable {
    var dir: String
    var digest: String
    var size: Int64
}

/// What the download workers unpacked, by blob digest.
final class UnpackedLayers: @unchecked Sendable {
    private let lock = NSLock()
    private var layers: [String: UnpackedLayer] = [:]
    func set(_ digest: String, _ layer: UnpackedLayer) { lock.lock(); layers[digest] = layer; lock.unlock() }
    func get(_ digest: String) -> UnpackedLayer? { lock.lock(); defer { lock.unlock() }; return layers[digest] }
}

private final class DownloadState: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var failure: PullError?
}

/// Runs `work` over `items` on at most `width` threads; the first error cancels the rest.
enum ParallelDownloads {
    static func run<T: Sendable>(_ items: [T], width: Int, _ work: @escaping @Sendable (T, () -> Bool) throws(PullError) -> Void) throws(PullError) {
        guard !items.isEmpty else { return }
        let state = DownloadState()
        let group = DispatchGroup()
        for _ in 0..<min(width, items.count) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    state.lock.lock()
                    guard state.failure == nil, state.next < items.count else { state.lock.unlock(); return }
                    let item = items[state.next]
                    state.next += 1
                    state.lock.unlock()
                    do throws(PullError) {
                        try work(item) { state.lock.lock(); defer { state.lock.unlock() }; return state.failure != nil }
                    } catch {
                        state.lock.lock()
                        if state.failure == nil || state.failure?.message == "cancelled" { state.failure = error }
                        state.lock.unlock()
                        return
                    }
                }
            }
            thread.start()
        }
        group.wait()
        if let failure = state.failure { throw failure }
    }
}

extension RegistryPuller {
    /// The puller as Berth's commands and agent use it: the hosts file, Berth's credential file,
    /// the user's Docker and Podman credential files from `environment`, certs per registry.
    public static func standard(store: ImageStore, registriesFile: String = RegistryHosts.defaultPath,
                                authFile: String = CredentialStore.defaultPath, certsDirectory: String = defaultCertsDirectory,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws(PullError) -> RegistryPuller {
        let credentials = CredentialStore(path: authFile)
        return RegistryPuller(store: store, hosts: try RegistryHosts.load(registriesFile), credentials: credentials,
                              credentialFiles: Array(CredentialFiles.paths(store: credentials, environment: environment).dropFirst()),
                              transport: transport(certsDirectory: certsDirectory))
    }
}

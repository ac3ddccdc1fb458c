/// The seam between what runs tasks (the task engine, `berth run`, the agent) and what fetches
/// images from registries. The registry client implements it over the network; tests of the
/// layers above use a double. A pull leaves the image in the local `ImageStore` and returns its
/// record; `ImageRecord.digest` is the manifest digest that ECS reports as `imageDigest`.
public protocol ImagePulling: Sendable {
    /// Fetch `reference` (as a task definition or a user names it: `nginx`, `ghcr.io/o/a:v1`,
    /// `reg:5000/app@sha256:...`) into the store. Blocks the calling thread until the image is
    /// stored or the pull failed; `progress` is called from any thread.
    func pull(_ reference: String, options: PullOptions,
              progress: @escaping @Sendable (PullProgress) -> Void) throws(PullError) -> ImageRecord
}

public struct PullOptions: Sendable, Equatable {
    /// The platform to select from an index; nil = this host's.
    public var platform: Platform?
    /// A task definition's `repositoryCredentials.credentialsParameter`: the name (or ARN) of a
    /// credential stored locally; nil = the credentials configured for the registry, if any.
    public var credentialsParameter: String?
    /// The credential `credentialsParameter` named in the local Secrets Manager, resolved when
    /// the task started; when set it is used instead of looking the parameter up.
    public var credential: RegistryCredential?

    public init(platform: Platform? = nil, credentialsParameter: String? = nil, credential: RegistryCredential? = nil) {
        self.platform = platform
        self.credentialsParameter = credentialsParameter
        self.credential = credential
    }
}

/// What a pull is doing, for a progress display.
public struct PullProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case resolving, waiting, downloading, verifying, extracting, alreadyPresent, done
    }
    /// The blob (layer or config) concerned; nil for the image as a whole (resolving, done).
    public var digest: String?
    public var phase: Phase
    public var completedBytes: Int64
    /// The size the manifest declares, when known.
    public var totalBytes: Int64?

    public init(digest: String?, phase: Phase, completedBytes: Int64 = 0, totalBytes: Int64? = nil) {
        self.digest = digest
        self.phase = phase
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
    }
}

/// Why a pull failed, classified as ECS and Docker report it.
public struct PullError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The reference is malformed.
        case invalidReference
        /// The registry has no such repository, tag or digest.
        case notFound
        /// Credentials missing or refused (401/403).
        case unauthorized
        /// Certificate or TLS handshake failure.
        case tls
        /// The registry did not answer in time.
        case timeout
        /// Connection refused, reset or dropped; DNS failure.
        case network
        /// The index has no manifest for the requested platform.
        case platform
        /// A manifest or blob did not match its digest or declared size.
        case digestMismatch
        /// A layer was refused by the unpacker (unsafe path, over a limit, bad compression).
        case badLayer
        /// Anything else (the local store could not be written, the registry answered nonsense).
        case other
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
    /// The reason ECS puts in a stopped task's `stoppedReason` and a container's `reason`.
    public var ecsReason: String { "CannotPullContainerError: " + message }
}

import BerthECS
import BerthImages
import BerthSys

/// Where a task's images come from: the local store, and a registry through the shared
/// `PullCoordinator` when one is configured, under a pull policy (`ImagePullPolicy`).
public struct TaskImageSource: Sendable {
    public var store: ImageStore
    /// nil: no registry configured; images come from the store only (as policy `never`).
    public var coordinator: PullCoordinator?
    public var policy: ImagePullPolicy
    public var history: (any PullHistory)?
    public var clock: @Sendable () -> Double

    public init(store: ImageStore, coordinator: PullCoordinator? = nil, policy: ImagePullPolicy = .default,
                history: (any PullHistory)? = nil, clock: @escaping @Sendable () -> Double = { wallClockNow() }) {
        self.store = store
        self.coordinator = coordinator
        self.policy = policy
        self.history = history
        self.clock = clock
    }

    /// The policy in force: without a registry nothing can be pulled.
    public var effectivePolicy: ImagePullPolicy { coordinator == nil ? .never : policy }

    /// The image of every container, in definition order, pulled as the policy says. Blocks while
    /// pulling. `onPullStart` hears the time the first pull starts. Throws `ImagePullFailure`
    /// (ECS's CannotPullContainerError) or, for an image neither cached nor pulled, the store's
    /// `TranslationError` (kind `.image`).
    public func provision(_ td: TaskDefinitionInput, onPullStart: @Sendable (Double) -> Void = { _ in },
                          progress: @escaping @Sendable (String, PullProgress) -> Void = { _, _ in }) throws -> ProvisionedImages {
        var out = ProvisionedImages()
        let platform = Self.platform(td.runtimePlatform)
        for (i, c) in td.containers.enumerated() {
            let reference = c.image ?? ""
            let cached: ImageRecord?
            let missing: ImageError?
            do { (cached, missing) = (try store.resolve(reference).record, nil) } catch let e as ImageError { (cached, missing) = (nil, e) }
            let decision = effectivePolicy.decide(cached: cached != nil, pulledBefore: history?.contains(reference) ?? false)
            switch decision {
            case .useCached:
                out.records.append(cached!)
            case .missing:
                throw TranslationError("containerDefinitions[\(i)].image", missing?.message ?? "image \(reference) not found", kind: .image)
            case .pull(let fallBack):
                guard let coordinator else { throw TranslationError("containerDefinitions[\(i)].image", "no registry configured", kind: .image) }
                let started = clock()
                if out.pullStartedAt == nil {
                    out.pullStartedAt = started
                    onPullStart(started)
                }
                let options = PullOptions(platform: platform, credentialsParameter: c.repositoryCredentials?.credentialsParameter)
                do {
                    let record = try coordinator.pull(reference, options: options) { progress(reference, $0) }
                    out.pullStoppedAt = clock()
                    history?.record(reference)
                    out.records.append(record)
                } catch {
                    out.pullStoppedAt = clock()
                    guard fallBack, let cached else {
                        throw ImagePullFailure(container: c.name ?? "", index: i, reference: reference, error: error,
                                               pullStartedAt: out.pullStartedAt, pullStoppedAt: out.pullStoppedAt)
                    }
                    out.fellBack.append(reference)
                    out.records.append(cached)
                }
            }
        }
        return out
    }

    /// A task definition's `runtimePlatform` as the platform to select from an index; nil (this
    /// host's) when it names none. Validation already refused platforms this host cannot run.
    public static func platform(_ p: RuntimePlatform?) -> Platform? {
        guard let arch = p?.cpuArchitecture else { return nil }
        switch arch {
        case .x86_64: return Platform(os: "linux", architecture: "amd64")
        case .arm64: return Platform(os: "linux", architecture: "arm64", variant: "v8")
        }
    }
}

/// The images a task will run, one per container in definition order, and when pulling
/// happened (both nil when every image came from the store without a pull, as ECS leaves
/// `pullStartedAt`/`pullStoppedAt` unset for cached images).
public struct ProvisionedImages: Sendable, Equatable {
    public var records: [ImageRecord] = []
    /// When the first pull started.
    public var pullStartedAt: Double?
    /// When the last pull ended (successfully or not).
    public var pullStoppedAt: Double?
    /// References whose pull failed under policy `default` and that run from the cached image.
    public var fellBack: [String] = []

    public init(records: [ImageRecord] = [], pullStartedAt: Double? = nil, pullStoppedAt: Double? = nil) {
        self.records = records
        self.pullStartedAt = pullStartedAt
        self.pullStoppedAt = pullStoppedAt
    }

    /// ECS's container `imageDigest`: the manifest digest; for an image made here from a root
    /// filesystem (no manifest) the config id, as Docker's image id, so the field is never empty.
    public static func imageDigest(_ record: ImageRecord) -> String { record.digest ?? record.id }
}

/// A pull that failed the task: ECS stops it with TaskFailedToStart and
/// `CannotPullContainerError: <the registry's reason>` as the task's and the container's reason.
public struct ImagePullFailure: Error, Sendable, CustomStringConvertible {
    public var container: String
    public var index: Int
    public var reference: String
    public var error: PullError
    public var pullStartedAt: Double?
    public var pullStoppedAt: Double?

    public var ecsReason: String { error.ecsReason }
    public var description: String { ecsReason }
}

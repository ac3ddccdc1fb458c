import BerthECS
import BerthImages
import BerthSys
import Dispatch
import Synchronization

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
    /// pulling; the task's distinct images are pulled at once, each on its own thread, and one
    /// image named by several containers is pulled once. `onPullStart` hears the time pulling
    /// starts, `willPull` each reference about to be pulled. Throws `ImagePullFailure` (ECS's
    /// CannotPullContainerError, for the first container in definition order whose pull failed)
    /// or, for an image neither cached nor pulled, the store's `TranslationError` (kind `.image`).
    public func provision(_ td: TaskDefinitionInput, onPullStart: @Sendable (Double) -> Void = { _ in },
                          willPull: (String) -> Void = { _ in },
                          progress: @escaping @Sendable (String, PullProgress) -> Void = { _, _ in },
                          secrets: TaskSecrets = .none) throws -> ProvisionedImages {
        let platform = Self.platform(td.runtimePlatform)
        var choices: [Choice] = []
        var pulls: [Pull] = []
        for (i, c) in td.containers.enumerated() {
            let reference = c.image ?? ""
            let cached: ImageRecord?
            let missing: ImageError?
            do { (cached, missing) = (try store.resolve(reference).record, nil) } catch let e as ImageError { (cached, missing) = (nil, e) }
            switch effectivePolicy.decide(cached: cached != nil, pulledBefore: history?.contains(Self.historyKey(reference)) ?? false) {
            case .useCached:
                guard let cached else { preconditionFailure("useCached is decided only for a cached image") }
                choices.append(.cached(cached))
            case .missing:
                throw TranslationError("containerDefinitions[\(i)].image", missing?.message ?? "image \(reference) not found", kind: .image)
            case .pull(let fallBack):
                let pull = Pull(reference: reference, options: PullOptions(platform: platform, credentialsParameter: c.repositoryCredentials?.credentialsParameter,
                                                                          credential: i < secrets.registry.count ? secrets.registry[i] : nil))
                let index = pulls.firstIndex(of: pull) ?? { pulls.append(pull); return pulls.count - 1 }()
                choices.append(.pulled(index, fallBack: fallBack ? cached : nil))
            }
        }
        var out = ProvisionedImages()
        var results: [Result<ImageRecord, PullError>] = []
        if !pulls.isEmpty {
            let started = clock()
            out.pullStartedAt = started
            onPullStart(started)
            for pull in pulls { willPull(pull.reference) }
            results = pullAll(pulls, progress: progress)
            out.pullStoppedAt = clock()
        }
        for (i, choice) in choices.enumerated() {
            switch choice {
            case .cached(let record): out.records.append(record)
            case .pulled(let index, let fallBack):
                switch results[index] {
                case .success(let record): out.records.append(record)
                case .failure(let error):
                    guard let fallBack else {
                        throw ImagePullFailure(container: td.containers[i].name ?? "", index: i, reference: pulls[index].reference, error: error,
                                               pullStartedAt: out.pullStartedAt, pullStoppedAt: out.pullStoppedAt)
                    }
                    if !out.fellBack.contains(pulls[index].reference) { out.fellBack.append(pulls[index].reference) }
                    out.records.append(fallBack)
                }
            }
        }
        return out
    }

    enum Choice {
        case cached(ImageRecord)
        /// The result of `pulls[index]`; on failure, the cached image when the policy falls back.
        case pulled(Int, fallBack: ImageRecord?)
    }

    struct Pull: Equatable {
        var reference: String
        var options: PullOptions
    }

    /// Every pull at once, each on its own thread (pulls wait on the network, not the CPU);
    /// successes are recorded in the history. Results in the order of `pulls`.
    func pullAll(_ pulls: [Pull], progress: @escaping @Sendable (String, PullProgress) -> Void) -> [Result<ImageRecord, PullError>] {
        guard let coordinator else { return pulls.map { _ in .failure(PullError(.other, "no registry configured")) } }
        let results = Mutex<[Int: Result<ImageRecord, PullError>]>([:])
        let group = DispatchGroup()
        for (i, pull) in pulls.enumerated() {
            group.enter()
            DispatchQueue(label: "berth.pull.\(i)").async { [history] in
                let result: Result<ImageRecord, PullError>
                do throws(PullError) {
                    result = .success(try coordinator.pull(pull.reference, options: pull.options) { progress(pull.reference, $0) })
                    history?.record(Self.historyKey(pull.reference))
                } catch { result = .failure(error) }
                results.withLock { $0[i] = result }
                group.leave()
            }
        }
        group.wait()
        return results.withLock { r in pulls.indices.map { r[$0]! } }
    }

    /// The name `once` remembers a reference by: its normalised form, so `busybox` and
    /// `docker.io/library/busybox:latest` are one image (a malformed reference as written).
    static func historyKey(_ reference: String) -> String {
        (try? ImageReference(parsing: reference))?.description ?? reference
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

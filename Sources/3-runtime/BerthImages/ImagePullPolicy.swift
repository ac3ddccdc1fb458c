/// When a task's image is fetched from its registry, as the ECS agent's `ECS_IMAGE_PULL_BEHAVIOR`
/// (docs.aws.amazon.com/AmazonECS/latest/developerguide/pull-behavior.html), plus Docker's
/// `never`. Configured by `berth agent --image-pull-behavior` (or the environment variable) and
/// `berth run --pull`.
public enum ImagePullPolicy: String, Sendable, CaseIterable {
    /// Pull every time; if the pull fails, use the cached image (and fail only without one).
    case `default`
    /// Pull every time; a failed pull fails the task.
    case always
    /// Pull only if no earlier task pulled this reference here (or the cached image is gone).
    case once
    /// Use the cached image when there is one, else pull (Docker's `missing`).
    case preferCached = "prefer-cached"
    /// Never contact a registry: only the local store (Docker's `never`; not an ECS value).
    case never

    /// The ECS names, then Docker's `--pull` names as aliases (`missing` = prefer-cached).
    public init(parsing text: String) throws(ImageError) {
        switch text {
        case "missing": self = .preferCached
        default:
            guard let p = ImagePullPolicy(rawValue: text) else {
                throw ImageError("unknown image pull behavior \(text.debugDescription): expected default, always, once, prefer-cached or never (Docker's missing = prefer-cached)")
            }
            self = p
        }
    }

    /// What to do for one image. Pure: `cached` = the local store has the reference,
    /// `pulledBefore` = a task on this host pulled it successfully before (`PullHistory`).
    public func decide(cached: Bool, pulledBefore: Bool) -> PullDecision {
        switch self {
        case .default: return .pull(fallBackToCached: cached)
        case .always: return .pull(fallBackToCached: false)
        // The ECS agent skips the pull only when its own pull succeeded earlier and the image
        // is still there; an image put there by other means (an import) is pulled once.
        case .once: return cached && pulledBefore ? .useCached : .pull(fallBackToCached: false)
        case .preferCached: return cached ? .useCached : .pull(fallBackToCached: false)
        case .never: return cached ? .useCached : .missing
        }
    }
}

/// The outcome of `ImagePullPolicy.decide`.
public enum PullDecision: Sendable, Equatable {
    /// Use the image in the local store, no registry involved.
    case useCached
    /// Pull; when the pull fails and `fallBackToCached`, use the cached image instead.
    case pull(fallBackToCached: Bool)
    /// Not in the store and not to be pulled: the task fails to start.
    case missing
}

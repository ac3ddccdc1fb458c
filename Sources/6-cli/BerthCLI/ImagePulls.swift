import BerthImages
import BerthOCI
import BerthTasks

/// How `berth run` and `berth agent` get images from registries: the registry client, the pull
/// policy (`--pull`, `--image-pull-behavior`, `ECS_IMAGE_PULL_BEHAVIOR`) and the history the
/// `once` policy consults.
enum ImagePulls {
    /// THE place where the registry client is plugged in: the `ImagePulling` that fetches
    /// images into the store at `imagesRoot` (`RegistryPuller` with /etc/berth/registries.json,
    /// Berth's credential file, the user's Docker/Podman credential files and
    /// /etc/berth/certs.d). A malformed registries.json is an error, not a build without pulls.
    /// `args` may name other files than the defaults: `--registries`, `--auth-file`, `--certs-dir`
    /// (as `berth image pull` takes them).
    static func makeImagePuller(imagesRoot: String, args: Arguments) throws -> (any ImagePulling)? {
        do {
            return try RegistryPuller.standard(store: ImageStore(root: imagesRoot),
                                               registriesFile: args.value("--registries") ?? RegistryHosts.defaultPath,
                                               authFile: args.value("--auth-file") ?? CredentialStore.defaultPath,
                                               certsDirectory: args.value("--certs-dir") ?? RegistryPuller.defaultCertsDirectory)
        } catch {
            throw UsageError(error.message)
        }
    }

    /// The image source of an engine: the store, and the registry (shared pulls) when there is one.
    static func source(imagesRoot: String, dataRoot: String, policy: ImagePullPolicy,
                       puller: (any ImagePulling)?) -> TaskImageSource {
        TaskImageSource(store: ImageStore(root: imagesRoot), coordinator: puller.map(PullCoordinator.init(puller:)), policy: policy,
                        history: FilePullHistory(path: dataRoot + "/pulled-images"))
    }

    /// A policy named by `option` (`--pull`, `--image-pull-behavior`, `ECS_IMAGE_PULL_BEHAVIOR`);
    /// without a registry client, `always` and `once` cannot be honoured and are refused.
    /// Unset, Berth uses `prefer-cached` (Docker's and Podman's `missing`), not the ECS agent's
    /// `default`: on a developer's machine an image in the store (imported from an archive, a
    /// root filesystem, or pulled before) is used as it is, and a task start does not wait on a
    /// registry that may be unreachable. ECS's behaviour is one setting away
    /// (`ECS_IMAGE_PULL_BEHAVIOR=default`).
    static let unsetPolicy = ImagePullPolicy.preferCached

    static func policy(_ raw: String?, option: String, registry: Bool) throws(UsageError) -> ImagePullPolicy {
        guard let raw else { return unsetPolicy }
        let policy: ImagePullPolicy
        do { policy = try ImagePullPolicy(parsing: raw) } catch { throw UsageError("\(option): \(error.message)") }
        if !registry, policy == .always || policy == .once {
            throw UsageError("\(option) \(raw): this berth has no registry client, so images cannot be pulled; use default, prefer-cached or never (images from the local store)")
        }
        return policy
    }
}

import BerthInit
import BerthJSON

/// `linux.seccomp` as written in a bundle's config.json, with the profile decoded from those
/// bytes: the seccomp cache hashes the bytes (`SeccompCache.key`) instead of serialising the
/// decoded profile again on every start. Bytes that differ only in spacing or key order give
/// another key (one more compile), never a wrong program.
public struct SeccompSource: Sendable {
    public let bytes: ArraySlice<UInt8>
    /// What `bytes` decoded to: the cache uses the bytes only for this very profile.
    public let profile: Spec.Seccomp

    public init(bytes: ArraySlice<UInt8>, profile: Spec.Seccomp) {
        self.bytes = bytes
        self.profile = profile
    }

    /// The span of `linux.seccomp` in `config` (already decoded to `spec`); nil without a
    /// profile or when the span cannot be told cheaply (an escaped key on the way).
    public init?(config: [UInt8], spec: Spec) {
        guard let profile = spec.linux?.seccomp, let range = JSONSpan.find(["linux", "seccomp"], in: config) else { return nil }
        self.init(bytes: config[range], profile: profile)
    }
}

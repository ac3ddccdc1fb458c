import BerthImages
import BerthSys
import Foundation

/// An `ImagePulling` double: "pulls" by importing a local root filesystem (or answers with a
/// scripted error), optionally holding every pull until the test lets it go. Records every call.
public final class DoublePuller: ImagePulling, @unchecked Sendable {
    public struct Call: Sendable, Equatable {
        public var reference: String
        public var options: PullOptions
        public init(reference: String, options: PullOptions) {
            self.reference = reference
            self.options = options
        }
    }

    let lock = NSLock()
    let store: ImageStore?
    let rootfs: String?
    var calls_: [Call] = []
    var errors: [String: PullError] = [:]
    var gate: DispatchSemaphore?
    var started_ = 0

    /// `store`/`rootfs`: where a successful pull imports from (nil: every pull fails unless scripted).
    public init(store: ImageStore? = nil, rootfs: String? = nil) {
        self.store = store
        self.rootfs = rootfs
    }

    /// Every pull waits until `release()` (once per waiting pull) from now on.
    public func hold() { lock.withLock { gate = DispatchSemaphore(value: 0) } }
    public func release(_ n: Int = 1) { let g = lock.withLock { gate }; for _ in 0..<n { g?.signal() } }
    /// Pulls of `reference` fail with `error`.
    public func fail(_ reference: String, _ error: PullError) { lock.withLock { errors[reference] = error } }

    public var calls: [Call] { lock.withLock { calls_ } }
    /// Pulls that have begun (including those held).
    public var started: Int { lock.withLock { started_ } }

    /// The manifest digest the double reports for `reference`.
    public static func digest(_ reference: String) -> String { "sha256:" + SHA256.hex(Array(("manifest of " + reference).utf8)) }

    public func pull(_ reference: String, options: PullOptions,
                     progress: @escaping @Sendable (PullProgress) -> Void) throws(PullError) -> ImageRecord {
        let gate = lock.withLock { () -> DispatchSemaphore? in
            calls_.append(Call(reference: reference, options: options))
            started_ += 1
            return self.gate
        }
        progress(PullProgress(digest: nil, phase: .resolving))
        gate?.wait()
        if let error = lock.withLock({ errors[reference] }) { throw error }
        guard let store, let rootfs else { throw PullError(.notFound, "\(reference): not found") }
        do {
            var record = try store.importImage(reference, from: rootfs)
            record.digest = Self.digest(reference)
            progress(PullProgress(digest: nil, phase: .done))
            return record
        } catch {
            throw PullError(.other, "\(error)")
        }
    }
}

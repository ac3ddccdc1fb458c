/// A failure of a `TaskEngine`: its kind, which decides the ECS answer (`APIError(_:doing:)`),
/// the text users read (a TaskFailedToStart stoppedReason, an error message), and the error
/// that caused it, kept whole: a `SysError` with its stage and errno, a task translation error
/// with its JSON path, an image error.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The task definition cannot run on this host as written.
        case invalidTaskDefinition
        /// An image is not in the local store or cannot be used (ECS: CannotPullContainerError).
        case imageNotFound
        /// The host could not set up the task's resources (network namespace, ports).
        case resourceInitialization
        /// The host ran out of memory, disk, processes or file descriptors.
        case resourceExhausted
        /// No such task or container, or nothing kept for it.
        case notFound
        /// Anything else.
        case `internal`
    }

    public var kind: Kind
    public var message: String
    public var cause: (any Error)?

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    /// This error and the errors that caused it, outermost first.
    public var chain: [any Error] {
        var out: [any Error] = [self]
        var next = cause
        while let e = next {
            out.append(e)
            next = (e as? EngineError)?.cause
        }
        return out
    }
}

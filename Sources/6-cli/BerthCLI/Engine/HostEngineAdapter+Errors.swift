import BerthAgent
import BerthImages
import BerthSys
import BerthTasks
#if canImport(Glibc)
import Glibc
#endif

extension HostEngineAdapter {
    /// The agent's engine error for a failure of the task engine or below, classified by the
    /// error's type (never its text); the error itself is kept as the cause. The message is
    /// the text a TaskFailedToStart stoppedReason shows (ECS reasons start with their kind:
    /// "CannotPullContainerError: ...", "ResourceInitializationError: ...").
    static func engineError(_ error: any Error) -> EngineError {
        switch error {
        case let e as EngineError: return e
        case let e as TranslationError:
            switch e.kind {
            case .image: return EngineError(.imageNotFound, "CannotPullContainerError: \(e.message) (\(e.path))", cause: e)
            case .resourceInitialization: return EngineError(.resourceInitialization, "\(e.message) (\(e.path))", cause: e)
            case .notFound: return EngineError(.notFound, e.description, cause: e)
            case .definition: return EngineError(.invalidTaskDefinition, e.description, cause: e)
            }
        case let e as SysError: return EngineError(Self.kind(errno: e.errno), e.description, cause: e)
        case let e as ImageError: return EngineError(.imageNotFound, e.description, cause: e)
        default: return EngineError(.internal, "\(error)", cause: error)
        }
    }

    /// Out of memory, disk, processes or descriptors: the host's limits, not a bug.
    static func kind(errno: Int32) -> EngineError.Kind {
        switch errno {
        case ENOMEM, ENOSPC, EDQUOT, EMFILE, ENFILE, EAGAIN: .resourceExhausted
        default: .internal
        }
    }
}

import BerthAgent
import BerthCgroups
import BerthImages
import BerthRuntime
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
            case .image:
                // The store's own messages already carry ECS's error name.
                let prefix = e.message.hasPrefix("CannotPullContainerError: ") ? "" : "CannotPullContainerError: "
                return EngineError(.imageNotFound, "\(prefix)\(e.message) (\(e.path))", cause: e)
            case .resourceInitialization: return EngineError(.resourceInitialization, "\(e.message) (\(e.path))", cause: e)
            case .notFound: return EngineError(.notFound, e.description, cause: e)
            case .definition: return EngineError(.invalidTaskDefinition, e.description, cause: e)
            }
        case let e as SysError: return EngineError(Self.kind(errno: e.errno), e.description, cause: e)
        case let e as RuntimeError: return runtimeError(e)
        case let e as CgroupError: return cgroupError(e)
        case let e as ImageError: return EngineError(.imageNotFound, e.description, cause: e)
        case let e as ImagePullFailure: return EngineError(.imageNotFound, e.ecsReason, cause: e)
        case let e as PullError: return EngineError(.imageNotFound, e.ecsReason, cause: e)
        default: return EngineError(.internal, "\(error)", cause: error)
        }
    }

    /// A container runtime failure; a wrapped syscall or cgroup error is the cause (the text is the runtime's).
    static func runtimeError(_ e: RuntimeError) -> EngineError {
        switch e {
        case .notFound, .invalidState: EngineError(.notFound, e.description, cause: e)
        case .invalidSpec, .invalidID: EngineError(.invalidTaskDefinition, e.description, cause: e)
        case .sys(let s): EngineError(kind(errno: s.errno), e.description, cause: s)
        case .cgroup(let c): EngineError(cgroupError(c).kind, e.description, cause: c)
        case .exists, .setupFailed, .timeout, .exitUnknown: EngineError(.internal, e.description, cause: e)
        }
    }

    static func cgroupError(_ e: CgroupError) -> EngineError {
        switch e {
        case .notFound: EngineError(.notFound, e.description, cause: e)
        case .sys(let s): EngineError(kind(errno: s.errno), e.description, cause: s)
        case .outsideBerth, .unsupported, .invalidValue, .busy: EngineError(.internal, e.description, cause: e)
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

import CBerth

/// A wait status from waitpid, decoded in one place.
public struct ExitStatus: Sendable, Equatable {
    public var raw: Int32
    public init(_ raw: Int32) { self.raw = raw }

    /// The process ended (exited or was killed), as opposed to stopped or continued.
    public var terminated: Bool { berth_wifexited(raw) != 0 || berth_wifsignaled(raw) != 0 }
    /// The signal that killed it, if one did.
    public var signal: Int32? { berth_wifsignaled(raw) != 0 ? berth_wtermsig(raw) : nil }
    /// As a shell reports it: the exit status, or 128 + the signal.
    public var code: Int32 { berth_exit_code(raw) }
}

import BerthSys

/// A container-setup failure that is not a raw syscall error: bad input (named by its JSON
/// path), an unsupported request, or a failed check. Syscall failures stay `SysError`.
public struct InitError: Error, CustomStringConvertible, Equatable, Sendable {
    public var stage: String
    public var message: String
    /// Exit status the failing process should use (1; 126/127 for exec failures as a shell does).
    public var exitCode: Int32

    public init(_ stage: String, _ message: String, exitCode: Int32 = 1) {
        self.stage = stage
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { "\(stage): \(message)" }
}

extension Error {
    /// The one-line form used on the sync pipe and stderr.
    var initMessage: String {
        let text = (self as? CustomStringConvertible)?.description ?? "\(self)"
        return String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    var initExitCode: Int32 { (self as? InitError)?.exitCode ?? 1 }
}

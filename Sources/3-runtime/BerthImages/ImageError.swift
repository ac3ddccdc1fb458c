/// Errors of the image store, worded for the person who typed the command.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

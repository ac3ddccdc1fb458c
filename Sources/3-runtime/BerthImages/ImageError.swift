import BerthJSON

/// Errors of the image store, worded for the person who typed the command.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSONReadable {
    /// `bytes` of the file at `path` read as `Self`; a syntax or shape error names the file and `problem`.
    static func read(json bytes: [UInt8], file path: String, problem: String) throws(ImageError) -> Self {
        do { return try read(json: bytes) } catch {
            throw ImageError("\(path): \(problem): \(error)")
        }
    }
}

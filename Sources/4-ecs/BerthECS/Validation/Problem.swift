import BerthJSON

/// One finding about a document: where (JSON path) and what. Errors make the document invalid;
/// warnings say what Berth ignores or emulates.
public struct Problem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable { case error, warning }

    public var severity: Severity
    public var path: JSONPath
    public var message: String
    /// The ECS exception an API returns when this error rejects a request.
    public var exception: ECSExceptionName

    public init(_ severity: Severity, _ path: JSONPath, _ message: String, exception: ECSExceptionName = .clientException) {
        self.severity = severity
        self.path = path
        self.message = message
        self.exception = exception
    }

    public static func error(_ path: JSONPath, _ message: String, exception: ECSExceptionName = .clientException) -> Problem {
        Problem(.error, path, message, exception: exception)
    }

    public static func warning(_ path: JSONPath, _ message: String) -> Problem {
        Problem(.warning, path, message)
    }

    public var isError: Bool { severity == .error }

    /// `containerDefinitions[0].image: Container.image should not be null or empty.`
    /// (warnings start with `warning: `).
    public var description: String {
        (severity == .warning ? "warning: " : "") + "\(path): \(message)"
    }
}

/// ECS error shape names (`__type` in an error body) used for request validation failures.
public enum ECSExceptionName: String, Sendable, Equatable {
    case clientException = "ClientException"
    case invalidParameterException = "InvalidParameterException"
    /// A valid ECS request for something Berth does not implement on one host.
    case unsupportedFeatureException = "UnsupportedFeatureException"
}

/// Collects problems while decoding and validating one document.
public final class Diagnostics {
    public private(set) var problems: [Problem] = []

    public init() {}

    public func error(_ path: JSONPath, _ message: String, exception: ECSExceptionName = .clientException) {
        problems.append(.error(path, message, exception: exception))
    }

    /// A shape problem (wrong type, unknown member, bad enum value, missing model-required member).
    public func invalid(_ path: JSONPath, _ message: String) {
        problems.append(.error(path, message, exception: .invalidParameterException))
    }

    public func warning(_ path: JSONPath, _ message: String) {
        problems.append(.warning(path, message))
    }

    public func append(contentsOf other: [Problem]) { problems.append(contentsOf: other) }
}

extension [Problem] {
    public var errors: [Problem] { filter { $0.severity == .error } }
    public var warnings: [Problem] { filter { $0.severity == .warning } }
    public var hasErrors: Bool { contains { $0.severity == .error } }
}

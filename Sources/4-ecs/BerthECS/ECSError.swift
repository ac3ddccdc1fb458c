import BerthJSON

/// An ECS API error: `{"__type": name, "message": message}`.
public struct ECSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var message: String

    public init(_ name: String, _ message: String) {
        self.name = name
        self.message = message
    }

    public init(_ name: ECSExceptionName, _ message: String) { self.init(name.rawValue, message) }

    public static let serializationException = "SerializationException"

    /// The JSON body of the error response.
    public var body: JSONValue { ["__type": .string(name), "message": .string(message)] }
    public var description: String { "\(name): \(message)" }
}

extension [Problem] {
    /// The error an API call answers with for these problems: the first error, with its ECS
    /// exception name and `apiMessage`; nil when there is no error.
    public var ecsError: ECSError? {
        first(where: \.isError).map { ECSError($0.exception.rawValue, $0.apiMessage) }
    }
}

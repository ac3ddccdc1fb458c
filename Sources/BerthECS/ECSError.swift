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

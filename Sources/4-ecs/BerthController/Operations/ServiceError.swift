/// An ECS API error: `__type` and `message` on the wire (ecs-semantics §7.2).
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String
    public init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }

    static func invalid(_ message: String) -> ServiceError {
        ServiceError("InvalidParameterException", message)
    }

    static let notActive = ServiceError("ServiceNotActiveException", "Service was not ACTIVE.")
}

import BerthJSON

/// An ECS-style error: `{"__type": type, "message": message}` with an HTTP status.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String
    public var status: Int

    public init(_ type: String, _ message: String, status: Int = 400) {
        self.type = type
        self.message = message
        self.status = status
    }

    public var description: String { "\(type): \(message)" }

    public static func client(_ m: String) -> APIError { APIError("ClientException", m) }
    public static func invalidParameter(_ m: String) -> APIError { APIError("InvalidParameterException", m) }
    public static func serialization(_ m: String) -> APIError { APIError("SerializationException", m) }
    public static func server(_ m: String) -> APIError { APIError("ServerException", m, status: 500) }
    public static let clusterNotFound = APIError("ClusterNotFoundException", "Cluster not found.")
    public static func resourceNotFound(_ m: String) -> APIError { APIError("ResourceNotFoundException", m) }

    public var body: JSONValue { ["__type": .string(type), "message": .string(message)] }
}

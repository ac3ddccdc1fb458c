/// `ServiceEvent` (ecs-semantics §5.1): newest first in `ServiceState.events`.
public struct ServiceEvent: Codable, Sendable, Equatable {
    public var id: String
    public var createdAt: Timestamp
    public var message: String
    public init(id: String, createdAt: Timestamp, message: String) {
        self.id = id
        self.createdAt = createdAt
        self.message = message
    }
}

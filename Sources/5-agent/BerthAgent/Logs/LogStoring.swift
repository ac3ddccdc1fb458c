/// The CloudWatch Logs store behind the agent's Logs API (real one: BerthTasks' `AWSLogStore`,
/// adapted in BerthCLI; test double: `MemoryLogStore`). Times are epoch milliseconds.
public protocol LogStoring: Sendable {
    func createGroup(_ name: String, now: Int64) throws(LogStoreFailure)
    func deleteGroup(_ name: String) throws(LogStoreFailure)
    func groups() -> [LogGroupInfo]
    func setRetention(_ group: String, days: Int?) throws(LogStoreFailure)
    func createStream(group: String, stream: String, now: Int64) throws(LogStoreFailure)
    func deleteStream(group: String, stream: String) throws(LogStoreFailure)
    /// The group's streams (any order) with their first and last event times.
    func streams(group: String) throws(LogStoreFailure) -> [LogStreamInfo]
    /// A stream's events in time order.
    func events(group: String, stream: String) throws(LogStoreFailure) -> [LogEventInfo]
    func put(group: String, stream: String, _ events: [LogEventInfo]) throws(LogStoreFailure)
}

public struct LogGroupInfo: Sendable, Equatable {
    public var name: String
    public var creationTime: Int64
    public var retentionInDays: Int?
    public init(name: String, creationTime: Int64, retentionInDays: Int? = nil) {
        self.name = name
        self.creationTime = creationTime
        self.retentionInDays = retentionInDays
    }
}

public struct LogStreamInfo: Sendable, Equatable {
    public var name: String
    public var creationTime: Int64
    public var firstEventTimestamp: Int64?
    public var lastEventTimestamp: Int64?
    public init(name: String, creationTime: Int64, firstEventTimestamp: Int64? = nil, lastEventTimestamp: Int64? = nil) {
        self.name = name
        self.creationTime = creationTime
        self.firstEventTimestamp = firstEventTimestamp
        self.lastEventTimestamp = lastEventTimestamp
    }
}

public struct LogEventInfo: Sendable, Equatable {
    public var timestamp: Int64
    public var message: String
    public init(timestamp: Int64, message: String) {
        self.timestamp = timestamp
        self.message = message
    }
}

/// Why the store refused: answered as CloudWatch's exception types.
public struct LogStoreFailure: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case groupNotFound, streamNotFound, alreadyExists, invalid }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    var apiError: APIError {
        switch kind {
        case .groupNotFound, .streamNotFound: .resourceNotFound(message)
        case .alreadyExists: APIError("ResourceAlreadyExistsException", message)
        case .invalid: .invalidParameter(message)
        }
    }
}

import BerthAgent
import BerthTasks

/// The agent's CloudWatch Logs API over BerthTasks' disk store (the files awslogs containers write).
struct AWSLogStoreAdapter: LogStoring {
    let store: AWSLogStore

    init(root: String) { store = AWSLogStore(root: root) }

    static func failure(_ e: AWSLogStoreError) -> LogStoreFailure {
        switch e.kind {
        case .notFound: LogStoreFailure(e.message.contains("stream") ? .streamNotFound : .groupNotFound, e.message)
        case .alreadyExists: LogStoreFailure(.alreadyExists, e.message)
        case .invalid: LogStoreFailure(.invalid, e.message)
        }
    }

    func run<T>(_ body: () throws(AWSLogStoreError) -> T) throws(LogStoreFailure) -> T {
        do { return try body() } catch { throw Self.failure(error) }
    }

    func createGroup(_ name: String, now: Int64) throws(LogStoreFailure) { try run { () throws(AWSLogStoreError) in try store.createGroup(name, now: now) } }
    func deleteGroup(_ name: String) throws(LogStoreFailure) { try run { () throws(AWSLogStoreError) in try store.deleteGroup(name) } }
    func groups() -> [LogGroupInfo] { store.groups().map { LogGroupInfo(name: $0.name, creationTime: $0.creationTime, retentionInDays: $0.retentionInDays) } }
    func setRetention(_ group: String, days: Int?) throws(LogStoreFailure) { try run { () throws(AWSLogStoreError) in try store.setRetention(group, days: days) } }
    func createStream(group: String, stream: String, now: Int64) throws(LogStoreFailure) {
        try run { () throws(AWSLogStoreError) in try store.createStream(group: group, stream: stream, now: now) }
    }
    func deleteStream(group: String, stream: String) throws(LogStoreFailure) {
        try run { () throws(AWSLogStoreError) in try store.deleteStream(group: group, stream: stream) }
    }
    func streams(group: String) throws(LogStoreFailure) -> [LogStreamInfo] {
        try run { () throws(AWSLogStoreError) in try store.streams(group: group) }.map {
            LogStreamInfo(name: $0.name, creationTime: $0.creationTime, firstEventTimestamp: $0.firstEventTimestamp, lastEventTimestamp: $0.lastEventTimestamp)
        }
    }
    func events(group: String, stream: String) throws(LogStoreFailure) -> [LogEventInfo] {
        try run { () throws(AWSLogStoreError) in try store.events(group: group, stream: stream) }.map { LogEventInfo(timestamp: $0.timestamp, message: $0.message) }
    }
    func put(group: String, stream: String, _ events: [LogEventInfo]) throws(LogStoreFailure) {
        try run { () throws(AWSLogStoreError) in try store.put(group: group, stream: stream, events.map { AWSLogEvent(timestamp: $0.timestamp, message: $0.message) }) }
    }
}

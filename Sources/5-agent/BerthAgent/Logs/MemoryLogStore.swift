import Synchronization

/// `LogStoring` in memory: the Logs API's test double (and a store for `--engine fake`
/// agents that have no disk store wired).
public final class MemoryLogStore: LogStoring {
    struct Group {
        var info: LogGroupInfo
        var streams: [String: (creationTime: Int64, events: [LogEventInfo])] = [:]
    }
    private let state = Mutex<[String: Group]>([:])

    public init() {}

    public func createGroup(_ name: String, now: Int64) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            if s[name] != nil { throw LogStoreFailure(.alreadyExists, "The specified log group already exists") }
            s[name] = Group(info: LogGroupInfo(name: name, creationTime: now))
        }
    }

    public func deleteGroup(_ name: String) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard s.removeValue(forKey: name) != nil else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
        }
    }

    public func groups() -> [LogGroupInfo] { state.withLock { $0.values.map(\.info) } }

    public func setRetention(_ group: String, days: Int?) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard s[group] != nil else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            s[group]?.info.retentionInDays = days
        }
    }

    public func createStream(group: String, stream: String, now: Int64) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard let g = s[group] else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            if g.streams[stream] != nil { throw LogStoreFailure(.alreadyExists, "The specified log stream already exists") }
            s[group]?.streams[stream] = (now, [])
        }
    }

    public func deleteStream(group: String, stream: String) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard let g = s[group] else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            guard g.streams[stream] != nil else { throw LogStoreFailure(.streamNotFound, "The specified log stream does not exist.") }
            s[group]?.streams[stream] = nil
        }
    }

    public func streams(group: String) throws(LogStoreFailure) -> [LogStreamInfo] {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard let g = s[group] else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            return g.streams.map { LogStreamInfo(name: $0.key, creationTime: $0.value.creationTime, firstEventTimestamp: $0.value.events.first?.timestamp,
                                                 lastEventTimestamp: $0.value.events.last?.timestamp) }
        }
    }

    public func events(group: String, stream: String) throws(LogStoreFailure) -> [LogEventInfo] {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard let g = s[group] else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            guard let st = g.streams[stream] else { throw LogStoreFailure(.streamNotFound, "The specified log stream does not exist.") }
            return st.events
        }
    }

    public func put(group: String, stream: String, _ events: [LogEventInfo]) throws(LogStoreFailure) {
        try state.withLock { (s) throws(LogStoreFailure) in
            guard let g = s[group] else { throw LogStoreFailure(.groupNotFound, "The specified log group does not exist.") }
            guard var st = g.streams[stream] else { throw LogStoreFailure(.streamNotFound, "The specified log stream does not exist.") }
            st.events += events
            st.events.sort { $0.timestamp < $1.timestamp }
            s[group]?.streams[stream] = st
        }
    }
}

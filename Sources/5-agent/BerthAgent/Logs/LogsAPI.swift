import BerthJSON

/// CloudWatch Logs (`Logs_20140328.`, JSON 1.1, SigV4 service `logs`) over a `LogStoring`:
/// what `aws logs` and the SDKs call to read awslogs output. Docs/agent.md "CloudWatch Logs".
public struct LogsOperations: JSONOperations {
    public let store: any LogStoring
    public let region: String
    public let accountId: String
    public let clock: @Sendable () -> Double

    public init(store: any LogStoring, region: String, accountId: String, clock: @escaping @Sendable () -> Double) {
        self.store = store
        self.region = region
        self.accountId = accountId
        self.clock = clock
    }

    public var signingService: String { "logs" }
    public var targetPrefix: String { "Logs_20140328." }
    public var operations: Set<String> {
        ["CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups", "CreateLogStream", "DeleteLogStream", "DescribeLogStreams",
         "GetLogEvents", "FilterLogEvents", "PutLogEvents", "PutRetentionPolicy", "DeleteRetentionPolicy"]
    }

    /// CloudWatch's retention values.
    static let retentionDays: Set<Int> = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

    var nowMillis: Int64 { Int64((clock() * 1000).rounded(.down)) }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        let p = Params(input)
        do {
            switch operation {
            case "CreateLogGroup": return try createLogGroup(p)
            case "DeleteLogGroup":
                try store.deleteGroup(try group(p))
                return [:]
            case "DescribeLogGroups": return try describeLogGroups(p)
            case "CreateLogStream":
                try store.createStream(group: try group(p), stream: try p.requiredString("logStreamName"), now: nowMillis)
                return [:]
            case "DeleteLogStream":
                try store.deleteStream(group: try group(p), stream: try p.requiredString("logStreamName"))
                return [:]
            case "DescribeLogStreams": return try describeLogStreams(p)
            case "GetLogEvents": return try getLogEvents(p)
            case "FilterLogEvents": return try filterLogEvents(p)
            case "PutLogEvents": return try putLogEvents(p)
            case "PutRetentionPolicy":
                let days = try p.int("retentionInDays")
                guard let days, Self.retentionDays.contains(days) else {
                    throw APIError.invalidParameter("1 validation error detected: Value '\(days.map(String.init) ?? "null")' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \(Self.retentionDays.sorted())")
                }
                try store.setRetention(try group(p), days: days)
                return [:]
            case "DeleteRetentionPolicy":
                try store.setRetention(try group(p), days: nil)
                return [:]
            default: throw APIError("UnknownOperationException", "Unknown operation \(operation).")
            }
        } catch let failure as LogStoreFailure {
            throw failure.apiError
        } catch let error as APIError {
            throw error
        } catch {
            throw .server("\(error)")
        }
    }

    // MARK: groups

    /// `logGroupName`, or `logGroupIdentifier` (a name or ARN) where CloudWatch accepts it.
    func group(_ p: Params) throws(APIError) -> String {
        if let name = try p.string("logGroupName") { return name }
        if let id = try p.string("logGroupIdentifier") {
            let prefix = "arn:aws:logs:\(region):\(accountId):log-group:"
            guard id.hasPrefix("arn:") else { return id }
            guard id.hasPrefix(prefix) else { throw .invalidParameter("logGroupIdentifier \(id.debugDescription) is not a log group ARN of region \(region), account \(accountId).") }
            var name = String(id.dropFirst(prefix.count))
            if name.hasSuffix(":*") { name.removeLast(2) }
            return name
        }
        throw .invalidParameter("logGroupName is required.")
    }

    func createLogGroup(_ p: Params) throws -> JSONValue {
        if try p.string("kmsKeyId") != nil { throw APIError.invalidParameter("kmsKeyId: Berth's CloudWatch Logs does not encrypt log groups with KMS keys.") }
        if let cls = try p.string("logGroupClass"), cls != "STANDARD" { throw APIError.invalidParameter("logGroupClass \(cls.debugDescription): only STANDARD is available locally.") }
        if try p.value("tags").map({ $0.objectValue?.isEmpty == false }) == true { throw APIError.invalidParameter("tags: Berth's CloudWatch Logs does not store log group tags.") }
        try store.createGroup(try p.requiredString("logGroupName"), now: nowMillis)
        return [:]
    }

    func groupJSON(_ g: LogGroupInfo) -> JSONValue {
        let arn = "arn:aws:logs:\(region):\(accountId):log-group:\(g.name)"
        return .obj([("logGroupName", .string(g.name)), ("creationTime", .int(Int(g.creationTime))),
                     ("retentionInDays", g.retentionInDays.map { .int($0) }), ("metricFilterCount", .int(0)),
                     ("arn", .string(arn + ":*")), ("storedBytes", .int(0)), ("logGroupClass", "STANDARD"), ("logGroupArn", .string(arn))])
    }

    func describeLogGroups(_ p: Params) throws -> JSONValue {
        let prefix = try p.string("logGroupNamePrefix")
        let pattern = try p.string("logGroupNamePattern")
        if prefix != nil && pattern != nil { throw APIError.invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.") }
        let limit = try limitParam(p, max: 50)
        var all = store.groups().sorted { $0.name < $1.name }
        if let prefix { all = all.filter { $0.name.hasPrefix(prefix) } }
        if let pattern { all = all.filter { $0.name.lowercased().contains(pattern.lowercased()) } }
        let (page, next) = try Pagination.page(all, token: try p.string("nextToken"), limit: limit, list: "logGroups")
        return .obj([("logGroups", .array(page.map(groupJSON))), ("nextToken", next.map { .string($0) })])
    }

    // MARK: streams

    func describeLogStreams(_ p: Params) throws -> JSONValue {
        let name = try group(p)
        let prefix = try p.string("logStreamNamePrefix")
        let orderBy = try p.string("orderBy") ?? "LogStreamName"
        guard orderBy == "LogStreamName" || orderBy == "LastEventTime" else {
            throw APIError.invalidParameter("1 validation error detected: Value '\(orderBy)' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]")
        }
        if prefix != nil && orderBy == "LastEventTime" { throw APIError.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.") }
        let descending = try p.bool("descending") ?? false
        let limit = try limitParam(p, max: 50)
        var streams = try store.streams(group: name)
        if let prefix { streams = streams.filter { $0.name.hasPrefix(prefix) } }
        streams.sort { a, b in
            if orderBy == "LastEventTime", a.lastEventTimestamp != b.lastEventTimestamp { return (a.lastEventTimestamp ?? 0) < (b.lastEventTimestamp ?? 0) }
            return a.name < b.name
        }
        if descending { streams.reverse() }
        let (page, next) = try Pagination.page(streams, token: try p.string("nextToken"), limit: limit, list: "logStreams:\(name):\(orderBy):\(descending)")
        return .obj([("logStreams", .array(page.map { s in
            .obj([("logStreamName", .string(s.name)), ("creationTime", .int(Int(s.creationTime))),
                  ("firstEventTimestamp", s.firstEventTimestamp.map { .int(Int($0)) }), ("lastEventTimestamp", s.lastEventTimestamp.map { .int(Int($0)) }),
                  ("lastIngestionTime", s.lastEventTimestamp.map { .int(Int($0)) }),
                  ("arn", .string("arn:aws:logs:\(region):\(accountId):log-group:\(name):log-stream:\(s.name)")), ("storedBytes", .int(0))])
        })), ("nextToken", next.map { .string($0) })])
    }

    // MARK: events

    /// Events older than the group's retention are gone, as CloudWatch expires them.
    func retained(_ name: String) -> Int64 {
        guard let days = store.groups().first(where: { $0.name == name })?.retentionInDays else { return Int64.min }
        return nowMillis - Int64(days) * 86_400_000
    }

    func getLogEvents(_ p: Params) throws -> JSONValue {
        let name = try group(p)
        let events = try store.events(group: name, stream: try p.requiredString("logStreamName"))
        let start = max(Int64(try p.int("startTime") ?? Int.min), retained(name))
        let end = try p.int("endTime").map(Int64.init) ?? Int64.max
        let page = try LogPaging.getEvents(count: events.count, matches: { events[$0].timestamp >= start && events[$0].timestamp < end },
                                           token: try p.string("nextToken"), startFromHead: try p.bool("startFromHead") ?? false,
                                           limit: try limitParam(p, max: 10_000))
        return .obj([("events", .array(page.indices.map { i in
            ["timestamp": .int(Int(events[i].timestamp)), "message": .string(events[i].message), "ingestionTime": .int(Int(events[i].timestamp))]
        })), ("nextForwardToken", .string(page.nextForwardToken)), ("nextBackwardToken", .string(page.nextBackwardToken))])
    }

    func filterLogEvents(_ p: Params) throws -> JSONValue {
        let name = try group(p)
        let names = try p.stringList("logStreamNames")
        let prefix = try p.string("logStreamNamePrefix")
        if names != nil && prefix != nil { throw APIError.invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.") }
        let pattern = try FilterPattern(try p.string("filterPattern"))
        let start = max(Int64(try p.int("startTime") ?? Int.min), retained(name))
        let end = try p.int("endTime").map(Int64.init) ?? Int64.max
        let limit = try limitParam(p, max: 10_000)
        let after = try p.string("nextToken").map { t throws(APIError) in try LogPaging.decode(t, group: name) }
        _ = try p.bool("interleaved")  // deprecated; results are always interleaved
        if try p.bool("unmask") == true { throw APIError.invalidParameter("unmask: Berth's CloudWatch Logs has no data protection policies.") }

        var streams = try store.streams(group: name).map(\.name)
        if let names {
            let known = Set(streams)
            if let missing = names.first(where: { !known.contains($0) }) { throw APIError.resourceNotFound("The specified log stream does not exist: \(missing)") }
            streams = names
        }
        if let prefix { streams = streams.filter { $0.hasPrefix(prefix) } }
        var found: [(key: LogPaging.Key, event: LogEventInfo)] = []
        for s in streams {
            for (i, e) in try store.events(group: name, stream: s).enumerated() where e.timestamp >= start && e.timestamp <= end {
                let key = LogPaging.Key(timestamp: e.timestamp, stream: s, index: i)
                if let after, !(after < key) { continue }
                if pattern.matches(e.message) { found.append((key, e)) }
            }
        }
        found.sort { $0.key < $1.key }
        let page = found.prefix(limit)
        let next = found.count > limit ? page.last.map { LogPaging.encode($0.key, group: name) } : nil
        return .obj([("events", .array(page.map { f in
            ["logStreamName": .string(f.key.stream), "timestamp": .int(Int(f.event.timestamp)), "message": .string(f.event.message),
             "ingestionTime": .int(Int(f.event.timestamp)), "eventId": .string(f.key.eventId)]
        })), ("searchedLogStreams", .array(streams.map { ["logStreamName": .string($0), "searchedCompletely": .bool(true)] })),
            ("nextToken", next.map { .string($0) })])
    }

    func putLogEvents(_ p: Params) throws -> JSONValue {
        let name = try group(p)
        let stream = try p.requiredString("logStreamName")
        guard let list = try p.objects("logEvents"), !list.isEmpty else { throw APIError.invalidParameter("logEvents is required and must not be empty.") }
        guard list.count <= 10_000 else { throw APIError.invalidParameter("logEvents: at most 10000 events in one call.") }
        var events: [LogEventInfo] = []
        for e in list {
            guard let t = try e.int("timestamp") else { throw APIError.invalidParameter("\(e.path).timestamp is required.") }
            events.append(LogEventInfo(timestamp: Int64(t), message: try e.requiredString("message")))
        }
        guard zip(events, events.dropFirst()).allSatisfy({ $0.timestamp <= $1.timestamp }) else {
            throw APIError.invalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
        }
        try store.put(group: name, stream: stream, events)
        return [:]
    }

    func limitParam(_ p: Params, max: Int) throws(APIError) -> Int {
        guard let limit = try p.int("limit") else { return max }
        guard (1...max).contains(limit) else {
            throw .invalidParameter("1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value between 1 and \(max)")
        }
        return limit
    }
}

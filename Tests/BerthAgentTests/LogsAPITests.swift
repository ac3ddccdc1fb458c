import BerthJSON
import Testing
@testable import BerthAgent

@Suite struct LogsAPITests {
    let store = MemoryLogStore()
    var ops: LogsOperations { LogsOperations(store: store, region: "us-east-1", accountId: "000000000000", clock: { 1_800_000_000 }) }

    func call(_ op: String, _ input: JSONValue) throws -> JSONValue { try ops.call(op, input) }

    func withEvents(_ n: Int, stream: String = "s") throws {
        if store.groups().isEmpty { try store.createGroup("g", now: 1) }
        try store.createStream(group: "g", stream: stream, now: 1)
        try store.put(group: "g", stream: stream, (0..<n).map { LogEventInfo(timestamp: 1_799_999_000_000 + Int64($0), message: "line \($0)") })
    }

    @Test func getLogEventsTokensBehaveLikeCloudWatch() throws {
        try withEvents(25)
        // From the head, 10 at a time; at the end the same forward token comes back.
        var token: String? = nil
        var seen: [String] = []
        var last = ""
        for _ in 0..<5 {
            var input: JSONValue = ["logGroupName": "g", "logStreamName": "s", "startFromHead": true, "limit": 10]
            if let token { input["nextToken"] = .string(token) }
            let out = try call("GetLogEvents", input)
            seen += out["events"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            last = token ?? ""
            token = out["nextForwardToken"]?.stringValue
            if token == last { break }
        }
        #expect(seen == (0..<25).map { "line \($0)" })
        #expect(token == last, "the end gives the same token back")
        // Default: the newest `limit`, then backwards.
        let tail = try call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 10])
        #expect(tail["events"]?.arrayValue?.first?["message"]?.stringValue == "line 15")
        let back = try call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "limit": 10, "nextToken": tail["nextBackwardToken"]!])
        #expect(back["events"]?.arrayValue?.map { $0["message"]?.stringValue } == (5..<15).map { "line \($0)" })
        // A time window: [startTime, endTime).
        let window = try call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "startFromHead": true,
                                               "startTime": .int(1_799_999_000_003), "endTime": .int(1_799_999_000_006)])
        #expect(window["events"]?.arrayValue?.count == 3)
        #expect(throws: APIError.self) { try call("GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "nextToken": "garbage"]) }
        #expect { try call("GetLogEvents", ["logGroupName": "g", "logStreamName": "nope"]) } throws: { ($0 as? APIError)?.type == "ResourceNotFoundException" }
    }

    @Test func pagingIsPure() throws {
        let page = try LogPaging.getEvents(count: 3, matches: { _ in true }, token: nil, startFromHead: true, limit: 2)
        #expect(page.indices == [0, 1])
        let end = try LogPaging.getEvents(count: 3, matches: { _ in true }, token: "f/00000000000000000003", startFromHead: true, limit: 2)
        #expect(end.indices.isEmpty && end.nextForwardToken == "f/00000000000000000003")
        let start = try LogPaging.getEvents(count: 3, matches: { _ in true }, token: "b/00000000000000000000", startFromHead: false, limit: 2)
        #expect(start.indices.isEmpty && start.nextBackwardToken == "b/00000000000000000000")
    }

    @Test func filterLogEventsInterleavesPaginatesAndFilters() throws {
        try withEvents(6, stream: "a")
        try withEvents(6, stream: "b")
        var all: [String] = []
        var token: JSONValue? = nil
        repeat {
            var input: JSONValue = ["logGroupName": "g", "limit": 5]
            if let token { input["nextToken"] = token }
            let out = try call("FilterLogEvents", input)
            all += out["events"]?.arrayValue?.map { "\($0["logStreamName"]!.stringValue!):\($0["message"]!.stringValue!)" } ?? []
            token = out["nextToken"]
        } while token != nil
        #expect(all.count == 12)
        #expect(Array(all.prefix(2)) == ["a:line 0", "b:line 0"])
        let only = try call("FilterLogEvents", ["logGroupName": "g", "logStreamNames": ["b"], "filterPattern": "\"line 3\""])
        #expect(only["events"]?.arrayValue?.map { $0["message"]?.stringValue } == ["line 3"])
        let ids = try call("FilterLogEvents", ["logGroupName": "g"])["events"]?.arrayValue?.compactMap { $0["eventId"]?.stringValue } ?? []
        #expect(Set(ids).count == 12 && ids.allSatisfy { $0.count == 56 })
        #expect(try FilterPattern("ERROR -debug").matches("ERROR boom") && !FilterPattern("ERROR -debug").matches("ERROR debug"))
        #expect(try FilterPattern("?a ?b").matches("xb") && !FilterPattern("?a ?b").matches("xc"))
        #expect(throws: APIError.self) { try FilterPattern("{ $.level = \"x\" }") }
    }

    @Test func groupsAndStreamsAreDescribedAndPaged() throws {
        for name in ["/ecs/a", "/ecs/b", "/other"] { _ = try call("CreateLogGroup", ["logGroupName": .string(name)]) }
        #expect { try call("CreateLogGroup", ["logGroupName": "/ecs/a"]) } throws: { ($0 as? APIError)?.type == "ResourceAlreadyExistsException" }
        let first = try call("DescribeLogGroups", ["logGroupNamePrefix": "/ecs/", "limit": 1])
        #expect(first["logGroups"]?.arrayValue?.map { $0["logGroupName"]?.stringValue } == ["/ecs/a"])
        let second = try call("DescribeLogGroups", ["logGroupNamePrefix": "/ecs/", "limit": 1, "nextToken": first["nextToken"]!])
        #expect(second["logGroups"]?.arrayValue?.map { $0["logGroupName"]?.stringValue } == ["/ecs/b"] && second["nextToken"] == nil)
        #expect(first["logGroups"]?.arrayValue?.first?["arn"]?.stringValue == "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/a:*")

        _ = try call("CreateLogStream", ["logGroupName": "/ecs/a", "logStreamName": "z"])
        _ = try call("CreateLogStream", ["logGroupName": "/ecs/a", "logStreamName": "y"])
        _ = try call("PutLogEvents", ["logGroupName": "/ecs/a", "logStreamName": "z", "logEvents": [["timestamp": .int(5), "message": "m"]]])
        let byName = try call("DescribeLogStreams", ["logGroupName": "/ecs/a"])
        #expect(byName["logStreams"]?.arrayValue?.map { $0["logStreamName"]?.stringValue } == ["y", "z"])
        let byTime = try call("DescribeLogStreams", ["logGroupName": "/ecs/a", "orderBy": "LastEventTime", "descending": true])
        #expect(byTime["logStreams"]?.arrayValue?.map { $0["logStreamName"]?.stringValue } == ["z", "y"])
        #expect(throws: APIError.self) { try call("DescribeLogStreams", ["logGroupName": "/ecs/a", "orderBy": "LastEventTime", "logStreamNamePrefix": "z"]) }
        #expect(throws: APIError.self) { try call("PutRetentionPolicy", ["logGroupName": "/ecs/a", "retentionInDays": 2]) }
        _ = try call("PutRetentionPolicy", ["logGroupName": "/ecs/a", "retentionInDays": 1])
        // Retention: an event older than a day is gone from reads.
        #expect(try call("GetLogEvents", ["logGroupName": "/ecs/a", "logStreamName": "z"])["events"]?.arrayValue?.isEmpty == true)
        _ = try call("DeleteLogGroup", ["logGroupName": "/ecs/a"])
        #expect { try call("DeleteLogGroup", ["logGroupName": "/ecs/a"]) } throws: { ($0 as? APIError)?.type == "ResourceNotFoundException" }
    }
}

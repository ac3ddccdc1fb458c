import BerthECS
import BerthRuntime
import BerthSys
import BerthTestSupport
import Foundation
import Testing
@testable import BerthTasks

@Suite struct AWSLogStoreTests {
    func awslogs(_ options: String) -> String {
        """
        {"family": "f", "containerDefinitions": [{"name": "web", "image": "busybox", "memory": 64,
          "logConfiguration": {"logDriver": "awslogs", "options": {\(options)}}}]}
        """
    }

    @Test func streamIsNamedAsECSNamesIt() throws {
        let prep = try build(awslogs(#""awslogs-group": "/ecs/app", "awslogs-stream-prefix": "ecs", "awslogs-region": "us-east-1""#))
        #expect(prep.awslogs == AWSLogsTarget(group: "/ecs/app", stream: "ecs/web/abc123", createGroup: false))
        // Never rotated: CloudWatch keeps a stream whole.
        guard case .logFiles(_, _, let maxBytes, _) = prep.plan.stdio else { Issue.record("\(prep.plan.stdio)"); return }
        #expect(maxBytes == 0)
        // Without a prefix ECS (EC2) names the stream after the container's runtime id.
        let bare = try build(awslogs(#""awslogs-group": "g", "awslogs-create-group": "true""#))
        #expect(bare.awslogs == AWSLogsTarget(group: "g", stream: TaskPlan.runtimeId(task: "abc123", container: "web"), createGroup: true))
        // Other drivers: no target, rotated files as before.
        let plain = try build(#"{"family": "f", "containerDefinitions": [{"name": "web", "image": "busybox", "memory": 64}]}"#)
        #expect(plain.awslogs == nil)
    }

    @Test func unsupportedAwslogsOptionsAreRefusedByName() throws {
        for (options, named) in [(#""awslogs-group": "g", "awslogs-datetime-format": "%Y""#, "awslogs-datetime-format"),
                                 (#""awslogs-group": "g", "awslogs-multiline-pattern": "^x""#, "awslogs-multiline-pattern"),
                                 (#""awslogs-group": "g", "awslogs-create-group": "yes""#, "awslogs-create-group"),
                                 (#""awslogs-group": "g", "max-buffer-size": "4m""#, "max-buffer-size"),
                                 (#""awslogs-stream-prefix": "p""#, "awslogs-group")] {
            #expect { _ = try build(awslogs(options)) } throws: { error in
                "\(error)".contains(named) && "\(error)".contains("logConfiguration.options")
            }
        }
        // The agent's region only: the local CloudWatch Logs answers one region.
        let west = try definition(awslogs(#""awslogs-group": "g", "awslogs-region": "eu-west-1""#)).containers[0]
        #expect { _ = try AWSLogsTarget.of(west, taskId: "t", runtimeId: "r", region: "us-east-1", path: "containerDefinitions[0]") } throws: { error in
            "\(error)".contains("containerDefinitions[0].logConfiguration.options.awslogs-region") && "\(error)".contains("us-east-1")
        }
        #expect(try AWSLogsTarget.of(west, taskId: "t", runtimeId: "r", region: "eu-west-1", path: "c")?.group == "g")
        let nonBlocking = try build(awslogs(#""awslogs-group": "g", "mode": "non-blocking", "max-buffer-size": "4m""#))
        #expect(nonBlocking.awslogs?.group == "g")
    }

    @Test func storeKeepsGroupsStreamsAndEventsOwnerOnly() throws {
        let s = Scratch()
        let store = AWSLogStore(root: s.path + "/awslogs")
        #expect(throws: AWSLogStoreError.self) { try store.createStream(group: "/ecs/app", stream: "x", now: 1) }
        try store.createGroup("/ecs/app", now: 1000)
        #expect { try store.createGroup("/ecs/app", now: 1) } throws: { ($0 as? AWSLogStoreError)?.kind == .alreadyExists }
        try store.createStream(group: "/ecs/app", stream: "ecs/web/abc", now: 2000)
        try store.createStream(group: "/ecs/app", stream: "ecs/web/abc", now: 3000, ifMissing: true)
        let files = store.outputFiles(group: "/ecs/app", stream: "ecs/web/abc")
        var st = stat()
        #expect(stat(files.stdout, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(stat(s.path + "/awslogs/%2Fecs%2Fapp", &st) == 0 && st.st_mode & 0o777 == 0o700)

        // The monitor's records, stdout and stderr interleaved by time; partial records joined.
        try Files.write(files.stdout, "2026-01-01T00:00:01.000000000Z stdout F one\n2026-01-01T00:00:03.500000000Z stdout P thr\n2026-01-01T00:00:03.600000000Z stdout F ee\n")
        try Files.write(files.stderr, "2026-01-01T00:00:02.250000000Z stderr F two\n")
        try store.put(group: "/ecs/app", stream: "ecs/web/abc", [AWSLogEvent(timestamp: 1_767_225_604_000, message: "four")])
        let events = try store.events(group: "/ecs/app", stream: "ecs/web/abc")
        #expect(events.map(\.message) == ["one", "two", "three", "four"])
        #expect(events.map(\.timestamp) == [1_767_225_601_000, 1_767_225_602_250, 1_767_225_603_600, 1_767_225_604_000])  // a split line: when it was complete

        let streams = try store.streams(group: "/ecs/app")
        #expect(streams == [AWSLogStream(name: "ecs/web/abc", creationTime: 2000, firstEventTimestamp: 1_767_225_601_000, lastEventTimestamp: 1_767_225_604_000)])
        try store.setRetention("/ecs/app", days: 7)
        #expect(store.groups() == [AWSLogGroup(name: "/ecs/app", creationTime: 1000, retentionInDays: 7)])
        // A second store on the same directory (an agent restart) sees the same.
        #expect(try AWSLogStore(root: s.path + "/awslogs").events(group: "/ecs/app", stream: "ecs/web/abc").count == 4)
        try store.deleteGroup("/ecs/app")
        #expect(store.groups().isEmpty)
        #expect(try Files.list(s.path + "/awslogs").isEmpty)
    }

    @Test func namesAreOnePathComponentAndRoundTrip() throws {
        for name in ["/ecs/app", "..", ".hidden", "a%2Fb", "plain"] {
            let enc = AWSLogStore.encode(name)
            #expect(!enc.contains("/") && !enc.hasPrefix("."), "\(enc)")
            #expect(AWSLogStore.decode(enc) == name)
        }
        #expect(throws: AWSLogStoreError.self) { try AWSLogStore.checkGroupName("bad name") }
        #expect(throws: AWSLogStoreError.self) { try AWSLogStore.checkStreamName("a:b") }
    }
}

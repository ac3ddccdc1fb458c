import BerthSys
import Foundation
import Testing

/// Issue 14 point 4 with every real piece: a real agent (real engine) runs an awslogs task, and
/// the aws CLI reads its output from the agent's CloudWatch Logs: the stream is named as ECS
/// names it, get-log-events pages with CloudWatch's tokens, `aws logs tail --follow` (aws CLI v2,
/// Debian's /usr/bin/aws) shows lines as they are written, and the logs outlive the task's
/// pruning and an agent restart.
@Suite(.serialized) struct AWSLogsTests {
    static let group = "/ecs/awslogs-test"

    /// `aws logs ...` against the harness's agent with the credentials it created.
    struct LogsCLI {
        let env: [String]
        let v1: String
        let endpoint: String

        init(_ h: AgentRealHarness) throws {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            v1 = try #require(path.split(separator: ":").map { String($0) + "/aws" }.first { access($0, X_OK) == 0 }, "the aws CLI is not on PATH")
            endpoint = try #require(h.endpoint)
            let creds = try #require(try JSONSerialization.jsonObject(with: Data(try Files.read(h.stateDir + "/credentials.json").utf8)) as? [String: Any])
            let unset = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("AWS_") }.sorted().flatMap { ["-u", $0] }
            env = ["/usr/bin/env"] + unset + ["AWS_ACCESS_KEY_ID=\(creds["accessKeyId"] as? String ?? "")", "AWS_SECRET_ACCESS_KEY=\(creds["secretAccessKey"] as? String ?? "")",
                                            "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"]
        }

        func json(_ service: String, _ args: [String]) throws -> [String: Any] {
            let r = try TaskHarness.exec(env + [v1, service] + args + ["--endpoint-url", endpoint, "--output", "json"], timeout: 120)
            try #require(r.status == 0, "aws \(service) \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
            let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? [:] : try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(r.stdout)")
        }

        /// Every message of a stream through get-log-events pages of `limit`, following
        /// nextForwardToken until CloudWatch's end signal: the same token back.
        func pagedMessages(_ stream: String, limit: Int) throws -> (messages: [String], pages: Int) {
            var token: String?
            var messages: [String] = []
            var pages = 0
            while pages < 1000 {
                let out = try json("logs", ["get-log-events", "--log-group-name", AWSLogsTests.group, "--log-stream-name", stream, "--start-from-head",
                                            "--limit", String(limit)] + (token.map { ["--next-token", $0] } ?? []))
                let events = out["events"] as? [[String: Any]] ?? []
                #expect(events.count <= limit)
                messages += events.compactMap { $0["message"] as? String }
                let next = try #require(out["nextForwardToken"] as? String)
                if next == token {
                    #expect(events.isEmpty, "the same token comes back only at the end")
                    break
                }
                token = next
                pages += 1
            }
            return (messages, pages)
        }
    }

    @Test func awsLogsReadsARunningTaskAndKeepsItsLogs() throws {
        let tail = "/usr/bin/aws"
        try #require(access(tail, X_OK) == 0, "aws CLI v2 (Debian's awscli package, for `aws logs tail`) is missing: Scripts/setup.sh --test installs it")
        let h = try AgentRealHarness(retention: 2)
        defer { h.cleanUp() }
        try h.startAgent()
        let aws = try LogsCLI(h)
        let definition = """
            {"family": "awslogs", "memory": "128", "containerDefinitions": [
              {"name": "app", "image": "busybox:latest", "essential": true,
               "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "\(Self.group)", "awslogs-stream-prefix": "ecs",
                                    "awslogs-create-group": "true", "awslogs-region": "us-east-1"}},
               "command": ["sh", "-c", "i=0; while [ $i -lt 30 ]; do echo line-$i; i=$((i+1)); done; sleep 1; echo oops >&2; sleep 1; j=0; while [ $j -lt 20 ]; do echo tick-$j; j=$((j+1)); sleep 1; done"]}]}
            """
        let file = h.root + "/awslogs-td.json"
        try Files.writeAtomically(file, Array(definition.utf8))
        _ = try aws.json("ecs", ["register-task-definition", "--cli-input-json", "file://" + file])
        let run = try aws.json("ecs", ["run-task", "--task-definition", "awslogs"])
        let arn = try #require((run["tasks"] as? [[String: Any]])?.first?["taskArn"] as? String, "\(run)")
        h.launched.append(AgentRealHarness.taskId(arn))
        let stream = "ecs/app/\(AgentRealHarness.taskId(arn))"

        // `aws logs tail --follow` shows the lines while the task writes them (then SIGKILL: it ignores SIGINT and SIGTERM while it sleeps).
        var tailed = ""
        let follow = try TaskHarness.exec(aws.env + [tail, "logs", "tail", Self.group, "--follow", "--format", "short", "--endpoint-url", aws.endpoint],
                                          timeout: 40, waitFor: "tick-3", whileRunning: { p, _ in kill(p.processIdentifier, SIGKILL) })
        tailed = follow.stdout
        #expect(tailed.contains("line-0") && tailed.contains("line-29") && tailed.contains("tick-3"), "aws logs tail showed: \(tailed)\n\(follow.stderr)")
        let running = try h.describe(arn)
        #expect(running["lastStatus"] as? String == "RUNNING", "the lines came while the task ran: \(running)")

        let groups = try aws.json("logs", ["describe-log-groups", "--log-group-name-prefix", "/ecs/"])
        #expect((groups["logGroups"] as? [[String: Any]])?.map { $0["logGroupName"] as? String } == [Self.group], "\(groups)")
        let streams = try aws.json("logs", ["describe-log-streams", "--log-group-name", Self.group])
        #expect((streams["logStreams"] as? [[String: Any]])?.map { $0["logStreamName"] as? String } == [stream], "\(streams)")

        _ = try h.waitFor(arn, timeout: 60, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        let logs = try h.cli(["task", "logs", arn])
        #expect(logs.status == 0 && logs.stdout.contains("line-29") && logs.stdout.contains("tick-19") && logs.stdout.contains("oops"), "berth task logs: \(logs.stdout)\(logs.stderr)")

        let expected = (0..<30).map { "line-\($0)" } + ["oops"] + (0..<20).map { "tick-\($0)" }
        let paged = try aws.pagedMessages(stream, limit: 7)
        #expect(paged.messages == expected)
        #expect(paged.pages == 8, "51 events in pages of 7")
        let filtered = try aws.json("logs", ["filter-log-events", "--log-group-name", Self.group, "--filter-pattern", "tick-1"])
        #expect((filtered["events"] as? [[String: Any]])?.compactMap { $0["message"] as? String } == ["tick-1"] + (10..<20).map { "tick-\($0)" })

        // Pruned after the 2 s retention: the task is gone, its logs are not.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? aws.json("ecs", ["describe-tasks", "--tasks", arn]))?["tasks"] as? [Any])?.isEmpty == false { usleep(500_000) }
        #expect((try aws.json("ecs", ["describe-tasks", "--tasks", arn])["tasks"] as? [Any])?.isEmpty == true, "the task was not pruned")
        #expect(try aws.pagedMessages(stream, limit: 100).messages == expected)

        // And an agent restart.
        h.killAgent(SIGTERM)
        try h.startAgent()
        let again = try LogsCLI(h)
        #expect(try again.pagedMessages(stream, limit: 100).messages == expected)
        var st = stat()
        #expect(stat(h.stateDir + "/awslogs", &st) == 0 && st.st_mode & 0o077 == 0, "owner-only store")
        _ = try again.json("logs", ["delete-log-group", "--log-group-name", Self.group])
        #expect((try again.json("logs", ["describe-log-groups"])["logGroups"] as? [Any])?.isEmpty == true)
    }

    @Test func aMissingGroupWithoutCreateGroupFailsTheStartAsAwslogsDoes() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        let aws = try LogsCLI(h)
        let definition = """
            {"family": "nogroup", "memory": "128", "containerDefinitions": [
              {"name": "app", "image": "busybox:latest", "essential": true, "command": ["sh", "-c", "echo hi"],
               "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "missing", "awslogs-stream-prefix": "ecs"}}}]}
            """
        let file = h.root + "/nogroup-td.json"
        try Files.writeAtomically(file, Array(definition.utf8))
        _ = try aws.json("ecs", ["register-task-definition", "--cli-input-json", "file://" + file])
        let run = try aws.json("ecs", ["run-task", "--task-definition", "nogroup"])
        let arn = try #require((run["tasks"] as? [[String: Any]])?.first?["taskArn"] as? String, "\(run)")
        h.launched.append(AgentRealHarness.taskId(arn))
        let task = try h.waitFor(arn, timeout: 60, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(task["stopCode"] as? String == "TaskFailedToStart", "\(task)")
        #expect((task["stoppedReason"] as? String ?? "").contains("ResourceNotFoundException: The specified log group does not exist."), "\(task)")

        // Created with the aws CLI, the same definition runs and logs.
        _ = try aws.json("logs", ["create-log-group", "--log-group-name", "missing"])
        let second = try aws.json("ecs", ["run-task", "--task-definition", "nogroup"])
        let arn2 = try #require((second["tasks"] as? [[String: Any]])?.first?["taskArn"] as? String, "\(second)")
        h.launched.append(AgentRealHarness.taskId(arn2))
        _ = try h.waitFor(arn2, timeout: 60, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        let events = try aws.json("logs", ["get-log-events", "--log-group-name", "missing", "--log-stream-name", "ecs/app/\(AgentRealHarness.taskId(arn2))"])
        #expect((events["events"] as? [[String: Any]])?.compactMap { $0["message"] as? String } == ["hi"], "\(events)")
    }
}

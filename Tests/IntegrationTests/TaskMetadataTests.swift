import BerthSys
import Foundation
import Testing

/// The task metadata endpoint (v4) and task role credentials, read from inside real tasks of
/// every network mode through a real agent: busybox wget for the metadata, the host's boto3
/// (botocore's own ContainerProvider, unmodified) for credentials.
@Suite(.serialized) struct TaskMetadataTests {
    /// What the ECS agent's v4 handlers write (ecs-agent/tmds/handlers/v4; reference
    /// ecs-extensions.md §3) and Berth must answer with, per document.
    static let taskFields = ["Cluster", "TaskARN", "Family", "Revision", "DesiredStatus", "KnownStatus", "Limits", "AvailabilityZone",
                             "LaunchType", "Containers", "ClockDrift", "EphemeralStorageMetrics", "FaultInjectionEnabled"]
    static let containerFields = ["DockerId", "Name", "DockerName", "Image", "ImageID", "Labels", "DesiredStatus", "KnownStatus", "Limits",
                                  "CreatedAt", "StartedAt", "Type", "Networks", "ContainerARN", "Snapshotter", "RestartCount"]
    static let networkFields = ["NetworkMode", "IPv4Addresses"]
    static let awsvpcNetworkFields = ["AttachmentIndex", "MACAddress", "IPv4SubnetCIDRBlock", "DomainNameServers", "DomainNameSearchList",
                                      "PrivateDNSName", "SubnetGatewayIpv4Address"]
    static let labels = ["com.amazonaws.ecs.cluster", "com.amazonaws.ecs.container-name", "com.amazonaws.ecs.task-arn",
                         "com.amazonaws.ecs.task-definition-family", "com.amazonaws.ecs.task-definition-version"]
    static let statsFields = ["read", "preread", "pids_stats", "blkio_stats", "cpu_stats", "precpu_stats", "memory_stats", "name", "id",
                              "network_rate_stats"]

    /// The container script: its metadata documents, stats before and after burning CPU, and
    /// what a made-up container id answers, one tagged line each.
    static let script = """
        sleep 1
        echo "URI $ECS_CONTAINER_METADATA_URI_V4"
        echo "TASK $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/task)"
        echo "TAGS $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/taskWithTags)"
        echo "SELF $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4)"
        echo "V3 $(wget -qO- $ECS_CONTAINER_METADATA_URI/task)"
        echo "STATS1 $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/stats)"
        i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done
        echo "STATS2 $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/stats)"
        echo "TASKSTATS $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/task/stats)"
        echo "APP $(wget -qO- http://127.0.0.1:80/ 2>&1)"
        echo "BOGUS $(wget -qO- ${ECS_CONTAINER_METADATA_URI_V4%/*}/0123456789abcdef0123456789abcdef-0000000000/task 2>&1)"
        echo DONE
        sleep 120
        """

    /// In a task with its own namespace, a second container serves port 80 itself: the endpoint
    /// must not take it, and must still answer on 169.254.170.2:80.
    static let web = #", {"name": "web", "image": "busybox:latest", "essential": false, "command": ["sh", "-c", "mkdir -p /www && echo app-page > /www/index.html && exec httpd -f -p 80 -h /www"]}"#

    static func taskDefinition(_ family: String, _ mode: String) -> String {
        let command = String(data: try! JSONSerialization.data(withJSONObject: ["sh", "-c", script]), encoding: .utf8)!
        return """
            {"family": "\(family)", "networkMode": "\(mode)", "cpu": "256", "memory": "256",
             "containerDefinitions": [{"name": "app", "image": "busybox:latest", "essential": true, "command": \(command),
                                       "dockerLabels": {"team": "berth"}}\(mode == "host" ? "" : web)]}
            """
    }

    static func line(_ logs: String, _ tag: String) -> String? {
        for l in logs.split(separator: "\n") {
            guard let r = l.range(of: "| \(tag) ") else { continue }
            return String(l[r.upperBound...])
        }
        return nil
    }

    static func object(_ logs: String, _ tag: String) throws -> [String: Any] {
        let text = try #require(line(logs, tag), "no \(tag) line in the task's output:\n\(logs)")
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(tag) is not a JSON object: \(text)")
    }

    static func missing(_ fields: [String], in object: [String: Any]) -> [String] { fields.filter { object[$0] == nil } }

    static func total(_ stats: [String: Any], _ key: String) -> Int {
        ((stats[key] as? [String: Any])?["cpu_usage"] as? [String: Any])?["total_usage"] as? Int ?? -1
    }

    @Test func metadataFromInsideAwsvpcBridgeAndHostTasks() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        var arns: [String: String] = [:]
        for mode in ["awsvpc", "bridge", "host"] {
            try h.register(Self.taskDefinition("md-\(mode)", mode))
            arns[mode] = try #require(try h.run("md-\(mode)").first)
        }
        var dockerIds: [String: String] = [:], uris: [String: String] = [:]
        for mode in ["awsvpc", "bridge", "host"] {
            let arn = arns[mode]!
            var logs = ""
            let deadline = Date().addingTimeInterval(60)
            while !logs.contains("| DONE"), Date() < deadline {
                usleep(300_000)
                logs = try h.cli(["task", "logs", arn]).stdout
            }
            try #require(logs.contains("| DONE"), "\(mode): the task did not finish its script:\n\(logs)\n\(h.agentErr.text.suffix(3000))")

            uris[mode] = Self.line(logs, "URI")
            let task = try Self.object(logs, "TASK")
            #expect(Self.missing(Self.taskFields, in: task).isEmpty, "\(mode): task document lacks \(Self.missing(Self.taskFields, in: task))")
            #expect(task["TaskARN"] as? String == arn)
            #expect(task["Family"] as? String == "md-\(mode)")
            #expect(task["Revision"] as? String == "1")
            #expect(task["KnownStatus"] as? String == "RUNNING")
            #expect((task["Limits"] as? [String: Any])?["CPU"] as? Double == 0.25)
            #expect((task["Limits"] as? [String: Any])?["Memory"] as? Int == 256)
            let container = try #require((task["Containers"] as? [[String: Any]])?.first { $0["Name"] as? String == "app" })
            #expect((task["Containers"] as? [[String: Any]])?.count == (mode == "host" ? 1 : 2))
            if mode != "host" { #expect(Self.line(logs, "APP") == "app-page", "\(mode): the task's own port 80: \(Self.line(logs, "APP") ?? "")") }
            #expect(Self.missing(Self.containerFields, in: container).isEmpty, "\(mode): container lacks \(Self.missing(Self.containerFields, in: container))")
            #expect(container["Name"] as? String == "app")
            #expect(container["Image"] as? String == "busybox:latest")
            #expect((container["ImageID"] as? String)?.hasPrefix("sha256:") == true)
            #expect(container["KnownStatus"] as? String == "RUNNING")
            #expect(container["Type"] as? String == "NORMAL")
            let labels = container["Labels"] as? [String: String] ?? [:]
            #expect(Self.labels.allSatisfy { labels[$0] != nil }, "\(mode): labels \(labels)")
            #expect(labels["com.amazonaws.ecs.task-arn"] == arn)
            #expect(labels["team"] == "berth")
            let network = try #require((container["Networks"] as? [[String: Any]])?.first)
            #expect(network["NetworkMode"] as? String == mode)
            #expect(Self.missing(Self.networkFields + (mode == "awsvpc" ? Self.awsvpcNetworkFields : []), in: network).isEmpty, "\(mode): network \(network)")
            if mode != "host" { #expect((network["IPv4Addresses"] as? [String])?.isEmpty == false) }
            let id = try #require(container["DockerId"] as? String)
            dockerIds[mode] = id
            #expect(id.hasPrefix(AgentRealHarness.taskId(arn) + "-"))

            let tags = try Self.object(logs, "TAGS")
            #expect(tags["TaskTags"] is [String: Any], "\(mode): taskWithTags lacks TaskTags")
            let selfDoc = try Self.object(logs, "SELF")
            #expect(selfDoc["DockerId"] as? String == id)
            #expect(Self.missing(Self.containerFields, in: selfDoc).isEmpty)
            let v3 = try Self.object(logs, "V3")
            #expect(v3["TaskARN"] as? String == arn)

            let s1 = try Self.object(logs, "STATS1"), s2 = try Self.object(logs, "STATS2")
            #expect(Self.missing(Self.statsFields, in: s2).isEmpty, "\(mode): stats lack \(Self.missing(Self.statsFields, in: s2))")
            #expect(Self.total(s2, "cpu_stats") > Self.total(s1, "cpu_stats") + 10_000_000, "\(mode): CPU time did not move: \(s1) -> \(s2)")
            #expect(Self.total(s2, "precpu_stats") == Self.total(s1, "cpu_stats"), "\(mode): precpu_stats is not the previous sample")
            let cpu2 = s2["cpu_stats"] as? [String: Any] ?? [:]
            #expect((cpu2["system_cpu_usage"] as? Int ?? 0) > 0 && (cpu2["online_cpus"] as? Int ?? 0) > 0)
            let usage2 = cpu2["cpu_usage"] as? [String: Any] ?? [:]
            #expect((usage2["usage_in_usermode"] as? Int ?? 0) > 0 && usage2["usage_in_kernelmode"] is Int, "\(mode): \(usage2)")
            let memory = s2["memory_stats"] as? [String: Any] ?? [:]
            #expect((memory["stats"] as? [String: Any])?.isEmpty == false, "\(mode): memory_stats.stats is empty")
            #expect((memory["usage"] as? Int ?? 0) > 0)
            #expect(memory["limit"] as? Int == 256 << 20)
            #expect(((s2["pids_stats"] as? [String: Any])?["current"] as? Int ?? 0) >= 1)
            if mode != "host" {
                let nets = s2["networks"] as? [String: [String: Any]] ?? [:]
                #expect(nets.values.contains { ($0["rx_bytes"] as? Int ?? 0) > 0 }, "\(mode): no network counters: \(s2)")
            }
            let taskStats = try Self.object(logs, "TASKSTATS")
            #expect(taskStats[id] is [String: Any], "\(mode): task/stats has no entry for \(id)")

            let bogus = try #require(Self.line(logs, "BOGUS"))
            #expect(bogus.contains("404"), "\(mode): an unknown container id answered: \(bogus)")
        }

        // One task cannot read another's metadata: from inside the awsvpc task, the bridge
        // task's container id (and the host task's) is a 404 on its endpoint. (An exec'd command
        // does not get the container's environment: the URLs are spelled out.)
        for other in ["bridge", "host"] {
            let r = try h.cli(["task", "exec", arns["awsvpc"]!, "--", "sh", "-c",
                               "wget -qO- http://169.254.170.2/v4/\(dockerIds[other]!)/task 2>&1; echo rc=$?"])
            #expect(r.stdout.contains("404") && r.stdout.contains("rc=1"), "the awsvpc task read the \(other) task's metadata: \(r.stdout) \(r.stderr)")
            #expect(!r.stdout.contains(arns[other]!))
        }
        // Nor a host-network task through the loopback listener, with the bridge task's id under
        // its own token, or under a made-up one.
        let hostURI = try #require(uris["host"])
        let prefix = String(hostURI[..<hostURI.range(of: "/v4/")!.lowerBound])
        let base = String(prefix[..<prefix.lastIndex(of: "/")!])
        for url in ["\(prefix)/v4/\(dockerIds["bridge"]!)/task", "\(base)/0000/v4/\(dockerIds["bridge"]!)/task", "\(base)/v4/\(dockerIds["host"]!)/task"] {
            let r = try h.cli(["task", "exec", arns["host"]!, "--", "sh", "-c", "wget -qO- \(url) 2>&1; echo rc=$?"])
            #expect(r.stdout.contains("404") && r.stdout.contains("rc=1"), "\(url): \(r.stdout) \(r.stderr)")
        }
        // Credentials of a host-network task need its token as Authorization.
        let creds = try h.cli(["task", "exec", arns["host"]!, "--", "sh", "-c", "wget -qO- \(prefix)/v2/credentials/x 2>&1; echo rc=$?"])
        #expect(creds.stdout.contains("401") || creds.stdout.contains("400"), "\(creds.stdout)")

        for arn in arns.values { _ = try h.cli(["task", "stop", arn]) }
        for arn in arns.values { try h.waitFor(arn, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" } }
        h.expectNothingLeft(Array(arns.values))
    }

    /// The host's python3 with its boto3, read-only inside a busybox task.
    static func python() throws -> (executable: String, mounts: [(String, String)]) {
        let r = try TaskHarness.exec(["/usr/bin/env", "python3", "-c",
                                      "import os, sys, boto3; print(os.path.realpath(sys.executable)); print(os.path.realpath(sys.prefix))"], timeout: 30)
        try #require(r.status == 0, "python3 with boto3 is needed (Scripts/setup.sh --test installs it): \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        var mounts = [("/usr", "/usr")]
        for dir in ["/lib", "/lib64"] where Files.exists(dir) {
            mounts.append((URL(fileURLWithPath: dir).resolvingSymlinksInPath().path, dir))
        }
        if !lines[1].hasPrefix("/usr/") { mounts.append((lines[1], lines[1])) }
        return (lines[0], mounts)
    }

    static func botoTaskDefinition(_ family: String, _ mode: String, role: String?, python: (executable: String, mounts: [(String, String)])) -> String {
        let code = "import boto3, json; c = boto3.Session().get_credentials(); "
            + "print('CREDS', json.dumps(None if c is None else {'key': c.access_key, 'secret': c.secret_key, 'token': c.token, 'method': c.method}))"
        let command = String(data: try! JSONSerialization.data(withJSONObject: [python.executable, "-c", code]), encoding: .utf8)!
        let volumes = python.mounts.enumerated().map { #"{"name": "v\#($0.offset)", "host": {"sourcePath": "\#($0.element.0)"}}"# }
        let points = python.mounts.enumerated().map { #"{"sourceVolume": "v\#($0.offset)", "containerPath": "\#($0.element.1)", "readOnly": true}"# }
        return """
            {"family": "\(family)", "networkMode": "\(mode)", \(role.map { "\"taskRoleArn\": \"\($0)\"," } ?? "")
             "volumes": [\(volumes.joined(separator: ","))],
             "containerDefinitions": [{"name": "py", "image": "busybox:latest", "essential": true, "memory": 256, "command": \(command),
                "environment": [{"name": "AWS_EC2_METADATA_DISABLED", "value": "true"}, {"name": "HOME", "value": "/tmp"}],
                "mountPoints": [\(points.joined(separator: ","))]}]}
            """
    }

    @Test func boto3GetsTheCredentialsOfItsTaskRole() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let python = try Self.python()
        // Role "app": static keys; role "worker": a profile of a shared credentials file.
        let shared = h.root + "/aws-credentials"
        try Files.writeAtomically(shared, Array("[worker]\naws_access_key_id = AKIAWORKER\naws_secret_access_key = workersecret\naws_session_token = workertoken\n".utf8))
        let roles = h.root + "/roles.json"
        try Files.writeAtomically(roles, Array("""
            {"arn:aws:iam::000000000000:role/app": {"accessKeyId": "AKIAAPP", "secretAccessKey": "appsecret", "sessionToken": "apptoken",
                                                   "expiration": "2030-01-01T00:00:00Z"},
             "arn:aws:iam::000000000000:role/worker": {"profile": "worker"}}
            """.utf8))
        h.extraAgentArgs = ["--task-role-credentials", roles]
        h.agentEnvironment = ["AWS_SHARED_CREDENTIALS_FILE": shared]
        try h.startAgent()
        let cases: [(family: String, mode: String, role: String?, expected: [String: String]?)] = [
            ("boto-app", "awsvpc", "arn:aws:iam::000000000000:role/app", ["key": "AKIAAPP", "secret": "appsecret", "token": "apptoken"]),
            ("boto-worker", "bridge", "arn:aws:iam::000000000000:role/worker", ["key": "AKIAWORKER", "secret": "workersecret", "token": "workertoken"]),
            ("boto-host", "host", "arn:aws:iam::000000000000:role/app", ["key": "AKIAAPP", "secret": "appsecret", "token": "apptoken"]),
            ("boto-none", "awsvpc", nil, nil),
        ]
        var arns: [String] = []
        for c in cases {
            try h.register(Self.botoTaskDefinition(c.family, c.mode, role: c.role, python: python))
            let arn = try #require(try h.run(c.family).first)
            arns.append(arn)
            try h.waitFor(arn, timeout: 90, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
            let logs = try h.cli(["task", "logs", arn]).stdout
            let text = try #require(Self.line(logs, "CREDS"), "\(c.family): no CREDS line:\n\(logs)\n\(h.agentErr.text.suffix(2000))")
            if let expected = c.expected {
                let got = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String], "\(c.family): \(text)")
                #expect(got["key"] == expected["key"] && got["secret"] == expected["secret"] && got["token"] == expected["token"], "\(c.family): \(got)")
                #expect(got["method"] == "container-role", "\(c.family): botocore found them through \(got["method"] ?? "?")")
            } else {
                #expect(text == "null", "a task without a role got credentials: \(text)")
            }
        }
        h.expectNothingLeft(arns)
    }

    /// The agent's bpf links: per task with its own namespace, one for its metadata endpoint and
    /// one for its resolver's TCP listener (Docs/tasks.md, "Service discovery inside tasks").
    static func bpfLinks(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)"))?.contains("bpf_link") == true
        }.count
    }

    /// A restarted agent opens the endpoint again for a task it re-adopts, and closes it (the
    /// socket and the bpf link) when the task stops.
    @Test func theEndpointSurvivesAnAgentRestartAndGoesWithTheTask() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        try h.startAgent()
        try h.register(#"{"family": "md-adopt", "networkMode": "awsvpc", "containerDefinitions": [{"name": "app", "image": "busybox:latest", "essential": true, "memory": 64, "stopTimeout": 2, "command": ["sleep", "300"]}]}"#)
        let arn = try #require(try h.run("md-adopt").first)
        let containerId = try #require(try Self.containerIdFromInside(h, arn))
        #expect(try h.cli(["task", "exec", arn, "--", "wget", "-qO-", "http://169.254.170.2/v4/\(containerId)/task"]).stdout.contains(arn))
        #expect(Self.bpfLinks(h.agent!.processIdentifier) == 2)
        h.killAgent()
        try h.startAgent()
        try h.waitFor(arn, "RUNNING again") { $0["lastStatus"] as? String == "RUNNING" }
        let again = try h.cli(["task", "exec", arn, "--", "wget", "-qO-", "http://169.254.170.2/v4/\(containerId)/task"])
        #expect(again.stdout.contains(arn), "after the restart: \(again.stdout) \(again.stderr) \(h.agentErr.text.suffix(2000))")
        #expect(Self.bpfLinks(h.agent!.processIdentifier) == 2)
        // The re-adopted task resolves through the new agent (nothing is published: forwarded to the host's servers).
        let resolver = try h.cli(["task", "exec", arn, "--", "nslookup", "localhost.invalid", "127.0.0.11"])
        #expect(resolver.stdout.contains("127.0.0.11"), "the resolver did not answer after the restart: \(resolver.stdout) \(resolver.stderr)")
        _ = try h.cli(["task", "stop", arn])
        try h.waitFor(arn, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        let deadline = Date().addingTimeInterval(5)
        while Self.bpfLinks(h.agent!.processIdentifier) > 0, Date() < deadline { usleep(50_000) }
        #expect(Self.bpfLinks(h.agent!.processIdentifier) == 0, "the stopped task's endpoint is still open")
        h.expectNothingLeft([arn])
    }

    /// The container's metadata id, as the container was given it: its ECS_CONTAINER_METADATA_URI_V4,
    /// read from the host in the environment of the container's process (an exec'd command does
    /// not inherit it, and the container may not read its PID 1's environ).
    static func containerIdFromInside(_ h: AgentRealHarness, _ arn: String) throws -> String? {
        let taskId = AgentRealHarness.taskId(arn)
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for v in data.split(separator: 0) {
                let text = String(decoding: v, as: UTF8.self)
                if text.hasPrefix("ECS_CONTAINER_METADATA_URI_V4="), text.contains("/v4/\(taskId)-") {
                    return String(text.split(separator: "/").last ?? "")
                }
            }
        }
        return nil
    }
}

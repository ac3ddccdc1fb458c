import BerthSys
import Foundation
import Testing

/// Issue 15's Done-when 2: a fixed-rate client (load_client.py: keep-alive connections and a new
/// connection per request, a quarter of the requests to a CGI that takes 0.5 s) runs through an
/// ALB listener while the aws CLI rolls a service of 4 busybox httpd tasks to a new revision
/// (minimumHealthyPercent 100, maximumPercent 200) and then scales it in to 2: not one request
/// fails, and the new revision answers. The counter-test: the same rollout with a
/// deregistration delay of 0 (targets dropped and tasks stopped at once, in-flight requests cut)
/// fails requests, which is what draining is for. Timers run on the agent's --time-scale 0.1.
@Suite(.serialized) struct RollingUnderLoadTests {
    static let rate = 40.0

    /// Revision `version` of the web task: `/` answers "<version> from <hostname>", `/cgi-bin/slow` after 0.5 s.
    static func taskDefinition(_ version: String) throws -> String {
        let script = """
            mkdir -p /tmp/www/cgi-bin && echo "$VERSION from $(hostname)" > /tmp/www/index.html && \
            printf '#!/bin/sh\\nsleep 0.5\\necho Content-Type: text/plain\\necho\\necho slow\\n' > /tmp/www/cgi-bin/slow && \
            chmod +x /tmp/www/cgi-bin/slow && exec httpd -f -p 8080 -h /tmp/www
            """
        let td: [String: Any] = [
            "family": "web-rolling", "networkMode": "bridge",
            "containerDefinitions": [[
                "name": "web", "image": "busybox:latest", "essential": true, "memory": 64, "stopTimeout": 2,
                "environment": [["name": "VERSION", "value": version]],
                "command": ["sh", "-c", script],
                "portMappings": [["containerPort": 8080, "hostPort": 0, "protocol": "tcp"]],
            ]],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: td), as: UTF8.self)
    }

    struct Load {
        var requests = 0, ok = 0, failed = 0, late = 0
        var seconds = 0.0
        var failures: [String: Int] = [:]
        var bodies: [String: Int] = [:]
        var samples: [[String: Any]] = []
        var summary: String { "\(requests) requests in \(seconds) s, \(ok) ok, failures \(failures), samples \(samples.prefix(5))" }
    }

    /// Run `body` while load_client.py sends `rate` requests per second through the listener.
    static func underLoad(_ h: AgentRealHarness, port: Int, _ body: () throws -> Void) throws -> Load {
        let stop = h.root + "/load-stop-\(UInt32.random(in: 0...UInt32.max))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [TaskHarness.repoRoot + "/Tests/IntegrationTests/ELB/load_client.py", String(port), "--rate", String(rate),
                       "--keepalive", "8", "--fresh", "8", "--slow-fraction", "0.5", "--slow-path", "/cgi-bin/slow",
                       "--stop-file", stop, "--max-seconds", "100"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let o = TaskHarness.Buffer(), e = TaskHarness.Buffer()
        out.fileHandleForReading.readabilityHandler = { o.append($0.availableData) }
        err.fileHandleForReading.readabilityHandler = { e.append($0.availableData) }
        try p.run()
        defer {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        let started = Date().addingTimeInterval(10)
        while !o.text.contains("started"), p.isRunning, Date() < started { usleep(20_000) }
        usleep(1_000_000)  // traffic before the change
        do { try body() } catch {
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            throw error
        }
        usleep(1_000_000)  // and after it
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        let end = Date().addingTimeInterval(15)
        while p.isRunning, Date() < end { usleep(50_000) }
        let line = o.text.split(separator: "\n").last.map(String.init) ?? ""
        let json = try #require(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "load client said \(o.text) \(e.text)")
        var l = Load()
        l.requests = json["requests"] as? Int ?? 0
        l.ok = json["ok"] as? Int ?? 0
        l.failed = json["failed"] as? Int ?? 0
        l.late = json["late"] as? Int ?? 0
        l.seconds = json["seconds"] as? Double ?? 0
        l.failures = json["failures"] as? [String: Int] ?? [:]
        l.bodies = json["bodies"] as? [String: Int] ?? [:]
        l.samples = json["samples"] as? [[String: Any]] ?? []
        return l
    }

    @Test func albRollingUpdateAndScaleInUnderLoadDropNoRequestAndWithoutDrainingTheyDo() throws {
        try scenario(network: false)
    }

    /// The same through an NLB's TCP listener (flows, TCP health checks).
    @Test func nlbRollingUpdateAndScaleInUnderLoadDropNoRequestAndWithoutDrainingTheyDo() throws {
        try scenario(network: true)
    }

    func scenario(network: Bool) throws {
        let kind = network ? "NLB" : "ALB"
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        h.extraAgentArgs = ["--time-scale", "0.1"]
        try h.startAgent()
        try aws.bindEndpoint()
        func elb(_ args: [String]) throws -> [String: Any] { try aws.json(args, service: "elbv2") }
        func targets(_ tg: String) throws -> [(port: Int, state: String)] {
            (try elb(["describe-target-health", "--target-group-arn", tg])["TargetHealthDescriptions"] as? [[String: Any]] ?? []).map {
                (($0["Target"] as? [String: Any])?["Port"] as? Int ?? 0, ($0["TargetHealth"] as? [String: Any])?["State"] as? String ?? "")
            }
        }
        var seen = Set<String>()
        func service() throws -> [String: Any] {
            let current = try aws.json(["list-tasks", "--service-name", "web"])["taskArns"] as? [String] ?? []
            for arn in current where seen.insert(arn).inserted { h.launched.append(AgentRealHarness.taskId(arn)) }
            return (try aws.json(["describe-services", "--services", "web"])["services"] as? [[String: Any]])?.first ?? [:]
        }
        /// One COMPLETED deployment, `count` tasks running, exactly `count` healthy targets and none draining.
        func steady(_ tg: String, _ count: Int, _ timeout: Double) throws {
            _ = try AWSLoadBalancerTests.waitFor("\(count) tasks steady behind the listener", timeout: timeout) { () -> Bool? in
                let s = try service()
                let deployments = s["deployments"] as? [[String: Any]] ?? []
                guard deployments.count == 1, deployments[0]["rolloutState"] as? String == "COMPLETED",
                      s["runningCount"] as? Int == count else { return nil }
                let t = try targets(tg)
                return t.count == count && t.allSatisfy { $0.state == "healthy" } ? true : nil
            }
        }

        let port = try AWSLoadBalancerTests.freePort()
        let lb = try #require((try elb(["create-load-balancer", "--name", "roll", "--subnets", "subnet-a", "subnet-b",
                                        "--type", network ? "network" : "application"])["LoadBalancers"] as? [[String: Any]])?.first)
        let check = network ? ["--health-check-protocol", "TCP"] : ["--health-check-path", "/"]
        let tg = try #require((try elb(["create-target-group", "--name", "roll-tg", "--protocol", network ? "TCP" : "HTTP", "--port", "8080", "--target-type", "ip",
                                        "--vpc-id", "vpc-1", "--health-check-interval-seconds", "10", "--health-check-timeout-seconds", "5",
                                        "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "3"] + check)["TargetGroups"] as? [[String: Any]])?.first)
        let tgArn = try #require(tg["TargetGroupArn"] as? String)
        // 20 s of draining: 2 s at --time-scale 0.1, well above the 0.5 s of the slow requests.
        _ = try elb(["modify-target-group-attributes", "--target-group-arn", tgArn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=20"])
        _ = try elb(["create-listener", "--load-balancer-arn", try #require(lb["LoadBalancerArn"] as? String), "--protocol", network ? "TCP" : "HTTP", "--port", String(port),
                     "--default-actions", "Type=forward,TargetGroupArn=\(tgArn)"])
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(try Self.taskDefinition("v1")))])
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(try Self.taskDefinition("v2")))])
        _ = try aws.json(["create-service", "--service-name", "web", "--task-definition", "web-rolling:1", "--desired-count", "4",
                          "--deployment-configuration", "minimumHealthyPercent=100,maximumPercent=200",
                          "--load-balancers", "targetGroupArn=\(tgArn),containerName=web,containerPort=8080"])
        var deleted = false
        defer {
            if !deleted { _ = try? aws.json(["delete-service", "--service", "web", "--force"]) }
            _ = try? service()
        }
        try steady(tgArn, 4, 60)

        // (a) Rolling update to revision 2 under load: 4 new tasks start (200 %), turn healthy,
        // then the 4 old ones drain and stop.
        let rolling = try Self.underLoad(h, port: port) {
            _ = try aws.json(["update-service", "--service", "web", "--task-definition", "web-rolling:2",
                              "--deployment-configuration", "minimumHealthyPercent=100,maximumPercent=200"])
            usleep(500_000)
            try steady(tgArn, 4, 60)
        }
        print("\(kind) rolling update under load: \(rolling.summary)")
        #expect(rolling.failed == 0, "\(kind) rolling update: \(rolling.summary)")
        #expect(Double(rolling.requests) >= 0.8 * Self.rate * rolling.seconds, "the client kept its rate: \(rolling.summary)")
        let v1 = rolling.bodies.filter { $0.key.hasPrefix("v1 from") }, v2 = rolling.bodies.filter { $0.key.hasPrefix("v2 from") }
        #expect(v1.count == 4 && v2.count == 4, "every old and every new task answered: \(rolling.bodies)")
        #expect((rolling.bodies["slow"] ?? 0) > 0, "slow requests were answered: \(rolling.bodies)")

        // (b) Scale-in 4 -> 2 under load.
        let scaleIn = try Self.underLoad(h, port: port) {
            _ = try aws.json(["update-service", "--service", "web", "--desired-count", "2"])
            usleep(500_000)
            try steady(tgArn, 2, 60)
        }
        print("\(kind) scale-in under load: \(scaleIn.summary)")
        #expect(scaleIn.failed == 0, "\(kind) scale-in: \(scaleIn.summary)")
        #expect(Double(scaleIn.requests) >= 0.8 * Self.rate * scaleIn.seconds, "the client kept its rate: \(scaleIn.summary)")
        #expect(scaleIn.bodies.keys.allSatisfy { $0 == "slow" || $0.hasPrefix("v2 from") }, "\(scaleIn.bodies)")

        // Counter-test: no draining. Targets leave at once and the tasks get their SIGTERM at once
        // (busybox httpd exits on it): requests in flight on the leaving tasks fail.
        _ = try elb(["modify-target-group-attributes", "--target-group-arn", tgArn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=0"])
        let undrained = try Self.underLoad(h, port: port) {
            _ = try aws.json(["update-service", "--service", "web", "--task-definition", "web-rolling:1",
                              "--deployment-configuration", "minimumHealthyPercent=100,maximumPercent=200"])
            usleep(500_000)
            try steady(tgArn, 2, 60)
        }
        print("\(kind) rolling update without draining: \(undrained.summary)")
        #expect(undrained.failed > 0, "\(kind): without draining the rollout must fail requests in flight: \(undrained.summary)")
        #expect(undrained.bodies.keys.contains { $0.hasPrefix("v1 from") }, "\(undrained.bodies)")

        _ = try aws.json(["delete-service", "--service", "web", "--force"])
        deleted = true
        for arn in seen.sorted() { _ = try aws.waitStopped(arn, timeout: 40) }
        h.expectNothingLeft(seen.sorted())
    }
}

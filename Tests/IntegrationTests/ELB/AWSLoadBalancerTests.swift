import BerthSys
import Foundation
import Testing

/// Issue 15's Done-when 1 with every real piece: the aws CLI drives a real `berth agent` (real
/// engine, BerthLB as the data plane). An ALB, a target group and an HTTP listener on a free
/// loopback port; an ECS service of 3 httpd tasks behind it becomes 3 healthy targets; requests
/// through the listener reach all three tasks; a task whose page is removed fails its health
/// checks, is drained and replaced, and ECS's event says so.
@Suite(.serialized) struct AWSLoadBalancerTests {
    /// web-behind-lb.json's container, whose page names its task (the metadata endpoint's task ARN is not
    /// needed: the container's hostname differs per task).
    static let taskDefinition = """
        {"family": "web-behind-lb", "networkMode": "bridge", "containerDefinitions": [
          {"name": "web", "image": "busybox:latest", "essential": true, "memory": 64, "stopTimeout": 2,
           "command": ["sh", "-c", "mkdir -p /tmp/www && echo \\"hello from $(hostname)\\" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"],
           "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}]}]}
        """

    static func freePort() throws -> Int {
        let r = try TaskHarness.exec(["/usr/bin/python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"], timeout: 10)
        return try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "no free port: \(r.stderr)")
    }

    /// GET through the listener; the body, or nil when the request fails.
    static func get(_ port: Int) -> String? {
        guard let r = try? TaskHarness.exec(["/usr/bin/python3", "-c",
            "import sys,urllib.request; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:\(port)/', timeout=3).read().decode())"], timeout: 10),
              r.status == 0 else { return nil }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func waitFor<T>(_ what: String, timeout: Double, _ poll: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let v = try poll() { return v }
            usleep(500_000)
        }
        Issue.record("timed out after \(timeout)s waiting for \(what)")
        throw CancellationError()
    }

    @Test func serviceBehindAnALBIsBalancedCheckedAndHealed() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let aws = try AWSCLI(harness: h)
        h.extraAgentArgs = ["--time-scale", "0.1"]
        try h.startAgent()
        try aws.bindEndpoint()
        func elb(_ args: [String]) throws -> [String: Any] { try aws.json(args, service: "elbv2") }
        func targets(_ tg: String) throws -> [[String: Any]] {
            try elb(["describe-target-health", "--target-group-arn", tg])["TargetHealthDescriptions"] as? [[String: Any]] ?? []
        }
        func state(_ t: [String: Any]) -> String { (t["TargetHealth"] as? [String: Any])?["State"] as? String ?? "" }

        let port = try Self.freePort()
        let lb = try #require((try elb(["create-load-balancer", "--name", "web", "--subnets", "subnet-a", "subnet-b", "--type", "application"])["LoadBalancers"] as? [[String: Any]])?.first)
        let tg = try #require((try elb(["create-target-group", "--name", "web-tg", "--protocol", "HTTP", "--port", "8080", "--target-type", "ip",
                                        "--vpc-id", "vpc-1", "--health-check-path", "/", "--health-check-interval-seconds", "10",
                                        "--health-check-timeout-seconds", "5", "--healthy-threshold-count", "5", "--unhealthy-threshold-count", "2"])["TargetGroups"] as? [[String: Any]])?.first)
        let tgArn = try #require(tg["TargetGroupArn"] as? String)
        // 30 s of draining: 3 s at --time-scale 0.1 (ELB's timers follow the agent's time scale).
        _ = try elb(["modify-target-group-attributes", "--target-group-arn", tgArn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=30"])
        _ = try elb(["create-listener", "--load-balancer-arn", try #require(lb["LoadBalancerArn"] as? String), "--protocol", "HTTP", "--port", String(port),
                     "--default-actions", "Type=forward,TargetGroupArn=\(tgArn)"])
        _ = try aws.json(["register-task-definition", "--cli-input-json", "file://" + (try aws.file(Self.taskDefinition))])
        _ = try aws.json(["create-service", "--service-name", "web", "--task-definition", "web-behind-lb", "--desired-count", "3",
                          "--load-balancers", "targetGroupArn=\(tgArn),containerName=web,containerPort=8080"])
        var deleted = false
        defer {
            // A failed test: stop the service's tasks (the harness's clean-up removes what is left).
            if !deleted { _ = try? aws.json(["delete-service", "--service", "web", "--force"]) }
            if let running = try? aws.json(["list-tasks", "--service-name", "web"])["taskArns"] as? [String] {
                h.launched += running.map(AgentRealHarness.taskId)
            }
        }

        let healthy = try Self.waitFor("3 healthy targets", timeout: 40) { () -> [[String: Any]]? in
            let t = try targets(tgArn)
            return t.count == 3 && t.allSatisfy { state($0) == "healthy" } ? t : nil
        }
        #expect(healthy.count == 3)
        let tasks = try #require(try aws.json(["list-tasks", "--service-name", "web"])["taskArns"] as? [String])
        h.launched += tasks.map(AgentRealHarness.taskId)
        var seen = Set(tasks)
        #expect(tasks.count == 3)

        // Round robin through the listener reaches all three tasks.
        var pages = Set<String>()
        for _ in 0..<12 { if let body = Self.get(port) { pages.insert(body) } }
        #expect(pages.count == 3, "pages seen through the listener: \(pages)")
        #expect(pages.allSatisfy { $0.hasPrefix("hello from ") }, "\(pages)")

        // One task's page goes away: its health checks fail (404), it is drained and replaced.
        let victim = tasks[0]
        let rm = try h.cli(["task", "exec", victim, "--", "rm", "/tmp/www/index.html"])
        #expect(rm.status == 0, "\(rm.stderr)")
        // At --time-scale 0.1 the checks run every second: the target is unhealthy until its
        // replacement has passed 5 checks (5 s after it runs), long enough to be seen here.
        let sick = try Self.waitFor("an unhealthy target", timeout: 30) { try targets(tgArn).first { state($0) == "unhealthy" } }
        let sickHealth = sick["TargetHealth"] as? [String: Any] ?? [:]
        #expect(sickHealth["Reason"] as? String == "Target.ResponseCodeMismatch", "\(sick)")
        let sickTarget = try #require(sick["Target"] as? [String: Any])
        let victimPorts = (try aws.json(["describe-tasks", "--tasks", victim])["tasks"] as? [[String: Any]])?.first
            .flatMap { AgentRealHarness.container($0, "web")?["networkBindings"] as? [[String: Any]] }?.compactMap { $0["hostPort"] as? Int } ?? []
        #expect(victimPorts.contains(sickTarget["Port"] as? Int ?? -1), "the unhealthy target \(sickTarget) is the victim's (\(victimPorts))")
        _ = try Self.waitFor("the unhealthy target draining", timeout: 30) { () -> [String: Any]? in
            try targets(tgArn).first { ($0["Target"] as? [String: Any])?["Port"] as? Int == sickTarget["Port"] as? Int && state($0) == "draining" }
        }
        let events = try Self.waitFor("the ELB health check event", timeout: 30) { () -> [String]? in
            let s = (try aws.json(["describe-services", "--services", "web"])["services"] as? [[String: Any]])?.first ?? [:]
            let messages = (s["events"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            return messages.contains { $0.contains("failed ELB health checks in (target-group \(tgArn))") } ? messages : nil
        }
        #expect(events.contains { $0.contains(AgentRealHarness.taskId(victim)) && $0.contains("failed ELB health checks") }, "\(events)")
        let stopped = try aws.waitStopped(victim, timeout: 40)
        #expect((stopped["stoppedReason"] as? String ?? "").contains("failed ELB health checks"), "\(stopped)")
        let replaced = try Self.waitFor("3 healthy targets again", timeout: 40) { () -> [String]? in
            let t = try targets(tgArn)
            let current = try aws.json(["list-tasks", "--service-name", "web"])["taskArns"] as? [String] ?? []
            h.launched += current.map(AgentRealHarness.taskId)
            seen.formUnion(current)
            return t.count == 3 && t.allSatisfy { state($0) == "healthy" } && !current.contains(victim) ? current : nil
        }
        #expect(replaced.count == 3 && !replaced.contains(victim), "\(replaced)")
        var after = Set<String>()
        for _ in 0..<12 { if let body = Self.get(port) { after.insert(body) } }
        #expect(after.count == 3 && !after.contains { $0.contains("404") }, "pages after the replacement: \(after)")

        // Deleting the service stops every task; nothing of them is left on the host.
        _ = try aws.json(["delete-service", "--service", "web", "--force"])
        deleted = true
        for arn in seen.sorted() { _ = try aws.waitStopped(arn, timeout: 40) }
        h.expectNothingLeft(seen.sorted())
    }
}

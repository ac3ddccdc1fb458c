import Testing
@testable import BerthAgent

/// ELB's timers on the agent's --time-scale: health check interval and timeout (with a floor),
/// the deregistration delay, as the data plane and the service scheduler's drain get them.
@Suite struct ELBTimeScaleTests {
    @Test func healthCheckTimersAreScaledWithAFloor() {
        #expect(ELBTimeScale.health(intervalSeconds: 30, timeoutSeconds: 5, scale: 1) == (30, 5))
        let tenth = ELBTimeScale.health(intervalSeconds: 5, timeoutSeconds: 2, scale: 0.1)
        #expect(abs(tenth.interval - 0.5) < 1e-9 && abs(tenth.timeout - 0.2) < 1e-9)
        // A tiny scale does not make the load balancer probe in a loop.
        #expect(ELBTimeScale.health(intervalSeconds: 30, timeoutSeconds: 5, scale: 0.0001) == (0.05, 0.05))
        // The timeout never exceeds the interval once the floor applies.
        let floor = ELBTimeScale.health(intervalSeconds: 5, timeoutSeconds: 4, scale: 0.001)
        #expect(floor.timeout <= floor.interval)
        #expect(ELBTimeScale.health(intervalSeconds: 10, timeoutSeconds: 6, scale: 10) == (100, 60))
    }

    @Test func theDeregistrationDelayIsScaledAndZeroStaysZero() {
        #expect(abs(ELBTimeScale.delay(300, scale: 0.01) - 3) < 1e-9)
        #expect(ELBTimeScale.delay(0, scale: 0.01) == 0)
        #expect(ELBTimeScale.delay(45, scale: 1) == 45)
    }

    @Test func theDataPlaneAndTheDrainGetScaledSeconds() throws {
        let plane = MemoryDataPlane()
        let elb = try ELBService(stateDir: nil, region: "us-east-1", account: "000000000000", dataPlane: plane, timeScale: 0.1, clock: { 1_700_000_000 })
        _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "HTTP", "Port": "80", "TargetType": "ip",
                                                                    "HealthCheckIntervalSeconds": "10", "HealthCheckTimeoutSeconds": "4"]))
        let arn = try #require(elb.read { $0.targetGroups.first?.arn })
        let g = try #require(plane.groups.first)
        #expect(abs(g.health.intervalSeconds - 1) < 1e-9 && abs(g.health.timeoutSeconds - 0.4) < 1e-9)
        #expect(abs(g.deregistrationDelaySeconds - 30) < 1e-9)
        #expect(abs(elb.drainSeconds(arn) - 30) < 1e-9)
        #expect(elb.drainSeconds("arn:nope") == 0)
        // The API shows the unscaled values.
        #expect(elb.targetGroup(arn)?.health.interval == 10 && elb.targetGroup(arn)?.deregistrationDelay == 300)
    }

    @Test func healthChecksOfIPTargetGroupsCannotBeDisabled() throws {
        let elb = try ELBService(stateDir: nil, region: "us-east-1", account: "000000000000", dataPlane: MemoryDataPlane(), clock: { 1_700_000_000 })
        #expect(throws: APIError.self) {
            _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "HTTP", "Port": "80", "TargetType": "ip", "HealthCheckEnabled": "false"]))
        }
        _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "HTTP", "Port": "80", "TargetType": "ip", "HealthCheckEnabled": "true"]))
        let arn = try #require(elb.read { $0.targetGroups.first?.arn })
        do {
            _ = try elb.call("ModifyTargetGroup", QueryParams(values: ["TargetGroupArn": arn, "HealthCheckEnabled": "false"]))
            Issue.record("HealthCheckEnabled false was accepted")
        } catch {
            #expect("\(error)".contains("health checks cannot be disabled"), "\(error)")
        }
        #expect(elb.targetGroup(arn)?.health.enabled == true)
    }
}

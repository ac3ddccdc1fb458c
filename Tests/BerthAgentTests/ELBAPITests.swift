import BerthHTTP
import Foundation
import Testing
@testable import BerthAgent

/// The ELBv2 Query/XML wire and the ELB resources with MemoryDataPlane: parameter parsing,
/// XML answers and errors as botocore reads them, the desired state handed to the data plane,
/// a refused change rolled back, durability.
@Suite struct ELBAPITests {
    func request(_ body: String, scope: String = "elasticloadbalancing") -> HTTPRequest {
        HTTPRequest(method: "POST", target: "/", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(body.utf8))
    }

    func service(_ plane: any LoadBalancerDataPlane = MemoryDataPlane(), dir: String? = nil) throws -> ELBService {
        try ELBService(stateDir: dir, region: "us-east-1", account: "000000000000", dataPlane: plane, clock: { 1_700_000_000 })
    }

    func answer(_ api: ELBAPI, _ body: String) -> (Int, String) {
        let r = api.serve(request(body), trusted: true, requestId: "req-1")
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    @Test func formParametersListsAndStructures() throws {
        let p = try QueryParams.parse(Array("Action=RegisterTargets&Targets.member.2.Id=10.0.0.2&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=81&Names.member.1=a%2Fb+c".utf8))
        #expect(p["Action"] == "RegisterTargets")
        #expect(p.list("Names") == ["a/b c"])
        let targets = p.structs("Targets")
        #expect(targets.map { $0["Id"] } == ["10.0.0.1", "10.0.0.2"])
        #expect(targets[0]["Port"] == "81" && targets[1]["Port"] == nil)
        #expect(p.unknown(["Targets"]) == ["Names"])
    }

    @Test func answersAreQueryXMLWithTheRequestId() throws {
        let api = ELBAPI(try service(), clock: { 1_700_000_000 })
        let (status, xml) = answer(api, "Action=CreateLoadBalancer&Version=2015-12-01&Name=web&Subnets.member.1=subnet-1")
        #expect(status == 200)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateLoadBalancerResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><CreateLoadBalancerResult><LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/"))
        #expect(xml.contains("<CreatedTime>2023-11-14T22:13:20.000Z</CreatedTime><LoadBalancerName>web</LoadBalancerName>"))
        #expect(xml.hasSuffix("</CreateLoadBalancerResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateLoadBalancerResponse>\n"))
    }

    @Test func errorsAreELBsXMLErrors() throws {
        let api = ELBAPI(try service(), clock: { 1_700_000_000 })
        let (status, xml) = answer(api, "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=a<b")
        #expect(status == 400)
        #expect(xml == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code><Message>Load balancers &apos;[a&lt;b]&apos; not found</Message></Error><RequestId>req-1</RequestId></ErrorResponse>\n")
        #expect(answer(api, "Action=Nope&Version=2015-12-01").1.contains("<Code>InvalidAction</Code>"))
        #expect(answer(api, "Action=DescribeLoadBalancers&Version=2012-06-01").1.contains("<Code>InvalidAction</Code>"))
        #expect(answer(api, "Version=2015-12-01").1.contains("<Code>MissingAction</Code>"))
        #expect(answer(api, "Action=CreateLoadBalancer&Version=2015-12-01&Name=x&Tags.member.1.Key=a").1.contains("Parameter Tags is not supported"))
    }

    @Test func theDataPlaneGetsListenersRulesAndGroups() throws {
        let plane = MemoryDataPlane()
        let elb = try service(plane)
        _ = try elb.call("CreateLoadBalancer", QueryParams(values: ["Name": "web"]))
        let lb = try #require(elb.read { $0.loadBalancers.first?.arn })
        _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "HTTP", "Port": "80", "TargetType": "ip", "HealthCheckPath": "/h"]))
        _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "b", "Protocol": "HTTP", "Port": "81", "TargetType": "ip"]))
        let (a, b) = try elb.read { r in (r.targetGroups[0].arn, r.targetGroups[1].arn) }
        _ = try elb.call("CreateListener", QueryParams(values: ["LoadBalancerArn": lb, "Port": "18080", "DefaultActions.member.1.Type": "forward",
                                                                 "DefaultActions.member.1.TargetGroupArn": a]))
        let listener = try #require(elb.read { $0.listeners.first?.arn })
        _ = try elb.call("CreateRule", QueryParams(values: ["ListenerArn": listener, "Priority": "7", "Conditions.member.1.Field": "path-pattern",
                                                             "Conditions.member.1.PathPatternConfig.Values.member.1": "/api/*",
                                                             "Actions.member.1.Type": "forward", "Actions.member.1.TargetGroupArn": b]))
        _ = try elb.call("RegisterTargets", QueryParams(values: ["TargetGroupArn": a, "Targets.member.1.Id": "127.0.0.1", "Targets.member.1.Port": "30000"]))
        #expect(plane.listeners == [DataPlaneListener(id: listener, host: "127.0.0.1", port: 18080, kind: .http, defaultGroup: a,
                                                      rules: [DataPlaneRule(priority: 7, pathPatterns: ["/api/*"], hostPatterns: [], group: b)])])
        let group = try #require(plane.groups.first { $0.id == a })
        #expect(group.targets == [TargetAddress(host: "127.0.0.1", port: 30000)])
        #expect(group.health.path == "/h" && group.health.matcher == "200" && group.deregistrationDelaySeconds == 300)
        #expect(group.algorithm == .roundRobin)
    }

    @Test func aChangeTheDataPlaneRefusesIsRolledBack() throws {
        let elb = try service(UnavailableDataPlane())
        _ = try elb.call("CreateLoadBalancer", QueryParams(values: ["Name": "web"]))
        _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "HTTP", "Port": "80", "TargetType": "ip"]))
        let (lb, a) = try elb.read { r in (r.loadBalancers[0].arn, r.targetGroups[0].arn) }
        #expect(throws: APIError.self) {
            _ = try elb.call("CreateListener", QueryParams(values: ["LoadBalancerArn": lb, "Port": "18080", "DefaultActions.member.1.Type": "forward",
                                                                     "DefaultActions.member.1.TargetGroupArn": a]))
        }
        #expect(try elb.read { $0.listeners.isEmpty })
    }

    @Test func healthAsDescribeTargetHealthReportsIt() {
        var g = ELBTargetGroup()
        g.arn = "tg"
        g.targets = [ELBTarget(id: "10.0.0.1", port: 80), ELBTarget(id: "10.0.0.2", port: 80)]
        let reports: [TargetAddress: TargetHealthReport] = [
            TargetAddress(host: "10.0.0.1", port: 80): TargetHealthReport(state: .unhealthy, reason: "Target.Timeout", description: "Request timed out"),
            TargetAddress(host: "10.0.0.3", port: 80): TargetHealthReport(state: .draining, reason: "Target.DeregistrationInProgress"),
        ]
        let h = ELBService.describeHealth(g, attached: true, reports: reports)
        #expect(h.map { "\($0.0.id) \($0.1.state.rawValue) \($0.1.reason ?? "")" } == [
            "10.0.0.1 unhealthy Target.Timeout", "10.0.0.2 initial Elb.RegistrationInProgress", "10.0.0.3 draining Target.DeregistrationInProgress",
        ])
        #expect(ELBService.describeHealth(g, attached: false, reports: reports).first?.1.reason == "Target.NotInUse")
    }

    @Test func resourcesSurviveARestart() throws {
        let dir = NSTemporaryDirectory() + "elb-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let elb = try service(dir: dir)
            _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "a", "Protocol": "TCP", "Port": "80", "TargetType": "ip"]))
        }
        let plane = MemoryDataPlane()
        let again = try service(plane, dir: dir)
        #expect(try again.read { $0.targetGroups.map(\.name) } == ["a"])
        #expect(plane.groups.first?.health.kind == .tcp)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/elb/resources.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

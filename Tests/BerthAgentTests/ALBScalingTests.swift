import BerthJSON
import BerthController
import BerthScaling
import Foundation
import Testing
@testable import BerthAgent

/// ALBRequestCountPerTarget end to end on the fake engine, MemoryDataPlane's counters and a
/// hand-moved clock: the requests a test pretends went through the listener become
/// AWS/ApplicationELB metrics, the managed alarms read their Sum, the service scales out to
/// ceil(current × metric / target) and back in when the requests stop.
@Suite struct ALBScalingTests {
    struct World {
        let clock = ManualClock()
        let engine: FakeTaskEngine
        let backend: ECSBackend
        let plane: MemoryDataPlane
        let elb: ELBService
        let group: String
        let loadBalancer: String
        let listener: String

        init(dir: borrowing TempDir) throws {
            let c = clock
            engine = FakeTaskEngine(startDelay: 0.1, stopDelay: 0.1, exitDelay: 0.2, clock: { c.read() })
            var config = BackendConfig()
            config.controller = ControllerConfig(timeScale: 0.01)
            let store = try StateStore(root: dir.path, log: { _ in })
            backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { _ in }))
            plane = MemoryDataPlane(clock: { c.read() })
            elb = try ELBService(stateDir: nil, region: "us-east-1", account: "000000000000", dataPlane: plane, clock: { c.read() })
            backend.loadBalancing = elb
            _ = try elb.call("CreateLoadBalancer", QueryParams(values: ["Name": "web"]))
            let tg = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "web-tg", "Protocol": "HTTP", "Port": "80", "TargetType": "ip"]))
            group = try #require(ServiceLoadBalancerTests.World.leaf(tg, "TargetGroupArn"))
            _ = try elb.call("CreateTargetGroup", QueryParams(values: ["Name": "other", "Protocol": "HTTP", "Port": "80", "TargetType": "ip"]))
            loadBalancer = try #require(elb.read { $0.loadBalancers.first?.arn })
            let l = try elb.call("CreateListener", QueryParams(values: [
                "LoadBalancerArn": loadBalancer, "Port": "18080", "DefaultActions.member.1.Type": "forward",
                "DefaultActions.member.1.TargetGroupArn": group,
            ]))
            listener = try #require(ServiceLoadBalancerTests.World.leaf(l, "ListenerArn"))
            _ = try elb.call("ModifyTargetGroupAttributes", QueryParams(values: [
                "TargetGroupArn": group, "Attributes.member.1.Key": "deregistration_delay.timeout_seconds", "Attributes.member.1.Value": "0",
            ]))
            _ = try backend.call("RegisterTaskDefinition", [
                "family": "web", "networkMode": "bridge",
                "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64, "command": ["httpd", "-f"], "portMappings": [["containerPort": 80]]]],
            ])
            _ = try backend.call("CreateService", [
                "serviceName": "s", "taskDefinition": "web", "desiredCount": 1,
                "loadBalancers": [["targetGroupArn": .string(group), "containerName": "app", "containerPort": 80]],
            ])
        }

        var label: String {
            "\(ELBMetrics.loadBalancerDimension(loadBalancer)!)/\(ELBMetrics.targetGroupDimension(group)!)"
        }

        func aas(_ op: String, _ input: JSONValue) throws(APIError) -> JSONValue {
            var i = input
            i["ServiceNamespace"] = "ecs"
            i["ResourceId"] = "service/default/s"
            i["ScalableDimension"] = "ecs:service:DesiredCount"
            return try AutoScalingOperations(backend: backend).call(op, i)
        }
        func cw(_ op: String, _ input: JSONValue) throws(APIError) -> JSONValue { try CloudWatchOperations(backend: backend).call(op, input) }

        /// The default scale-out cooldown (300 s) lets the new targets turn healthy before the
        /// metric is read again.
        func policy(label: String?, type: String = "ALBRequestCountPerTarget") throws(APIError) -> JSONValue {
            var spec: JSONValue = ["PredefinedMetricType": .string(type)]
            if let label { spec["ResourceLabel"] = .string(label) }
            return try aas("PutScalingPolicy", ["PolicyName": "requests", "PolicyType": "TargetTrackingScaling",
                                                "TargetTrackingScalingPolicyConfiguration": ["TargetValue": 50, "PredefinedMetricSpecification": spec,
                                                                                            "ScaleOutCooldown": 300, "ScaleInCooldown": 60]])
        }

        /// One scaled minute (0.6 s) in steps of 0.1 s; `rate` requests per minute reach the
        /// group's first registered target (the counts, not their spread, make the metric).
        func minute(rate: UInt64) {
            for _ in 0..<6 {
                if rate > 0, let t = elb.targetGroup(group)?.targets.first {
                    plane.serve(listener: listener, group: group, target: t.address, requests: rate / 6)
                }
                clock.advance(0.1)
                backend.refreshFromEngine()
                backend.sampleServiceMetrics()
                backend.tickScaling()
                backend.tickServices()
            }
        }

        func desired() throws -> Int? {
            try backend.call("DescribeServices", ["services": ["s"]])["services"]?.arrayValue?.first?["desiredCount"]?.intValue
        }
    }

    @Test func resourceLabelMustNameTheServicesTargetGroupOnAnALB() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.aas("RegisterScalableTarget", ["MinCapacity": 1, "MaxCapacity": 4])
        func refusal(_ label: String?, type: String = "ALBRequestCountPerTarget") -> String {
            do { _ = try w.policy(label: label, type: type); return "accepted" } catch { return "\(error.type): \(error.message)" }
        }
        #expect(refusal(nil).contains("ResourceLabel is required for ALBRequestCountPerTarget"))
        #expect(refusal("app/web/123").contains("ResourceLabel is required for ALBRequestCountPerTarget"))
        let lbDim = ELBMetrics.loadBalancerDimension(w.loadBalancer)!
        #expect(refusal("app/nope/0123/targetgroup/web-tg/1").contains("no application load balancer app/nope/0123 exists"))
        #expect(refusal("\(lbDim)/targetgroup/web-tg/0000").contains("no target group targetgroup/web-tg/0000 exists"))
        let other = try #require(w.elb.read { $0.targetGroups.first { $0.name == "other" }?.arn })
        #expect(refusal("\(lbDim)/\(ELBMetrics.targetGroupDimension(other)!)").contains("is not associated with load balancer"))
        #expect(refusal(w.label, type: "ECSServiceAverageCPUUtilization").contains("ResourceLabel applies to ALBRequestCountPerTarget only"))
        #expect(refusal(w.label) == "accepted")
        let described = try w.aas("DescribeScalingPolicies", [:])["ScalingPolicies"]?.arrayValue?.first
        let spec = described?["TargetTrackingScalingPolicyConfiguration"]?["PredefinedMetricSpecification"]
        #expect(spec?["ResourceLabel"]?.stringValue == w.label && spec?["PredefinedMetricType"] == "ALBRequestCountPerTarget")
    }

    @Test func requestsScaleTheServiceOutAndTheirEndScalesItIn() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        _ = try w.aas("RegisterScalableTarget", ["MinCapacity": 1, "MaxCapacity": 4])
        _ = try w.policy(label: w.label)
        for _ in 0..<2 { w.minute(rate: 0) }  // the task starts and registers
        #expect(w.elb.targetGroup(w.group)?.targets.count == 1)
        var minutes = 0
        while try w.desired() == 1, minutes < 10 { w.minute(rate: 150); minutes += 1 }
        #expect(try w.desired() == 3, "ceil(1 × 150 / 50)")
        #expect(minutes <= 5)
        // The metric: this minute's requests over the group's healthy targets, summed.
        let tg = ELBMetrics.targetGroupDimension(w.group)!, lb = ELBMetrics.loadBalancerDimension(w.loadBalancer)!
        let key = ELBMetrics.requestCountPerTargetKey(targetGroup: tg)
        let now = w.clock.read()
        let points = w.backend.metrics.datapoints(key, period: 0.6, from: now - 6, to: now)
        #expect(points.contains { abs($0.sum - 150) < 26 }, "\(points.map(\.sum))")
        let alarms = try w.cw("DescribeAlarms", ["AlarmNamePrefix": "TargetTracking-service/default/s-AlarmHigh"])["MetricAlarms"]?.arrayValue ?? []
        let high = try #require(alarms.first)
        #expect(high["Namespace"] == "AWS/ApplicationELB" && high["MetricName"] == "RequestCountPerTarget" && high["Statistic"] == "Sum")
        #expect(high["Dimensions"] == [["Name": "TargetGroup", "Value": .string(tg)]])
        let shown = try w.backend.describeServiceScaling(Params(["service": "s"]))["Metrics"]?["RequestCountPerTarget"]?.doubleValue
        #expect((shown ?? 0) > 0, "berth service describe's last minute: \(String(describing: shown))")
        // CloudWatch serves the load balancer's metrics.
        let listed = try w.cw("ListMetrics", ["Namespace": "AWS/ApplicationELB", "Dimensions": [["Name": "TargetGroup", "Value": .string(tg)]]])["Metrics"]?.arrayValue ?? []
        let names = Set(listed.compactMap { $0["MetricName"]?.stringValue })
        #expect(names.isSuperset(of: ["RequestCount", "RequestCountPerTarget", "HTTPCode_Target_2XX_Count", "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount"]), "\(names)")
        let stats = try w.cw("GetMetricStatistics", [
            "Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount", "Statistics": ["Sum"], "Period": 60,
            "Dimensions": [["Name": "TargetGroup", "Value": .string(tg)], ["Name": "LoadBalancer", "Value": .string(lb)]],
            "StartTime": .double(now - 60), "EndTime": .double(now + 1),
        ])["Datapoints"]?.arrayValue ?? []
        // Every request but those of the last step (sampled at the next one).
        let total = stats.reduce(0.0) { $0 + ($1["Sum"]?.doubleValue ?? 0) }
        #expect(total >= Double(minutes * 150 - 25) && total <= Double(minutes * 150), "\(total)")
        #expect(stats.first?["Unit"] == "Count")
        let data = try w.cw("GetMetricData", [
            "StartTime": .double(now - 60), "EndTime": .double(now + 1), "ScanBy": "TimestampAscending",
            "MetricDataQueries": [["Id": "rpt", "MetricStat": ["Period": 1, "Stat": "Sum", "Metric": [
                "Namespace": "AWS/ApplicationELB", "MetricName": "RequestCountPerTarget", "Dimensions": [["Name": "TargetGroup", "Value": .string(tg)]]]]]],
        ])["MetricDataResults"]?.arrayValue?.first
        #expect((data?["Values"]?.arrayValue ?? []).contains { ($0.doubleValue ?? 0) > 0 })
        // The policy survives a restart of the agent (the stored record reads back).
        let record = try #require(w.backend.lock.withLock { w.backend.scaling["service/default/s"] })
        let back = try ScalingRecord(json: record.json)
        #expect(back.policies == record.policies)
        // The client stops: fifteen quiet minutes later the service is back at its minimum.
        minutes = 0
        while try w.desired() != 1, minutes < 30 { w.minute(rate: 0); minutes += 1 }
        #expect(try w.desired() == 1)
        #expect(minutes >= 15)
        let activities = try w.aas("DescribeScalingActivities", [:])["ScalingActivities"]?.arrayValue ?? []
        #expect(activities.first?["Cause"]?.stringValue?.contains("AlarmLow") == true)
        #expect(activities.map { $0["Description"]?.stringValue } == ["Setting desired count to 1.", "Setting desired count to 3."])
    }

    @Test func samplesFollowTheCountersGrowth() {
        var r = ELBResources()
        r.loadBalancers = [ELBLoadBalancer(arn: "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/abc", name: "web", type: "application")]
        var g = ELBTargetGroup()
        g.arn = "arn:aws:elasticloadbalancing:r:1:targetgroup/tg/def"
        g.targets = [ELBTarget(id: "127.0.0.1", port: 1), ELBTarget(id: "127.0.0.1", port: 2)]
        r.targetGroups = [g]
        r.listeners = [ELBListener(arn: "arn:l", loadBalancerArn: r.loadBalancers[0].arn, port: 80, proto: "HTTP", targetGroupArn: g.arn)]
        let t1 = TargetAddress(host: "127.0.0.1", port: 1), t2 = TargetAddress(host: "127.0.0.1", port: 2)
        let health: [String: [TargetAddress: TargetHealthReport]] = [g.arn: [t1: .init(state: .healthy), t2: .init(state: .unhealthy)]]
        let before = DataPlaneCounters(listeners: ["arn:l": ListenerCounters(requests: 10, elb5xx: 1)],
                                       groups: [g.arn: GroupCounters(requests: 10, targetCodes: [9, 0, 1, 0], responseTimeSum: 1, responseTimeCount: 10)])
        let after = DataPlaneCounters(listeners: ["arn:l": ListenerCounters(requests: 40, elb5xx: 3)],
                                      groups: [g.arn: GroupCounters(requests: 40, targetCodes: [37, 0, 1, 2], responseTimeSum: 4, responseTimeCount: 40)])
        let samples = ELBMetrics.samples(previous: before, current: after, resources: r, health: health, now: 100)
        func value(_ name: String, _ dims: [String]) -> MetricSample? {
            samples.first { $0.0.metricName == name && $0.0.dimensions.map(\.name) == dims }?.1
        }
        #expect(samples.allSatisfy { $0.0.namespace == "AWS/ApplicationELB" })
        #expect(value("RequestCount", ["LoadBalancer"])?.value == 30)
        #expect(value("RequestCount", ["LoadBalancer", "TargetGroup"])?.value == 30)
        #expect(value("RequestCountPerTarget", ["TargetGroup"])?.value == 30)  // one healthy target
        #expect(value("HTTPCode_ELB_5XX_Count", ["LoadBalancer"])?.value == 2)
        #expect(value("HTTPCode_Target_2XX_Count", ["LoadBalancer", "TargetGroup"])?.value == 28)
        #expect(value("HTTPCode_Target_5XX_Count", ["LoadBalancer"])?.value == 2)
        #expect(value("HTTPCode_Target_4XX_Count", ["LoadBalancer", "TargetGroup"]) == nil)  // none in this interval
        let time = value("TargetResponseTime", ["LoadBalancer", "TargetGroup"])
        #expect(time?.weight == 30 && abs((time?.value ?? 0) - 0.1) < 1e-9)
        #expect(value("HealthyHostCount", ["LoadBalancer", "TargetGroup"])?.value == 1)
        #expect(value("UnHealthyHostCount", ["LoadBalancer", "TargetGroup"])?.value == 1)
        // A group made anew counts from zero: its counters are taken whole.
        let again = ELBMetrics.samples(previous: after, current: DataPlaneCounters(groups: [g.arn: GroupCounters(requests: 4)]), resources: r, health: [:], now: 105)
        #expect(again.first { $0.0.metricName == "RequestCount" && $0.0.dimensions.count == 2 }?.1.value == 4)
        // No healthy target: the requests are divided over the registered ones.
        #expect(again.first { $0.0.metricName == "RequestCountPerTarget" && $0.0.dimensions.count == 1 }?.1.value == 2)
    }

    @Test func networkLoadBalancersCountNewFlows() {
        var r = ELBResources()
        r.loadBalancers = [ELBLoadBalancer(arn: "arn:aws:elasticloadbalancing:r:1:loadbalancer/net/db/abc", name: "db", type: "network")]
        var g = ELBTargetGroup()
        g.arn = "arn:aws:elasticloadbalancing:r:1:targetgroup/db/def"
        g.proto = "TCP"
        g.targets = [ELBTarget(id: "127.0.0.1", port: 1)]
        r.targetGroups = [g]
        r.listeners = [ELBListener(arn: "arn:l", loadBalancerArn: r.loadBalancers[0].arn, port: 5432, proto: "TCP", targetGroupArn: g.arn)]
        let now = DataPlaneCounters(listeners: ["arn:l": ListenerCounters(newFlows: 7)], groups: [g.arn: GroupCounters(newFlows: 7)])
        let samples = ELBMetrics.samples(previous: DataPlaneCounters(), current: now, resources: r,
                                         health: [g.arn: [TargetAddress(host: "127.0.0.1", port: 1): .init(state: .healthy)]], now: 1)
        #expect(samples.allSatisfy { $0.0.namespace == "AWS/NetworkELB" })
        #expect(Set(samples.map(\.0.metricName)) == ["NewFlowCount", "HealthyHostCount", "UnHealthyHostCount"])
        #expect(samples.filter { $0.0.metricName == "NewFlowCount" }.map(\.1.value) == [7, 7])
        #expect(samples.first { $0.0.metricName == "NewFlowCount" && $0.0.dimensions.count == 1 }?.0.dimension("LoadBalancer") == "net/db/abc")
    }
}

import BerthJSON
import BerthController
import BerthScaling
import Foundation
import Testing
@testable import BerthAgent

/// Application Auto Scaling and CloudWatch on the agent with the fake engine and a hand-moved
/// clock: the APIs, metrics fed into the backend's store, the scaling tick driving desiredCount
/// through UpdateService's path, persistence and reload.
@Suite struct ScalingAPITests {
    struct World {
        let clock = ManualClock()
        let engine: FakeTaskEngine
        let backend: ECSBackend
        let dir: String

        init(dir: borrowing TempDir) throws {
            let c = clock
            self.dir = dir.path
            engine = FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 2, clock: { c.read() })
            var config = BackendConfig()
            config.controller = ControllerConfig(timeScale: 0.01)
            let store = try StateStore(root: dir.path, log: { _ in })
            backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { _ in }))
        }

        func ecs(_ op: String, _ input: JSONValue = [:]) throws -> JSONValue { try backend.call(op, input) }
        func aas(_ op: String, _ input: JSONValue) throws(APIError) -> JSONValue {
            var i = input
            i["ServiceNamespace"] = "ecs"
            return try AutoScalingOperations(backend: backend).call(op, i)
        }
        func cw(_ op: String, _ input: JSONValue) throws(APIError) -> JSONValue { try CloudWatchOperations(backend: backend).call(op, input) }

        /// One scaled "minute" (0.6 s) of samples, ticking as the loop does: `load` percent of
        /// one task's reservation spread over the service's tasks, or `cpu` on each.
        func minute(cpu: Double? = nil, load: Double? = nil) {
            for _ in 0..<6 {
                let value = cpu ?? load! / Double(max(1, (try? desired()) ?? 1))
                backend.metrics.record(MetricKey("CPUUtilization", cluster: "default", service: "web"), MetricSample(time: clock.read(), value: value))
                clock.advance(0.1)
                backend.refreshFromEngine()
                backend.tickScaling()
                backend.tickServices()
            }
        }

        func desired() throws -> Int? {
            try ecs("DescribeServices", ["services": ["web"]])["services"]?.arrayValue?.first?["desiredCount"]?.intValue
        }
    }

    static let td: JSONValue = ["family": "web", "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                                "containerDefinitions": [["name": "app", "image": "busybox", "command": ["sleep", "100"]]]]

    func setUp(_ w: World) throws {
        _ = try w.ecs("RegisterTaskDefinition", Self.td)
        _ = try w.ecs("CreateService", ["serviceName": "web", "taskDefinition": "web", "desiredCount": 1])
        _ = try w.aas("RegisterScalableTarget", ["ResourceId": "service/default/web", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 4])
        _ = try w.aas("PutScalingPolicy", ["PolicyName": "cpu50", "ResourceId": "service/default/web", "ScalableDimension": "ecs:service:DesiredCount",
                                           "PolicyType": "TargetTrackingScaling",
                                           "TargetTrackingScalingPolicyConfiguration": ["TargetValue": 50, "PredefinedMetricSpecification": ["PredefinedMetricType": "ECSServiceAverageCPUUtilization"],
                                                                                       "ScaleOutCooldown": 60, "ScaleInCooldown": 60]])
    }

    @Test func targetTrackingScalesTheServiceOutAndInWithActivitiesAndEvents() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        try setUp(w)
        for _ in 0..<6 { w.minute(load: 140) }
        #expect(try w.desired() == 3)  // ceil(1 × 140 / 50)
        let events = try w.ecs("DescribeServices", ["services": ["web"]])["services"]?.arrayValue?.first?["events"]?.arrayValue ?? []
        #expect(events.contains { $0["message"]?.stringValue?.contains("was scaled to 3 tasks by Application Auto Scaling") == true })
        for _ in 0..<17 { w.minute(load: 10) }
        #expect(try w.desired() == 1)
        let activities = try w.aas("DescribeScalingActivities", ["ResourceId": "service/default/web"])["ScalingActivities"]?.arrayValue ?? []
        #expect(activities.map { $0["Description"]?.stringValue } == ["Setting desired count to 1.", "Setting desired count to 3."])
        #expect(activities.allSatisfy { $0["StatusCode"] == "Successful" })
        let first = try w.aas("DescribeScalingActivities", ["ResourceId": "service/default/web", "MaxResults": 1])
        #expect(first["ScalingActivities"]?.arrayValue?.first?["Description"] == "Setting desired count to 1.")
        let token = try #require(first["NextToken"])
        let second = try w.aas("DescribeScalingActivities", ["ResourceId": "service/default/web", "MaxResults": 1, "NextToken": token])
        #expect(second["ScalingActivities"]?.arrayValue?.first?["Description"] == "Setting desired count to 3.")
        #expect(second["NextToken"] == nil)
        let alarms = try w.cw("DescribeAlarms", [:])["MetricAlarms"]?.arrayValue ?? []
        #expect(alarms.count == 2)
        #expect(alarms.first { $0["AlarmName"]?.stringValue?.contains("-AlarmLow-") == true }?["StateValue"] == "ALARM")
    }

    @Test func metricStatisticsAndListMetrics() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        try setUp(w)
        let start = w.clock.read()
        w.minute(cpu: 30)
        w.minute(cpu: 60)
        let dims: JSONValue = [["Name": "ClusterName", "Value": "default"], ["Name": "ServiceName", "Value": "web"]]
        let stats = try w.cw("GetMetricStatistics", ["Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims,
                                                    "StartTime": .double(start - 10), "EndTime": .double(start + 10), "Period": 60, "Statistics": ["Average", "Maximum", "SampleCount"]])
        let points = stats["Datapoints"]?.arrayValue ?? []
        let total = points.compactMap { $0["SampleCount"]?.doubleValue }.reduce(0, +)
        #expect(total == 12)
        #expect(points.compactMap { $0["Maximum"]?.doubleValue }.max() == 60)
        let listed = try w.cw("ListMetrics", ["Namespace": "AWS/ECS"])["Metrics"]?.arrayValue ?? []
        #expect(listed.map { $0["MetricName"] } == ["CPUUtilization"])
        let data = try w.cw("GetMetricData", ["StartTime": .double(start - 10), "EndTime": .double(start + 10), "MetricDataQueries": [
            ["Id": "c", "MetricStat": ["Metric": ["Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims], "Period": 1, "Stat": "Average"]]]])
        #expect(data["MetricDataResults"]?.arrayValue?.first?["Values"]?.arrayValue?.isEmpty == false)
        #expect(throws: APIError.self) { _ = try w.cw("ListMetrics", ["Dimensions": [["Name": "InstanceId", "Value": "i"]]]) }
    }

    @Test func validationErrorsNameTheField() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        try setUp(w)
        #expect(throws: APIError.self) { _ = try w.aas("RegisterScalableTarget", ["ResourceId": "service/default/nope", "MinCapacity": 1, "MaxCapacity": 2]) }
        #expect(throws: APIError.self) { _ = try w.aas("RegisterScalableTarget", ["ResourceId": "service/default/web", "MinCapacity": 3, "MaxCapacity": 2]) }
        do {
            _ = try w.aas("PutScalingPolicy", ["PolicyName": "p", "ResourceId": "service/default/web", "PolicyType": "PredictiveScaling"])
            Issue.record("accepted PredictiveScaling")
        } catch { #expect(error.message.contains("PredictiveScaling")) }
        do {
            _ = try w.aas("PutScheduledAction", ["ScheduledActionName": "s", "ResourceId": "service/default/web", "Schedule": "cron(0 9 L * ? *)"])
            Issue.record("accepted L")
        } catch { #expect(error.type == "ValidationException") }
        do {
            _ = try w.aas("DeleteScalingPolicy", ["PolicyName": "nope", "ResourceId": "service/default/web"])
            Issue.record("deleted a missing policy")
        } catch { #expect(error.type == "ObjectNotFoundException") }
    }

    @Test func scheduledActionSetsMinCapacityAndEverythingSurvivesARestart() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        try setUp(w)
        _ = try w.aas("PutScheduledAction", ["ScheduledActionName": "peak", "ResourceId": "service/default/web", "Schedule": "rate(1 minutes)",
                                             "ScalableTargetAction": ["MinCapacity": 2, "MaxCapacity": 5]])
        w.minute(cpu: 50)
        w.minute(cpu: 50)
        #expect(try w.desired() == 2)
        let target = try w.aas("DescribeScalableTargets", [:])["ScalableTargets"]?.arrayValue?.first
        #expect(target?["MinCapacity"] == 2 && target?["MaxCapacity"] == 5)
        w.backend.flush()
        let store = try StateStore(root: w.dir, log: { _ in })
        let c = w.clock
        let again = ECSBackend(config: w.backend.config, store: store, engine: w.engine, clock: { c.read() }, log: { _ in })
        let ops = AutoScalingOperations(backend: again)
        #expect(try ops.call("DescribeScalingPolicies", ["ServiceNamespace": "ecs"])["ScalingPolicies"]?.arrayValue?.count == 1)
        #expect(try ops.call("DescribeScheduledActions", ["ServiceNamespace": "ecs"])["ScheduledActions"]?.arrayValue?.first?["Schedule"] == "rate(1 minutes)")
        #expect(try ops.call("DescribeScalableTargets", ["ServiceNamespace": "ecs"])["ScalableTargets"]?.arrayValue?.first?["MinCapacity"] == 2)
        #expect(try ops.call("DescribeScalingActivities", ["ServiceNamespace": "ecs"])["ScalingActivities"]?.arrayValue?.count == 1)
        again.close()
    }
}

import BerthJSON
import BerthScaling
import BerthSys
import Foundation

/// A user alarm (PutMetricAlarm) on a service metric; its actions are step scaling policies.
struct StoredAlarm {
    var alarm: MetricAlarm
    var cluster: String
    var service: String
    var description: String?
    /// The metric watched, when not the service's own AWS/ECS metric (ALBRequestCountPerTarget).
    var metric: MetricKey? = nil

    var key: MetricKey { metric ?? MetricKey(alarm.metricName, cluster: cluster, service: service) }
}

/// CloudWatch (`GraniteServiceVersion20100801.`, JSON 1.0 as botocore picks it over CBOR and
/// Query, SigV4 service `monitoring`): the AWS/ECS service metrics Berth measures, the
/// AWS/ApplicationELB and AWS/NetworkELB metrics of its load balancers, the alarms target
/// tracking manages and alarms that drive step scaling.
public struct CloudWatchOperations: JSONOperations {
    public let backend: ECSBackend
    public init(backend: ECSBackend) { self.backend = backend }

    public var signingService: String { "monitoring" }
    public var targetPrefix: String { "GraniteServiceVersion20100801." }
    public var jsonVersion: String { "1.0" }
    public static let operations: Set<String> = ["ListMetrics", "GetMetricStatistics", "GetMetricData", "DescribeAlarms", "PutMetricAlarm", "DeleteAlarms"]
    public var operations: Set<String> { Self.operations }

    public func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
        try backend.cloudWatch(operation, Params(input))
    }
}

extension ECSBackend {
    static let metricNames = ["CPUUtilization", "MemoryUtilization"]
    /// The namespaces Berth publishes and the dimensions of each.
    static let namespaces: [String: Set<String>] = [
        "AWS/ECS": ["ClusterName", "ServiceName"],
        ELBMetrics.application: ["LoadBalancer", "TargetGroup"],
        ELBMetrics.network: ["LoadBalancer", "TargetGroup"],
    ]

    func cloudWatch(_ op: String, _ p: Params) throws(APIError) -> JSONValue {
        switch op {
        case "ListMetrics":
            let namespace = try p.string("Namespace")
            if let ns = namespace, Self.namespaces[ns] == nil { return ["Metrics": []] }
            let name = try p.string("MetricName")
            let wanted = try dimensionFilters(p, namespace: namespace)
            let keys = metrics.keys.filter { k in
                (namespace == nil || k.namespace == namespace) && (name == nil || k.metricName == name)
                    && wanted.allSatisfy { w in k.dimensions.contains { $0.name == w.name && (w.value == nil || $0.value == w.value) } }
            }
            if p.value("RecentlyActive") != nil || p.value("IncludeLinkedAccounts") != nil || p.value("OwningAccount") != nil {
                throw APIError("InvalidParameterValue", "RecentlyActive, IncludeLinkedAccounts and OwningAccount are not supported by Berth.")
            }
            let all: [JSONValue] = keys.map { ["Namespace": .string($0.namespace), "MetricName": .string($0.metricName), "Dimensions": Self.dimensionsJSON($0)] }
            let (page, next) = try Self.cwPage(all, token: try p.string("NextToken"), limit: 500, list: "ListMetrics")
            return .obj([("Metrics", .array(page)), ("NextToken", next.map { .string($0) })])
        case "GetMetricStatistics": return try getMetricStatistics(p)
        case "GetMetricData": return try getMetricData(p)
        case "DescribeAlarms": return try describeAlarms(p)
        case "PutMetricAlarm": return try putMetricAlarm(p)
        case "DeleteAlarms":
            let names = try p.stringList("AlarmNames") ?? []
            lock.withLock {
                for n in names where cloudWatchAlarms[n] != nil {
                    cloudWatchAlarms[n] = nil
                    unsave("alarms", Self.fileName(n))
                }
            }
            return [:]
        default: throw APIError("UnknownOperationException", "Unknown operation \(op)")
        }
    }

    static func cwPage(_ items: [JSONValue], token: String?, limit: Int, list: String) throws(APIError) -> ([JSONValue], String?) {
        do { return try Pagination.page(items, token: token, limit: limit, list: list) } catch {
            throw APIError("InvalidNextToken", "The service cannot find the resource or the NextToken is invalid.")
        }
    }

    static func dimensionsJSON(_ k: MetricKey) -> JSONValue {
        .array(k.dimensions.map { ["Name": .string($0.name), "Value": .string($0.value)] })
    }

    static func fileName(_ alarm: String) -> String {
        alarm.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : String(format: "%%%02X", $0.value & 0xFF) }.joined()
    }

    /// ClusterName/ServiceName from `Dimensions`; any other dimension is an error naming it.
    func dimensions(_ p: Params, required: Bool) throws(APIError) -> (cluster: String?, service: String?) {
        var cluster: String?, service: String?
        for d in try p.objects("Dimensions") ?? [] {
            let name = try d.requiredString("Name"), value = try d.string("Value")
            switch name {
            case "ClusterName": cluster = value
            case "ServiceName": service = value
            default: throw APIError("InvalidParameterValue", "\(d.path).Name \(name.prefix(64)): Berth's AWS/ECS metrics have the dimensions ClusterName and ServiceName only.")
            }
        }
        if required && (cluster == nil || service == nil) {
            throw APIError("MissingParameter", "Dimensions must name ClusterName and ServiceName of an ECS service.")
        }
        return (cluster, service)
    }

    /// ListMetrics' dimension filters (a value may be left out); a name the namespace (or, without
    /// one, every namespace Berth publishes) does not have is an error naming it.
    func dimensionFilters(_ p: Params, namespace: String?) throws(APIError) -> [(name: String, value: String?)] {
        let known = namespace.flatMap { Self.namespaces[$0] } ?? Set(Self.namespaces.values.flatMap { $0 })
        var out: [(name: String, value: String?)] = []
        for d in try p.objects("Dimensions") ?? [] {
            let name = try d.requiredString("Name")
            guard known.contains(name) else {
                throw APIError("InvalidParameterValue", "\(d.path).Name \(name.prefix(64)): Berth's \(namespace ?? "metrics") have the dimensions \(known.sorted().joined(separator: ", ")) only.")
            }
            out.append((name, try d.string("Value")))
        }
        return out
    }

    /// The metric a request names: AWS/ECS needs ClusterName and ServiceName; the load
    /// balancers' metrics are found by their exact dimensions, as CloudWatch finds them. nil
    /// for a namespace Berth does not publish (no datapoints).
    func metricKey(_ p: Params) throws(APIError) -> MetricKey? {
        let ns = try p.requiredString("Namespace")
        let name = try p.requiredString("MetricName")
        guard ns != "AWS/ECS" else {
            let d = try dimensions(p, required: true)
            guard Self.metricNames.contains(name) else { return nil }
            return MetricKey(name, cluster: d.cluster!, service: d.service!)
        }
        guard Self.namespaces[ns] != nil else { return nil }
        let dims = try dimensionFilters(p, namespace: ns)
        var out: [MetricDimension] = []
        for d in dims {
            guard let v = d.value else { throw APIError("InvalidParameterValue", "Dimension \(d.name) needs a Value.") }
            out.append(MetricDimension(d.name, v))
        }
        return MetricKey(namespace: ns, metricName: name, dimensions: out)
    }

    func statisticsWindow(_ p: Params) throws(APIError) -> (from: Double, to: Double) {
        guard let from = try p.double("StartTime"), let to = try p.double("EndTime") else {
            throw APIError("MissingParameter", "StartTime and EndTime are required.")
        }
        guard from < to else { throw APIError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.") }
        return (from, to)
    }

    func getMetricStatistics(_ p: Params) throws(APIError) -> JSONValue {
        let name = try p.requiredString("MetricName")
        let key = try metricKey(p)
        let (from, to) = try statisticsWindow(p)
        guard let period = try p.int("Period"), period > 0 else { throw APIError("InvalidParameterValue", "Period must be a positive number of seconds.") }
        if try p.stringList("ExtendedStatistics") != nil { throw APIError("InvalidParameterCombination", "ExtendedStatistics (percentiles) are not kept by Berth: use Statistics.") }
        let unit = ELBMetrics.unit(name)
        if let wanted = try p.string("Unit"), wanted != unit { return ["Label": .string(name), "Datapoints": []] }
        var stats: [Statistic] = []
        for s in try p.stringList("Statistics") ?? [] {
            guard let stat = Statistic(rawValue: s) else { throw APIError("InvalidParameterValue", "Statistic \(s.prefix(64)) must be Average, Minimum, Maximum, Sum or SampleCount.") }
            stats.append(stat)
        }
        guard !stats.isEmpty else { throw APIError("MissingParameter", "Statistics must name at least one statistic.") }
        let points = key.map { metrics.datapoints($0, period: Double(period), from: from, to: to) } ?? []
        return ["Label": .string(name), "Datapoints": .array(points.map { dp in
            var members: [(String, JSONValue?)] = [("Timestamp", .double(dp.timestamp)), ("Unit", .string(unit))]
            for s in stats { members.append((s.rawValue, .double(dp.value(s)))) }
            return .obj(members)
        })]
    }

    func getMetricData(_ p: Params) throws(APIError) -> JSONValue {
        let (from, to) = try statisticsWindow(p)
        let ascending = try p.string("ScanBy") == "TimestampAscending"
        if try p.string("NextToken") != nil { throw APIError("InvalidNextToken", "GetMetricData answers everything in one page; there is no next page.") }
        let maxDatapoints = try p.int("MaxDatapoints") ?? 100_800
        if try p.object("LabelOptions") != nil { throw APIError("InvalidParameterValue", "LabelOptions are not supported by Berth.") }
        var results: [JSONValue] = []
        for q in try p.objects("MetricDataQueries") ?? [] {
            let id = try q.requiredString("Id")
            if try q.string("Expression") != nil { throw APIError("InvalidParameterValue", "\(q.path).Expression: metric math is not supported by Berth; use MetricStat.") }
            guard let stat = try q.object("MetricStat"), let metric = try stat.object("Metric") else {
                throw APIError("MissingParameter", "\(q.path).MetricStat.Metric is required.")
            }
            guard let period = try stat.int("Period"), period > 0 else { throw APIError("InvalidParameterValue", "\(q.path).MetricStat.Period must be positive.") }
            let statName = try stat.requiredString("Stat")
            guard let statistic = Statistic(rawValue: statName) else { throw APIError("InvalidParameterValue", "\(q.path).MetricStat.Stat \(statName.prefix(64)) must be Average, Minimum, Maximum, Sum or SampleCount.") }
            guard try q.bool("ReturnData") ?? true else { continue }
            let key = try metricKey(metric)
            var points = key.map { metrics.datapoints($0, period: Double(period), from: from, to: to) } ?? []
            if !ascending { points.reverse() }
            if points.count > maxDatapoints { throw APIError("InvalidParameterValue", "\(q.path): \(points.count) datapoints exceed MaxDatapoints \(maxDatapoints); narrow the time range.") }
            var label = try metric.requiredString("MetricName")
            if let given = try q.string("Label") { label = given }
            results.append(["Id": .string(id), "Label": .string(label),
                            "Timestamps": .array(points.map { .double($0.timestamp) }), "Values": .array(points.map { .double($0.value(statistic)) }),
                            "StatusCode": "Complete"])
        }
        return ["MetricDataResults": .array(results), "Messages": []]
    }

    func putMetricAlarm(_ p: Params) throws(APIError) -> JSONValue {
        for unsupported in ["OKActions", "InsufficientDataActions", "Metrics", "ExtendedStatistic", "ThresholdMetricId", "EvaluateLowSampleCountPercentile", "Tags", "Unit"] where p.value(unsupported) != nil {
            throw APIError("InvalidParameterValue", "\(unsupported) is not supported by Berth's alarms (they evaluate AWS/ECS service metrics for step scaling policies).")
        }
        if let t = try p.string("TreatMissingData"), t != "missing" { throw APIError("InvalidParameterValue", "TreatMissingData \(t.prefix(32)): Berth treats missing data as missing only.") }
        if try p.bool("ActionsEnabled") == false { throw APIError("InvalidParameterValue", "ActionsEnabled false is not supported by Berth.") }
        let name = try p.requiredString("AlarmName")
        guard let key = try metricKey(p), key.namespace == "AWS/ECS" else { throw APIError("InvalidParameterValue", "Berth's alarms watch AWS/ECS CPUUtilization or MemoryUtilization.") }
        let statName = try p.string("Statistic") ?? "Average"
        guard let stat = Statistic(rawValue: statName) else { throw APIError("InvalidParameterValue", "Statistic \(statName.prefix(64)) is not valid.") }
        guard let period = try p.int("Period"), period > 0, let evaluation = try p.int("EvaluationPeriods"), evaluation > 0, let threshold = try p.double("Threshold") else {
            throw APIError("MissingParameter", "Period, EvaluationPeriods and Threshold are required.")
        }
        let opName = try p.requiredString("ComparisonOperator")
        guard let comparison = ComparisonOperator(rawValue: opName) else { throw APIError("InvalidParameterValue", "ComparisonOperator \(opName.prefix(64)) is not supported.") }
        let datapoints = try p.int("DatapointsToAlarm") ?? evaluation
        guard datapoints > 0, datapoints <= evaluation else { throw APIError("InvalidParameterValue", "DatapointsToAlarm must be between 1 and EvaluationPeriods.") }
        let actions = try p.stringList("AlarmActions") ?? []
        let description = try p.string("AlarmDescription")
        lock.lock()
        defer { lock.unlock() }
        do {
            let policies = Set(scaling.values.flatMap(\.policies).map(\.arn))
            for a in actions where !policies.contains(a) {
                throw APIError("ValidationError", "AlarmActions \(a.prefix(256)): Berth alarms can act on Application Auto Scaling policy ARNs only, and this one does not exist.")
            }
            let alarm = MetricAlarm(name: name, metricName: key.metricName, statistic: stat, period: Double(period), evaluationPeriods: evaluation,
                                    datapointsToAlarm: datapoints, threshold: threshold, comparison: comparison, actions: actions)
            let stored = StoredAlarm(alarm: alarm, cluster: key.clusterName, service: key.serviceName, description: description)
            cloudWatchAlarms[name] = stored
            _ = writer.enqueue("alarms", Self.fileName(name), Self.alarmJSON(stored, state: nil, arn: ""))
            return [:]
        }
    }

    static func alarmJSON(_ s: StoredAlarm, state: AlarmState?, arn: String) -> JSONValue {
        let a = s.alarm
        return .obj([
            ("AlarmName", .string(a.name)), ("AlarmArn", .string(arn)), ("AlarmDescription", s.description.map { .string($0) }),
            ("ActionsEnabled", true), ("AlarmActions", .array(a.actions.map { .string($0) })), ("OKActions", []), ("InsufficientDataActions", []),
            ("StateValue", state.map { .string($0.rawValue) }), ("MetricName", .string(a.metricName)), ("Namespace", .string(s.key.namespace)),
            ("Statistic", .string(a.statistic.rawValue)), ("Dimensions", dimensionsJSON(s.key)),
            ("Period", .int(Int(a.period))), ("EvaluationPeriods", .int(a.evaluationPeriods)), ("DatapointsToAlarm", .int(a.datapointsToAlarm)),
            ("Threshold", .double(a.threshold)), ("ComparisonOperator", .string(a.comparison.rawValue)), ("TreatMissingData", "missing"),
        ])
    }

    func loadAlarms() {
        try? Files.makeDirectories("\(store.root)/alarms", mode: 0o700)
        for j in store.loadAll("alarms") {
            let p = Params(j)
            guard let name = try? p.requiredString("AlarmName"), let metric = try? p.requiredString("MetricName"),
                  let d = try? dimensions(p, required: true), let stat = (try? p.string("Statistic")).flatMap({ $0.flatMap(Statistic.init(rawValue:)) }),
                  let period = try? p.int("Period"), let evaluation = try? p.int("EvaluationPeriods"), let threshold = try? p.double("Threshold"),
                  let comparison = (try? p.string("ComparisonOperator")).flatMap({ $0.flatMap(ComparisonOperator.init(rawValue:)) })
            else { log("ignoring an alarm file without its members"); continue }
            let alarm = MetricAlarm(name: name, metricName: metric, statistic: stat, period: Double(period), evaluationPeriods: evaluation,
                                    datapointsToAlarm: (try? p.int("DatapointsToAlarm")) ?? evaluation, threshold: threshold, comparison: comparison,
                                    actions: (try? p.stringList("AlarmActions")) ?? [])
            cloudWatchAlarms[name] = StoredAlarm(alarm: alarm, cluster: d.cluster!, service: d.service!, description: try? p.string("AlarmDescription"))
        }
    }

    func describeAlarms(_ p: Params) throws(APIError) -> JSONValue {
        let names = try p.stringList("AlarmNames"), prefix = try p.string("AlarmNamePrefix"), wantedState = try p.string("StateValue")
        let actionPrefix = try p.string("ActionPrefix")
        let children = try p.string("ChildrenOfAlarmName"), parents = try p.string("ParentsOfAlarmName")
        if children != nil || parents != nil {
            throw APIError("InvalidParameterValue", "Composite alarms do not exist in Berth: ChildrenOfAlarmName and ParentsOfAlarmName are not supported.")
        }
        if let types = try p.stringList("AlarmTypes"), !types.contains("MetricAlarm") { return ["MetricAlarms": [], "CompositeAlarms": []] }
        let now = clock(), scale = config.controller.timeScale
        let arnBase = "arn:aws:cloudwatch:\(config.region):\(config.accountId):alarm:"
        var all: [StoredAlarm] = []
        lock.withLock {
            for r in scaling.values {
                guard let (cluster, service) = ScalingRecord.parse(resourceId: r.target.resourceId) else { continue }
                for policy in r.policies {
                    guard case .targetTracking(let c) = policy.configuration else { continue }
                    let (high, low) = managedAlarms(policy, c)
                    let description = "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy \(policy.arn)."
                    let metric = c.resourceLabel.flatMap(ELBMetrics.splitResourceLabel).map { ELBMetrics.requestCountPerTargetKey(targetGroup: $0.targetGroup) }
                    all.append(StoredAlarm(alarm: high, cluster: cluster, service: service, description: description, metric: metric))
                    if !c.disableScaleIn { all.append(StoredAlarm(alarm: low, cluster: cluster, service: service, description: description, metric: metric)) }
                }
            }
            all += cloudWatchAlarms.values
        }
        let chosen = all.filter { s in
            (names?.contains(s.alarm.name) ?? true) && (prefix.map { s.alarm.name.hasPrefix($0) } ?? true)
                && (actionPrefix.map { a in s.alarm.actions.contains { $0.hasPrefix(a) } } ?? true)
        }.sorted { $0.alarm.name < $1.alarm.name }
        var out: [JSONValue] = []
        for s in chosen {
            let points = metrics.datapoints(s.key, period: s.alarm.period * scale,
                                            from: now - Double(s.alarm.evaluationPeriods + 1) * s.alarm.period * scale, to: now)
            let state = evaluate(s.alarm, datapoints: points, now: now, timeScale: scale).state
            if let w = wantedState, w != state.rawValue { continue }
            out.append(Self.alarmJSON(s, state: state, arn: arnBase + s.alarm.name))
        }
        let limit = try p.int("MaxRecords") ?? 50
        guard (1...100).contains(limit) else { throw APIError("InvalidParameterValue", "MaxRecords must be between 1 and 100.") }
        let (page, next) = try Self.cwPage(out, token: try p.string("NextToken"), limit: limit, list: "DescribeAlarms")
        return .obj([("MetricAlarms", .array(page)), ("CompositeAlarms", []), ("NextToken", next.map { .string($0) })])
    }
}

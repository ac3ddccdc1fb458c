import BerthJSON
import BerthAgent
import BerthOCI
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// `berth service create|update|ls|describe|events|rm` over the agent's socket.
struct ServiceCommand: CLICommand {
    static let name = "service"
    static let summary = "create, scale, update, inspect and delete ECS services"
    static let usage = """
        usage: berth service create NAME --task-definition TASKDEF --desired-count N [DEPLOYMENT OPTIONS]
                                    [--launch-type EC2|FARGATE] [--tag K=V]... [--propagate-tags SERVICE|TASK_DEFINITION|NONE]
                                    [--load-balancer TARGET_GROUP_ARN,CONTAINER,PORT]... [--wait]
               berth service update NAME [--task-definition TASKDEF] [--desired-count N] [--force-new-deployment]
                                    [--load-balancer TARGET_GROUP_ARN,CONTAINER,PORT]... [DEPLOYMENT OPTIONS] [--wait]
               berth service ls
               berth service describe NAME...
               berth service events NAME [--limit N]
               berth service rm NAME [--force] [--wait]
        DEPLOYMENT OPTIONS: --min-healthy-percent P, --max-percent P, --circuit-breaker on|off,
          --rollback on|off (with the circuit breaker), --grace-period SECONDS
        --wait: create/update wait until the service is stable (one deployment, runningCount ==
        desiredCount); rm waits until it is INACTIVE.
        --load-balancer: register the service's tasks in a target group of the agent's ELB
        (aws elbv2 --endpoint-url ...); describe shows the listeners and each target's health.
        common options: --cluster NAME (default "default"), --output json|table,
        --socket PATH (default /run/berth/agent.sock)
        """
    static let spec = Arguments.Spec(
        flags: ["--wait", "--force", "--force-new-deployment"],
        options: ClientSupport.options.union(["--task-definition", "--desired-count", "--min-healthy-percent", "--max-percent",
                                              "--circuit-breaker", "--rollback", "--grace-period", "--launch-type", "--tag",
                                              "--propagate-tags", "--limit", "--timeout", "--load-balancer"]),
        aliases: ClientSupport.aliases.merging(["-t": "--task-definition", "-n": "--desired-count"]) { a, _ in a })

    static func run(_ argv: [String]) throws -> Int32 {
        try Subcommands(command: name, entries: [
            ("create", "create a service", create),
            ("update", "scale or update a service", update),
            ("ls", "list services", list),
            ("describe", "describe services", describe),
            ("events", "print a service's events", events),
            ("rm", "delete a service", remove),
        ]).run(argv)
    }

    // MARK: create / update / rm

    static func create(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let service = try args.positional(0, "service name")
        guard let td = args.value("--task-definition") else { throw UsageError("missing --task-definition TASKDEF") }
        guard let count = try args.int("--desired-count", range: 0...5000) else { throw UsageError("missing --desired-count N") }
        var input: JSONValue = ["serviceName": .string(service), "taskDefinition": .string(td), "desiredCount": .int(count)]
        if let c = try deploymentConfiguration(args) { input["deploymentConfiguration"] = c }
        if let g = try args.int("--grace-period", range: 0...2_147_483_647) { input["healthCheckGracePeriodSeconds"] = .int(g) }
        if let l = args.value("--launch-type") { input["launchType"] = .string(l) }
        if let p = args.value("--propagate-tags") { input["propagateTags"] = .string(p) }
        var tags: [JSONValue] = []
        for t in args.all("--tag") {
            let (k, v) = try ClientSupport.parseKeyValue(t, option: "--tag")
            tags.append(["key": .string(k), "value": .string(v)])
        }
        if !tags.isEmpty { input["tags"] = .array(tags) }
        if let lbs = try loadBalancers(args) { input["loadBalancers"] = lbs }
        var out = try ClientSupport.call(args, "CreateService", ClientSupport.withCluster(args, input))["service"] ?? [:]
        if args.has("--wait") { out = try waitFor(args, service, stable: true) }
        return show(args, out)
    }

    static func update(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let service = try args.positional(0, "service name")
        var input: JSONValue = ["service": .string(service)]
        if let td = args.value("--task-definition") { input["taskDefinition"] = .string(td) }
        if let n = try args.int("--desired-count", range: 0...5000) { input["desiredCount"] = .int(n) }
        if let c = try deploymentConfiguration(args) { input["deploymentConfiguration"] = c }
        if let g = try args.int("--grace-period", range: 0...2_147_483_647) { input["healthCheckGracePeriodSeconds"] = .int(g) }
        if let p = args.value("--propagate-tags") { input["propagateTags"] = .string(p) }
        if args.has("--force-new-deployment") { input["forceNewDeployment"] = true }
        if let lbs = try loadBalancers(args) { input["loadBalancers"] = lbs }
        var out = try ClientSupport.call(args, "UpdateService", ClientSupport.withCluster(args, input))["service"] ?? [:]
        if args.has("--wait") { out = try waitFor(args, service, stable: true) }
        return show(args, out)
    }

    static func remove(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let service = try args.positional(0, "service name")
        var input: JSONValue = ["service": .string(service)]
        if args.has("--force") { input["force"] = true }
        var out = try ClientSupport.call(args, "DeleteService", ClientSupport.withCluster(args, input))["service"] ?? [:]
        if args.has("--wait") { out = try waitFor(args, service, stable: false) }
        if try ClientSupport.json(args) { ClientSupport.printJSON(["service": out]); return 0 }
        print("\(out["serviceName"]?.stringValue ?? service) \(out["status"]?.stringValue ?? "")")
        return 0
    }

    static func show(_ args: Arguments, _ service: JSONValue) -> Int32 {
        if (try? ClientSupport.json(args)) == true { ClientSupport.printJSON(["service": service]); return 0 }
        print(describeText(service, now: wallClockNow()))
        return 0
    }

    /// `deploymentConfiguration` from the deployment options (nil when none was given).
    static func deploymentConfiguration(_ args: Arguments) throws(UsageError) -> JSONValue? {
        var c: JSONValue = [:]
        if let v = try args.int("--min-healthy-percent", range: 0...100) { c["minimumHealthyPercent"] = .int(v) }
        if let v = try args.int("--max-percent", range: 100...2000) { c["maximumPercent"] = .int(v) }
        let breaker = try onOff(args, "--circuit-breaker")
        let rollback = try onOff(args, "--rollback")
        if rollback == true && breaker == false { throw UsageError("option --rollback on needs --circuit-breaker on") }
        if breaker != nil || rollback != nil {
            c["deploymentCircuitBreaker"] = ["enable": .bool(breaker ?? true), "rollback": .bool(rollback ?? false)]
        }
        return c == [:] ? nil : c
    }

    static func onOff(_ args: Arguments, _ option: String) throws(UsageError) -> Bool? {
        guard let v = args.value(option) else { return nil }
        switch v {
        case "on", "true", "yes": return true
        case "off", "false", "no": return false
        default: throw UsageError("option \(option): \(v.debugDescription) is not on or off")
        }
    }

    /// Polls DescribeServices: stable = ACTIVE, one deployment, runningCount == desiredCount
    /// (the ServicesStable waiter's rule); otherwise until INACTIVE.
    static func waitFor(_ args: Arguments, _ service: String, stable: Bool) throws -> JSONValue {
        let timeout = Double(try args.int("--timeout", range: 1...86400) ?? 600)
        let deadline = wallClockNow() + timeout
        while true {
            let s = try describeOne(args, service)
            let status = s["status"]?.stringValue ?? ""
            if stable {
                if status != "ACTIVE" { throw ClientFailure(message: "service \(service) is \(status), it will not become stable") }
                if s["deployments"]?.arrayValue?.count == 1, s["runningCount"] == s["desiredCount"] { return s }
            } else if status == "INACTIVE" {
                return s
            }
            if wallClockNow() > deadline {
                throw ClientFailure(message: "service \(service) did not become \(stable ? "stable" : "INACTIVE") within \(Int(timeout)) s")
            }
            usleep(200_000)
        }
    }

    static func describeOne(_ args: Arguments, _ service: String) throws -> JSONValue {
        let out = try ClientSupport.call(args, "DescribeServices", ClientSupport.withCluster(args, ["services": [.string(service)]]))
        guard let s = out["services"]?.arrayValue?.first else { throw ClientFailure(message: "ServiceNotFoundException: service \(service) not found") }
        return s
    }

    // MARK: ls / describe / events

    static func list(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let arns = try ClientSupport.listAll(args, "ListServices", ClientSupport.withCluster(args, ["maxResults": 100]), "serviceArns")
        var services: [JSONValue] = []
        for chunk in stride(from: 0, to: arns.count, by: 10) {
            let names = arns[chunk..<min(chunk + 10, arns.count)].map(JSONValue.string)
            let out = try ClientSupport.call(args, "DescribeServices", ClientSupport.withCluster(args, ["services": .array(Array(names))]))
            services += out["services"]?.arrayValue ?? []
        }
        if try ClientSupport.json(args) { ClientSupport.printJSON(["services": .array(services)]); return 0 }
        let rows = services.map { s -> [String] in
            let primary = s["deployments"]?.arrayValue?.first { $0["status"]?.stringValue == "PRIMARY" }
            return [s["serviceName"]?.stringValue ?? "", s["status"]?.stringValue ?? "",
                    ClientSupport.shortName(s["taskDefinition"]?.stringValue ?? ""),
                    "\(s["runningCount"]?.intValue ?? 0)/\(s["desiredCount"]?.intValue ?? 0)", String(s["pendingCount"]?.intValue ?? 0),
                    String(s["deployments"]?.arrayValue?.count ?? 0), primary?["rolloutState"]?.stringValue ?? "-",
                    ClientSupport.age(s["createdAt"]?.doubleValue)]
        }
        print(ClientSupport.table(["NAME", "STATUS", "TASK DEFINITION", "RUNNING", "PENDING", "DEPLOYMENTS", "ROLLOUT", "AGE"], rows))
        return 0
    }

    static func describe(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        guard !args.positionals.isEmpty else { throw UsageError("missing service name") }
        guard args.positionals.count <= 10 else { throw UsageError("at most 10 services at once") }
        let out = try ClientSupport.call(args, "DescribeServices",
                                         ClientSupport.withCluster(args, ["services": .array(args.positionals.map(JSONValue.string)), "include": ["TAGS"]]))
        if try ClientSupport.json(args) { ClientSupport.printJSON(out); return 0 }
        let now = wallClockNow()
        let services = out["services"]?.arrayValue ?? []
        var texts: [String] = []
        for service in services {
            var text = describeText(service, now: now)
            if !(service["loadBalancers"]?.arrayValue ?? []).isEmpty, let name = service["serviceName"]?.stringValue {
                let lbs = try ClientSupport.call(args, "Berth.DescribeServiceLoadBalancers", ClientSupport.withCluster(args, ["service": .string(name)]))
                text += "\n\n" + loadBalancerText(lbs)
            }
            let connect = service["deployments"]?.arrayValue?.first?["serviceConnectConfiguration"]?["enabled"]?.boolValue == true
            if !(service["serviceRegistries"]?.arrayValue ?? []).isEmpty || connect, let name = service["serviceName"]?.stringValue {
                let names = try ClientSupport.call(args, "Berth.DescribeServiceDiscovery", ClientSupport.withCluster(args, ["service": .string(name)]))
                text += "\n\n" + discoveryText(names)
            }
            if service["status"]?.stringValue != "INACTIVE", let name = service["serviceName"]?.stringValue {
                let scaling = try ClientSupport.call(args, "Berth.DescribeServiceScaling", ClientSupport.withCluster(args, ["service": .string(name)]))
                text += "\n" + scalingText(scaling)
            }
            texts.append(text)
        }
        if !texts.isEmpty { print(texts.joined(separator: "\n\n")) }
        let failures = out["failures"]?.arrayValue ?? []
        for f in failures { printErr("berth service: \(f["arn"]?.stringValue ?? ""): \(f["reason"]?.stringValue ?? "")") }
        return failures.isEmpty ? 0 : 1
    }

    static func events(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let service = try args.positional(0, "service name")
        let limit = try args.int("--limit", range: 1...100) ?? 100
        let s = try describeOne(args, service)
        let events = Array((s["events"]?.arrayValue ?? []).prefix(limit))
        if try ClientSupport.json(args) { ClientSupport.printJSON(["events": .array(events)]); return 0 }
        print(ClientSupport.table(["TIME", "MESSAGE"], events.reversed().map {
            [timeText($0["createdAt"]?.doubleValue), $0["message"]?.stringValue ?? ""]
        }))
        return 0
    }

    /// The human view of one service: counts, throttle, deployments, latest events.
    static func describeText(_ s: JSONValue, now: Double) -> String {
        var lines: [String] = []
        let config = s["deploymentConfiguration"] ?? [:]
        let breaker = config["deploymentCircuitBreaker"] ?? [:]
        lines.append("Service:          \(s["serviceName"]?.stringValue ?? "") (\(s["status"]?.stringValue ?? ""))")
        lines.append("ARN:              \(s["serviceArn"]?.stringValue ?? "")")
        lines.append("Task definition:  \(ClientSupport.shortName(s["taskDefinition"]?.stringValue ?? ""))")
        lines.append("Tasks:            desired \(s["desiredCount"]?.intValue ?? 0), running \(s["runningCount"]?.intValue ?? 0), pending \(s["pendingCount"]?.intValue ?? 0)")
        var deployment = "minimumHealthyPercent \(config["minimumHealthyPercent"]?.intValue ?? 0), maximumPercent \(config["maximumPercent"]?.intValue ?? 0)"
        if breaker["enable"]?.boolValue == true {
            deployment += ", circuit breaker on" + (breaker["rollback"]?.boolValue == true ? " (rollback)" : "")
        }
        lines.append("Deployment:       \(deployment), grace period \(s["healthCheckGracePeriodSeconds"]?.intValue ?? 0) s")
        if let t = s["berthThrottle"], let until = t["until"]?.doubleValue {
            lines.append("Throttled:        launches held until \(timeText(until)): \(t["reason"]?.stringValue ?? "") "
                + "(\(t["consecutiveFailures"]?.intValue ?? 0) consecutive failed tasks, delay \(t["delaySeconds"]?.doubleValue ?? 0) s)")
        }
        lines.append("")
        let deployments = s["deployments"]?.arrayValue ?? []
        lines.append(ClientSupport.table(["DEPLOYMENT", "STATUS", "TASK DEFINITION", "DESIRED", "RUNNING", "PENDING", "FAILED", "ROLLOUT", "REASON"],
                                         deployments.map { d in
            [d["id"]?.stringValue ?? "", d["status"]?.stringValue ?? "", ClientSupport.shortName(d["taskDefinition"]?.stringValue ?? ""),
             String(d["desiredCount"]?.intValue ?? 0), String(d["runningCount"]?.intValue ?? 0), String(d["pendingCount"]?.intValue ?? 0),
             String(d["failedTasks"]?.intValue ?? 0), d["rolloutState"]?.stringValue ?? "", d["rolloutStateReason"]?.stringValue ?? ""]
        }))
        let events = Array((s["events"]?.arrayValue ?? []).prefix(5))
        if !events.isEmpty {
            lines.append("")
            lines.append("Latest events:")
            for e in events.reversed() { lines.append("  \(timeText(e["createdAt"]?.doubleValue))  \(e["message"]?.stringValue ?? "")") }
        }
        return lines.joined(separator: "\n")
    }

    /// `--load-balancer ARN,CONTAINER,PORT`, repeatable; nil when not given.
    static func loadBalancers(_ args: Arguments) throws -> JSONValue? {
        let given = args.all("--load-balancer")
        guard !given.isEmpty else { return nil }
        return .array(try given.map { text in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, let port = Int(parts[2]), (1...65535).contains(port) else {
                throw UsageError("option --load-balancer: \(text.debugDescription) is not TARGET_GROUP_ARN,CONTAINER,PORT")
            }
            return ["targetGroupArn": .string(parts[0]), "containerName": .string(parts[1]), "containerPort": .int(port)]
        })
    }

    /// Where the service is reached and how its targets are, per target group.
    static func loadBalancerText(_ out: JSONValue) -> String {
        var lines = ["Load balancers:"]
        for lb in out["loadBalancers"]?.arrayValue ?? [] {
            let name = lb["targetGroupName"]?.stringValue ?? lb["targetGroupArn"]?.stringValue ?? ""
            lines.append("  target group \(name) -> container \(lb["containerName"]?.stringValue ?? ""):\(lb["containerPort"]?.intValue ?? 0)")
            for l in lb["listeners"]?.arrayValue ?? [] {
                let scheme = l["protocol"]?.stringValue == "HTTP" ? "http://" : "tcp://"
                lines.append("    listener \(scheme)\(l["address"]?.stringValue ?? "") (load balancer \(l["loadBalancerName"]?.stringValue ?? ""), \(l["dnsName"]?.stringValue ?? ""))")
            }
            let targets = lb["targets"]?.arrayValue ?? []
            if targets.isEmpty { lines.append("    no targets registered"); continue }
            let table = ClientSupport.table(["TARGET", "TASK", "STATE", "REASON"], targets.map { t in
                ["\(t["id"]?.stringValue ?? ""):\(t["port"]?.intValue ?? 0)", t["taskId"]?.stringValue ?? "-", t["state"]?.stringValue ?? "",
                 t["reason"]?.stringValue ?? ""]
            })
            lines += table.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Cloud Map names of a service (registries and Service Connect) with their instances.
    static func discoveryText(_ out: JSONValue) -> String {
        var lines = ["Service discovery:"]
        for d in out["discovery"]?.arrayValue ?? [] {
            let records = (d["records"]?.arrayValue ?? []).compactMap(\.stringValue)
            let aliases = (d["aliases"]?.arrayValue ?? []).compactMap(\.stringValue)
            var what = d["kind"]?.stringValue == "serviceConnect" ? "Service Connect" : "service registry"
            if !records.isEmpty { what += ", DNS \(records.joined(separator: " "))" }
            if !aliases.isEmpty { what += ", aliases \(aliases.joined(separator: " "))" }
            lines.append("  \(d["name"]?.stringValue ?? "") (\(what))")
            let instances = d["instances"]?.arrayValue ?? []
            if instances.isEmpty { lines.append("    no instances registered"); continue }
            let table = ClientSupport.table(["INSTANCE", "ADDRESS", "HEALTH"], instances.map { i in
                [i["id"]?.stringValue ?? "", (i["ipv4"]?.stringValue ?? "-") + (i["port"]?.intValue.map { ":\($0)" } ?? ""), i["health"]?.stringValue ?? ""]
            })
            lines += table.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Service auto scaling: the target's range, policies, current metrics, alarms, activities.
    static func scalingText(_ s: JSONValue) -> String {
        var lines = [""]
        var metrics = ["CPUUtilization", "MemoryUtilization"].map { name in
            "\(name) \(s["Metrics"]?[name]?.doubleValue.map { "\($0) %" } ?? "-")"
        }
        if let requests = s["Metrics"]?["RequestCountPerTarget"]?.doubleValue { metrics.append("RequestCountPerTarget \(requests)") }
        guard let t = s["ScalableTarget"] else {
            lines.append("Metrics:          \(metrics.joined(separator: ", ")) (last minute)")
            lines.append("Auto scaling:     not registered")
            return lines.joined(separator: "\n")
        }
        let suspended = t["SuspendedState"] ?? [:]
        let flags = ["DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended"].filter { suspended[$0]?.boolValue == true }
        lines.append("Auto scaling:     min \(t["MinCapacity"]?.intValue ?? 0), max \(t["MaxCapacity"]?.intValue ?? 0)"
            + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))"))
        lines.append("Metrics:          \(metrics.joined(separator: ", ")) (last minute)")
        for p in s["ScalingPolicies"]?.arrayValue ?? [] {
            let name = p["PolicyName"]?.stringValue ?? ""
            if let c = p["TargetTrackingScalingPolicyConfiguration"] {
                let metric = c["PredefinedMetricSpecification"]?["PredefinedMetricType"]?.stringValue ?? ""
                lines.append("Policy:           \(name): target tracking \(metric) at \(c["TargetValue"]?.doubleValue ?? 0)"
                    + ", cooldowns out \(c["ScaleOutCooldown"]?.intValue ?? 0) s / in \(c["ScaleInCooldown"]?.intValue ?? 0) s"
                    + (c["DisableScaleIn"]?.boolValue == true ? ", scale-in disabled" : ""))
            } else if let c = p["StepScalingPolicyConfiguration"] {
                lines.append("Policy:           \(name): step scaling \(c["AdjustmentType"]?.stringValue ?? ""), \(c["StepAdjustments"]?.arrayValue?.count ?? 0) steps, cooldown \(c["Cooldown"]?.intValue ?? 0) s")
            }
        }
        for a in s["ScheduledActions"]?.arrayValue ?? [] {
            let action = a["ScalableTargetAction"] ?? [:]
            lines.append("Scheduled:        \(a["ScheduledActionName"]?.stringValue ?? ""): \(a["Schedule"]?.stringValue ?? "")"
                + " \(a["Timezone"]?.stringValue ?? "UTC") -> min \(action["MinCapacity"]?.intValue.map(String.init) ?? "-"), max \(action["MaxCapacity"]?.intValue.map(String.init) ?? "-")")
        }
        for a in s["Alarms"]?.arrayValue ?? [] {
            lines.append("Alarm:            \(a["AlarmName"]?.stringValue ?? "") \(a["StateValue"]?.stringValue ?? "")")
        }
        let activities = s["ScalingActivities"]?.arrayValue ?? []
        if !activities.isEmpty {
            lines.append("Scaling activities:")
            for a in activities.reversed() {
                lines.append("  \(timeText(a["StartTime"]?.doubleValue))  \(a["Description"]?.stringValue ?? "") \(a["Cause"]?.stringValue ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// UTC `YYYY-MM-DD HH:MM:SSZ`.
    static func timeText(_ epoch: Double?) -> String {
        epoch.map(UTC.dateTime) ?? "-"
    }
}

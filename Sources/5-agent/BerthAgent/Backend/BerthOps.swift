import BerthJSON

/// Agent-private operations (X-Amz-Target `Berth.<Op>`) for the CLI: logs, stats, exec.
extension ECSBackend {
    func resolveTaskForEngine(_ p: Params) throws(APIError) -> TaskRecord {
        let ref = try p.requiredString("task")
        lock.lock()
        defer { lock.unlock() }
        let cluster = try requireCluster(p)
        guard let r = findTask(ref, cluster: cluster.name) else { throw .invalidParameter("The referenced task was not found.") }
        return r
    }

    func getTaskLogs(_ p: Params) throws(APIError) -> JSONValue {
        let r = try resolveTaskForEngine(p)
        let container = try p.string("container")
        if let container, !r.plan.containerNames.contains(container) {
            throw .invalidParameter("The task has no container named \(container.debugDescription).")
        }
        let since = try p.value("since").map { v throws(APIError) -> Double in
            guard let d = v.doubleValue else { throw .serialization("Unexpected value at 'since': expected a number, got \(v.typeName)") }
            return d
        }
        let limit = try p.int("limit") ?? 10_000
        guard (1...100_000).contains(limit) else { throw .invalidParameter("limit must be between 1 and 100000.") }
        do {
            let events = try engine.logs(taskArn: r.arn, container: container, since: since, limit: limit)
            return ["events": .array(events.map {
                ["timestamp": .timestamp($0.timestamp), "container": .string($0.container), "stream": .string($0.stream), "message": .string($0.message)]
            }), "lastStatus": r.lastStatus.jsonValue]
        } catch {
            throw APIError(error, doing: "Logs are not available")
        }
    }

    func getTaskStats(_ p: Params) throws(APIError) -> JSONValue {
        let r = try resolveTaskForEngine(p)
        guard r.lastStatus == .running else { throw .invalidParameter("The task is \(r.lastStatus.rawValue), not RUNNING.") }
        do {
            let s = try engine.stats(taskArn: r.arn)
            return ["timestamp": .timestamp(s.timestamp), "containers": .array(s.containers.map {
                .obj([("name", .string($0.name)), ("cpuUsageNanos", .int(Int(clamping: $0.cpuUsageNanos))),
                      ("memoryBytes", .int(Int(clamping: $0.memoryBytes))),
                      ("memoryLimitBytes", $0.memoryLimitBytes.map { .int(Int(clamping: $0)) }), ("pids", .int($0.pids))])
            })]
        } catch {
            throw APIError(error, doing: "Stats are not available")
        }
    }

    /// The task and container an exec names (default: the first container); the task must run.
    func execContainer(_ p: Params) throws(APIError) -> (TaskRecord, String) {
        let r = try resolveTaskForEngine(p)
        let container = try p.string("container") ?? r.plan.containerNames.first ?? ""
        guard r.plan.containerNames.contains(container) else { throw .invalidParameter("The task has no container named \(container.debugDescription).") }
        guard r.lastStatus == .running else { throw .invalidParameter("The task is \(r.lastStatus.rawValue), not RUNNING.") }
        return (r, container)
    }

    /// `berth task exec -i/-t`: where the container is; the CLI runs the exec on this host.
    func getExecTarget(_ p: Params) throws(APIError) -> JSONValue {
        let (r, container) = try execContainer(p)
        do {
            let t = try engine.execTarget(taskArn: r.arn, container: container)
            return ["runtimeRoot": .string(t.runtimeRoot), "runtimeId": .string(t.runtimeId), "container": .string(container)]
        } catch {
            throw APIError(error, doing: "Exec failed")
        }
    }

    func executeCommand(_ p: Params) throws(APIError) -> JSONValue {
        guard let command = try p.stringList("command"), !command.isEmpty else { throw .invalidParameter("command is required.") }
        let (r, container) = try execContainer(p)
        let timeout = Double(try p.int("timeoutSeconds") ?? 600)
        do {
            let res = try engine.exec(taskArn: r.arn, container: container, command: command, timeoutSeconds: timeout)
            return ["exitCode": .int(res.exitCode), "stdout": .string(res.stdout), "stderr": .string(res.stderr)]
        } catch {
            throw APIError(error, doing: "Exec failed")
        }
    }
}

import BerthJSON
import BerthAgent
import BerthECS
import BerthOCI
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// `berth task run|ls|describe|stop|logs|exec|stats` over the agent's socket.
struct TaskCommand: CLICommand {
    static let name = "task"
    static let summary = "run, list, inspect and stop ECS tasks"
    static let usage = """
        usage: berth task run TASKDEF [--count N] [--started-by S] [--group G] [--tag K=V]...
                              [--container NAME] [--env K=V]... [--command-json '["sh","-c","..."]'] [--wait]
               berth task ls [-a|--all | --desired-status RUNNING|STOPPED] [--family F] [--started-by S]
                             (running tasks with their published ports; --all adds stopped ones)
               berth task describe TASK...
               berth task stop TASK [--reason TEXT]
               berth task logs TASK [--container NAME] [-f] [--since SECONDS_AGO]
               berth task exec [-i] [-t] [--container NAME] [--user U] [--env K=V]... [--workdir DIR] TASK -- COMMAND [ARG]...
                              (-i: stream stdin/stdout/stderr; -t: a terminal; without either the output comes at the end)
               berth task stats [TASK...] [--no-stream]   (no TASK: every running task)
        TASK is a task id or ARN. common options: --cluster NAME (default "default"),
        --output json|table, --socket PATH (default /run/berth/agent.sock)
        """
    static let spec = Arguments.Spec(
        flags: ["--wait", "--follow", "--no-stream", "--interactive", "--tty", "--all"],
        options: ClientSupport.options.union(["--count", "--started-by", "--group", "--tag", "--container", "--env", "--command-json",
                                              "--desired-status", "--family", "--reason", "--since", "--user", "--workdir"]),
        aliases: ClientSupport.aliases.merging(["-f": "--follow", "-n": "--count", "-e": "--env", "-i": "--interactive", "-t": "--tty",
                                                "-u": "--user", "-w": "--workdir", "-a": "--all"]) { a, _ in a })

    static func run(_ argv: [String]) throws -> Int32 {
        try Subcommands(command: name, entries: [
            ("run", "run a task", runTask),
            ("ls", "list tasks", list),
            ("describe", "describe tasks", describe),
            ("stop", "stop a task", stop),
            ("logs", "print a task's logs", logs),
            ("exec", "run a command in a task's container", exec),
            ("stats", "resource usage of running tasks", stats),
        ]).run(argv)
    }

    static func runTask(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let td = try args.positional(0, "task definition (FAMILY[:REVISION] or ARN)")
        var input: JSONValue = ["taskDefinition": .string(td)]
        if let n = try args.int("--count", range: 1...10) { input["count"] = .int(n) }
        if let s = args.value("--started-by") { input["startedBy"] = .string(s) }
        if let g = args.value("--group") { input["group"] = .string(g) }
        var tags: [JSONValue] = []
        for t in args.all("--tag") {
            let (k, v) = try ClientSupport.parseKeyValue(t, option: "--tag")
            tags.append(["key": .string(k), "value": .string(v)])
        }
        if !tags.isEmpty { input["tags"] = .array(tags) }
        let env = try args.all("--env").map { t throws(UsageError) in try ClientSupport.parseKeyValue(t, option: "--env") }
        let commandJSON = args.value("--command-json")
        if !env.isEmpty || commandJSON != nil {
            guard let container = args.value("--container") else {
                throw UsageError("--env and --command-json need --container NAME (the container to override)")
            }
            var o: JSONValue = ["name": .string(container)]
            if !env.isEmpty { o["environment"] = .array(env.map { ["name": .string($0.0), "value": .string($0.1)] }) }
            if let commandJSON {
                guard let cmd = try? JSONValue.parse(commandJSON, duplicateKeys: .keepLast), let items = cmd.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw UsageError("option --command-json: expected a JSON list of strings, e.g. '[\"sh\",\"-c\",\"echo hi\"]'")
                }
                o["command"] = cmd
                _ = items
            }
            input["overrides"] = ["containerOverrides": [o]]
        }
        let out = try ClientSupport.call(args, "RunTask", ClientSupport.withCluster(args, input))
        var tasks = out["tasks"]?.arrayValue ?? []
        if args.has("--wait") {
            tasks = try waitRunning(args, tasks.compactMap { $0["taskArn"]?.stringValue })
        }
        if try ClientSupport.json(args) { ClientSupport.printJSON(["tasks": .array(tasks), "failures": out["failures"] ?? []]); return 0 }
        for t in tasks { print(t["taskArn"]?.stringValue ?? "") }
        let stopped = tasks.filter { $0["lastStatus"] == TaskStatus.stopped.jsonValue }
        for t in stopped {
            printErr("berth task: \(ClientSupport.shortName(t["taskArn"]?.stringValue ?? "")) stopped: \(t["stoppedReason"]?.stringValue ?? "")")
        }
        return stopped.isEmpty ? 0 : 1
    }

    /// Poll until every task is RUNNING or one STOPPED (as the tasks-running waiter does).
    static func waitRunning(_ args: Arguments, _ arns: [String]) throws -> [JSONValue] {
        while true {
            let out = try ClientSupport.call(args, "DescribeTasks", ClientSupport.withCluster(args, ["tasks": .array(arns.map(JSONValue.string))]))
            let tasks = out["tasks"]?.arrayValue ?? []
            let statuses = tasks.compactMap { $0["lastStatus"]?.stringValue.flatMap(TaskStatus.init(rawValue:)) }
            if statuses.contains(.stopped) || (!statuses.isEmpty && statuses.allSatisfy { $0 == .running }) { return tasks }
            if !(out["failures"]?.arrayValue ?? []).isEmpty { throw ClientFailure(message: "task disappeared while waiting") }
            usleep(200_000)
        }
    }

    static func list(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        var input: JSONValue = [:]
        if let d = args.value("--desired-status") { input["desiredStatus"] = .string(d) }
        if let f = args.value("--family") { input["family"] = .string(f) }
        if let s = args.value("--started-by") { input["startedBy"] = .string(s) }
        input = ClientSupport.withCluster(args, input)
        if args.has("--all") && args.value("--desired-status") != nil { throw UsageError("--all and --desired-status exclude each other") }
        // ListTasks answers one desired status (RUNNING by default); --all asks for both, as `docker ps -a`.
        var arns = try ClientSupport.listAll(args, "ListTasks", input, "taskArns")
        if args.has("--all") {
            input["desiredStatus"] = DesiredStatus.stopped.jsonValue
            arns += try ClientSupport.listAll(args, "ListTasks", input, "taskArns")
        }
        var tasks: [JSONValue] = []
        for chunk in stride(from: 0, to: arns.count, by: 100) {
            let out = try ClientSupport.call(args, "DescribeTasks",
                                             ClientSupport.withCluster(args, ["tasks": .array(arns[chunk..<min(chunk + 100, arns.count)].map(JSONValue.string))]))
            tasks += out["tasks"]?.arrayValue ?? []
        }
        if try ClientSupport.json(args) { ClientSupport.printJSON(["tasks": .array(tasks)]); return 0 }
        print(ClientSupport.table(["TASK", "TASK DEFINITION", "LAST", "DESIRED", "HEALTH", "STARTED", "STOP CODE", "ADDRESS", "PORTS"], tasks.map { t in
            [ClientSupport.shortName(t["taskArn"]?.stringValue ?? ""), ClientSupport.shortName(t["taskDefinitionArn"]?.stringValue ?? ""),
             t["lastStatus"]?.stringValue ?? "", t["desiredStatus"]?.stringValue ?? "", t["healthStatus"]?.stringValue ?? "",
             ClientSupport.age(t["startedAt"]?.doubleValue), t["stopCode"]?.stringValue ?? "", address(t), ports(t)]
        }))
        return 0
    }

    /// The task's own address (awsvpc: its ENI's private IPv4, as ECS reports it per container).
    static func address(_ task: JSONValue) -> String {
        var seen: [String] = []
        for c in task["containers"]?.arrayValue ?? [] {
            for n in c["networkInterfaces"]?.arrayValue ?? [] {
                if let ip = n["privateIpv4Address"]?.stringValue, !seen.contains(ip) { seen.append(ip) }
            }
        }
        return seen.joined(separator: ", ")
    }

    /// Published ports of every container, as `docker ps` shows them: `0.0.0.0:8080->80/tcp`.
    static func ports(_ task: JSONValue) -> String {
        let bindings = (task["containers"]?.arrayValue ?? []).flatMap { $0["networkBindings"]?.arrayValue ?? [] }
        return bindings.map { b in
            let ip = b["bindIP"]?.stringValue ?? "0.0.0.0"
            let host = b["hostPort"]?.intValue.map(String.init) ?? "?"
            let container = b["containerPort"]?.intValue.map(String.init) ?? "?"
            return "\(ip.contains(":") ? "[\(ip)]" : ip):\(host)->\(container)/\(b["protocol"]?.stringValue ?? "tcp")"
        }.joined(separator: ", ")
    }

    static func describe(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        guard !args.positionals.isEmpty else { throw UsageError("missing task id or ARN") }
        let out = try ClientSupport.call(args, "DescribeTasks",
                                         ClientSupport.withCluster(args, ["tasks": .array(args.positionals.map(JSONValue.string)), "include": ["TAGS"]]))
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else {
            for t in out["tasks"]?.arrayValue ?? [] {
                print("\(t["taskArn"]?.stringValue ?? "")")
                print("  definition \(ClientSupport.shortName(t["taskDefinitionArn"]?.stringValue ?? ""))  last \(t["lastStatus"]?.stringValue ?? "")  desired \(t["desiredStatus"]?.stringValue ?? "")  health \(t["healthStatus"]?.stringValue ?? "")  version \(t["version"]?.intValue ?? 0)")
                if let code = t["stopCode"]?.stringValue { print("  stopped: \(code): \(t["stoppedReason"]?.stringValue ?? "")") }
                let rows: [[String]] = (t["containers"]?.arrayValue ?? []).map { c in
                    [c["name"]?.stringValue ?? "", c["lastStatus"]?.stringValue ?? "", c["exitCode"]?.intValue.map(String.init) ?? "-",
                     c["healthStatus"]?.stringValue ?? "", c["reason"]?.stringValue ?? ""]
                }
                print(ClientSupport.table(["  CONTAINER", "STATUS", "EXIT", "HEALTH", "REASON"], rows.map { ["  " + $0[0]] + $0.dropFirst() }))
            }
        }
        for f in out["failures"]?.arrayValue ?? [] {
            printErr("berth task: \(f["arn"]?.stringValue ?? ""): \(f["reason"]?.stringValue ?? "")")
        }
        return (out["failures"]?.arrayValue ?? []).isEmpty ? 0 : 1
    }

    static func stop(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        var input: JSONValue = ["task": .string(try args.positional(0, "task id or ARN"))]
        if let r = args.value("--reason") { input["reason"] = .string(r) }
        let out = try ClientSupport.call(args, "StopTask", ClientSupport.withCluster(args, input))
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else { print(out["task"]?["taskArn"]?.stringValue ?? "") }
        return 0
    }

    static func logs(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        var input: JSONValue = ["task": .string(try args.positional(0, "task id or ARN"))]
        if let c = args.value("--container") { input["container"] = .string(c) }
        if let s = try args.int("--since", range: 0...(365 * 86400)) { input["since"] = .timestamp(wallClockNow() - Double(s)) }
        input = ClientSupport.withCluster(args, input)
        let json = try ClientSupport.json(args)
        while true {
            let out = try ClientSupport.call(args, "Berth.GetTaskLogs", input)
            let events = out["events"]?.arrayValue ?? []
            for e in events {
                if json { print(e.serialized()) } else {
                    let prefix = input["container"] == nil ? "\(e["container"]?.stringValue ?? "") | " : ""
                    print(prefix + (e["message"]?.stringValue ?? ""))
                }
            }
            fflush(nil)
            if let last = events.last?["timestamp"] { input["since"] = last }
            guard args.has("--follow"), out["lastStatus"] != TaskStatus.stopped.jsonValue else { return 0 }
            usleep(500_000)
        }
    }

    static func exec(_ argv: [String]) throws -> Int32 {
        try TaskExec.run(try Arguments(expandShortFlags(argv), spec: spec))
    }

    /// `-it` / `-ti` (before `--`) as `-i -t`, as docker spells them.
    static func expandShortFlags(_ argv: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in argv.enumerated() {
            if a == "--" { return out + argv[i...] }
            out += (a == "-it" || a == "-ti") ? ["-i", "-t"] : [a]
        }
        return out
    }

    /// Like `docker stats`: CPU % over the last interval, memory usage / limit, pids; refreshed
    /// every second until the task stops (or once with --no-stream; raw counters with --output json).
    /// `berth task stats TASK...` or, with no TASK, every running task of the cluster (as
    /// `docker stats`): one row per container, refreshed every second unless --no-stream.
    static func stats(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let named = args.positionals
        if try ClientSupport.json(args) {
            if named.count == 1 { ClientSupport.printJSON(try taskStats(args, named[0])); return 0 }
            ClientSupport.printJSON(["tasks": .array(try sample(args, named).samples)])
            return 0
        }
        let tty = isatty(1) == 1
        var previous = try sample(args, named).samples
        var interval: UInt32 = args.has("--no-stream") ? 500_000 : 1_000_000
        while true {
            usleep(interval)
            let (current, gone) = try sample(args, named)
            // A named task that stopped (stats exist only while it runs) ends the stream, as
            // docker stats does; with no names, tasks simply come and go.
            if !named.isEmpty, let message = gone {
                printErr("berth task stats: \(message)")
                return 0
            }
            if tty && !args.has("--no-stream") { print("\u{1B}[2J\u{1B}[H", terminator: "") }
            print(statsTable(previous, current))
            fflush(nil)
            if args.has("--no-stream") { return 0 }
            if !tty { print("") }
            previous = current
            interval = 1_000_000
        }
    }

    static func taskStats(_ args: Arguments, _ task: String) throws -> JSONValue {
        try ClientSupport.call(args, "Berth.GetTaskStats", ClientSupport.withCluster(args, ["task": .string(task)]))
    }

    /// One stats sample per task (named, or every RUNNING task); `gone` is the error of a task
    /// that has no stats any more.
    static func sample(_ args: Arguments, _ named: [String]) throws -> (samples: [JSONValue], gone: String?) {
        var tasks = named
        if tasks.isEmpty {
            let out = try ClientSupport.call(args, "ListTasks", ClientSupport.withCluster(args, ["desiredStatus": DesiredStatus.running.jsonValue]))
            tasks = (out["taskArns"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        var samples: [JSONValue] = []
        var gone: String?
        for task in tasks {
            do {
                var s = try taskStats(args, task)
                s["task"] = .string(task)
                samples.append(s)
            } catch let e as ClientFailure {
                if !named.isEmpty { gone = e.message }
            }
        }
        return (samples, gone)
    }

    /// One `docker stats` table from two samples of each task: CPU % of one core (100% = one CPU busy).
    static func statsTable(_ before: [JSONValue], _ after: [JSONValue]) -> String {
        let earlier = Dictionary(before.map { ($0["task"]?.stringValue ?? "", $0) }) { a, _ in a }
        let rows = after.flatMap { task in
            containerRows(earlier[task["task"]?.stringValue ?? ""] ?? task, task).map {
                [ClientSupport.shortName(task["task"]?.stringValue ?? "")] + $0
            }
        }
        return ClientSupport.table(["TASK", "CONTAINER", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"], rows)
    }

    static func containerRows(_ before: JSONValue, _ after: JSONValue) -> [[String]] {
        let dt = (after["timestamp"]?.doubleValue ?? 0) - (before["timestamp"]?.doubleValue ?? 0)
        let earlier = Dictionary((before["containers"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0) }) { a, _ in a }
        return (after["containers"]?.arrayValue ?? []).map { c in
            let name = c["name"]?.stringValue ?? ""
            let used = Double(c["cpuUsageNanos"]?.intValue ?? 0) - Double(earlier[name]?["cpuUsageNanos"]?.intValue ?? 0)
            let cpu = dt > 0 ? max(0, used) / (dt * 1e9) * 100 : 0
            let mem = Double(c["memoryBytes"]?.intValue ?? 0)
            let limit = c["memoryLimitBytes"]?.intValue.map(Double.init)
            return [name, percent(cpu), "\(bytes(mem)) / \(limit.map(bytes) ?? "no limit")",
                    limit.map { $0 > 0 ? percent(mem / $0 * 100) : "-" } ?? "-", "\(c["pids"]?.intValue ?? 0)"]
        }
    }

    static func percent(_ p: Double) -> String { "\((p * 100).rounded() / 100)%" }

    static func bytes(_ b: Double) -> String {
        for (unit, size) in [("GiB", 1_073_741_824.0), ("MiB", 1_048_576.0), ("KiB", 1024.0)] where b >= size {
            return "\((b / size * 100).rounded() / 100)\(unit)"
        }
        return "\(Int(b))B"
    }
}

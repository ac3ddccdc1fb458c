import BerthJSON
import BerthAgent
import BerthOCI

/// `berth cluster create|ls|describe|rm` over the agent's socket.
struct ClusterCommand: CLICommand {
    static let name = "cluster"
    static let summary = "create, list, describe and delete ECS clusters"
    static let usage = """
        usage: berth cluster create NAME [--tag KEY=VALUE]...
               berth cluster ls
               berth cluster describe [NAME]...
               berth cluster rm NAME
        common options: --output json|table, --socket PATH (default /run/berth/agent.sock)
        """
    static let spec = Arguments.Spec(options: ClientSupport.options.union(["--tag"]), aliases: ClientSupport.aliases)

    static func run(_ argv: [String]) throws -> Int32 {
        try Subcommands(command: name, entries: [
            ("create", "create a cluster", create),
            ("ls", "list clusters", list),
            ("describe", "describe clusters", describe),
            ("rm", "delete a cluster", remove),
        ]).run(argv)
    }

    static func create(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let name = try args.positional(0, "cluster name")
        var tags: [JSONValue] = []
        for t in args.all("--tag") {
            let (k, v) = try ClientSupport.parseKeyValue(t, option: "--tag")
            tags.append(["key": .string(k), "value": .string(v)])
        }
        var input: JSONValue = ["clusterName": .string(name)]
        if !tags.isEmpty { input["tags"] = .array(tags) }
        let out = try ClientSupport.call(args, "CreateCluster", input)
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else { print(out["cluster"]?["clusterArn"]?.stringValue ?? "") }
        return 0
    }

    static func list(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let arns = try ClientSupport.listAll(args, "ListClusters", [:], "clusterArns")
        if arns.isEmpty { return try ClientSupport.json(args) ? printed(["clusters": []]) : 0 }
        var clusters: [JSONValue] = []
        for chunk in stride(from: 0, to: arns.count, by: 100) {
            let page = try ClientSupport.call(args, "DescribeClusters", ["clusters": .array(arns[chunk..<min(chunk + 100, arns.count)].map(JSONValue.string))])
            clusters += page["clusters"]?.arrayValue ?? []
        }
        return try show(args, clusters)
    }

    static func describe(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let names = args.positionals.isEmpty ? ["default"] : args.positionals
        let out = try ClientSupport.call(args, "DescribeClusters", ["clusters": .array(names.map(JSONValue.string)), "include": ["TAGS", "SETTINGS"]])
        if try ClientSupport.json(args) { ClientSupport.printJSON(out); return 0 }
        _ = try show(args, out["clusters"]?.arrayValue ?? [])
        for f in out["failures"]?.arrayValue ?? [] {
            printErr("berth cluster: \(f["arn"]?.stringValue ?? ""): \(f["reason"]?.stringValue ?? "")")
        }
        return (out["failures"]?.arrayValue ?? []).isEmpty ? 0 : 1
    }

    static func show(_ args: Arguments, _ clusters: [JSONValue]) throws -> Int32 {
        if try ClientSupport.json(args) { return printed(["clusters": .array(clusters)]) }
        print(ClientSupport.table(["NAME", "STATUS", "RUNNING", "PENDING", "SERVICES"], clusters.map { c in
            [c["clusterName"]?.stringValue ?? "", c["status"]?.stringValue ?? "", "\(c["runningTasksCount"]?.intValue ?? 0)",
             "\(c["pendingTasksCount"]?.intValue ?? 0)", "\(c["activeServicesCount"]?.intValue ?? 0)"]
        }))
        return 0
    }

    static func printed(_ value: JSONValue) -> Int32 {
        ClientSupport.printJSON(value)
        return 0
    }

    static func remove(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let name = try args.positional(0, "cluster name")
        let out = try ClientSupport.call(args, "DeleteCluster", ["cluster": .string(name)])
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else { print(out["cluster"]?["clusterArn"]?.stringValue ?? "") }
        return 0
    }
}

import BerthJSON
import BerthAgent
import BerthOCI

/// `berth taskdef register|ls|describe|deregister` over the agent's socket.
struct TaskDefCommand: CLICommand {
    static let name = "taskdef"
    static let summary = "register, list, describe and deregister task definitions"
    static let usage = """
        usage: berth taskdef register FILE|-      (RegisterTaskDefinition JSONValue; a describe-task-definition
                                                 output or {"taskDefinition": ...} works too)
               berth taskdef ls [--family FAMILY] [--status ACTIVE|INACTIVE|DELETE_IN_PROGRESS]
               berth taskdef describe FAMILY[:REVISION]|ARN
               berth taskdef deregister FAMILY:REVISION|ARN
        common options: --output json|table, --socket PATH (default /run/berth/agent.sock)
        """
    static let spec = Arguments.Spec(options: ClientSupport.options.union(["--family", "--status"]), aliases: ClientSupport.aliases)

    /// Members DescribeTaskDefinition adds; dropped so a describe output can be registered again.
    static let serverMembers = ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
                                "registeredBy", "deregisteredAt", "deleteRequestedAt"]

    static func run(_ argv: [String]) throws -> Int32 {
        try Subcommands(command: name, entries: [
            ("register", "register a task definition", register),
            ("ls", "list task definitions", list),
            ("describe", "describe a task definition", describe),
            ("deregister", "deregister a revision", deregister),
        ]).run(argv)
    }

    static func register(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let path = try args.positional(0, "task definition file (or - for stdin)")
        var doc = try ClientSupport.readJSONFile(path)
        guard case .object = doc else { throw ClientFailure(message: "\(path): the document must be a JSON object") }
        if let inner = doc["taskDefinition"], case .object = inner {
            let tags = doc["tags"]
            doc = inner
            if let tags { doc["tags"] = tags }
        }
        for key in serverMembers { doc[key] = nil }
        let out = try ClientSupport.call(args, "RegisterTaskDefinition", doc)
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else { print(out["taskDefinition"]?["taskDefinitionArn"]?.stringValue ?? "") }
        return 0
    }

    static func list(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        var input: JSONValue = [:]
        if let f = args.value("--family") { input["familyPrefix"] = .string(f) }
        if let s = args.value("--status") { input["status"] = .string(s) }
        let arns = try ClientSupport.listAll(args, "ListTaskDefinitions", input, "taskDefinitionArns")
        if try ClientSupport.json(args) {
            ClientSupport.printJSON(["taskDefinitionArns": .array(arns.map(JSONValue.string))])
        } else {
            print(ClientSupport.table(["TASK DEFINITION", "ARN"], arns.map { [ClientSupport.shortName($0), $0] }))
        }
        return 0
    }

    static func describe(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let ref = try args.positional(0, "task definition (FAMILY, FAMILY:REVISION or ARN)")
        let out = try ClientSupport.call(args, "DescribeTaskDefinition", ["taskDefinition": .string(ref), "include": ["TAGS"]])
        if try ClientSupport.json(args) { ClientSupport.printJSON(out); return 0 }
        let td = out["taskDefinition"] ?? [:]
        print("\(td["family"]?.stringValue ?? ""):\(td["revision"]?.intValue ?? 0)  \(td["status"]?.stringValue ?? "")  \(td["taskDefinitionArn"]?.stringValue ?? "")")
        var facts: [String] = []
        if let n = td["networkMode"]?.stringValue { facts.append("network \(n)") }
        if let c = td["cpu"]?.stringValue { facts.append("cpu \(c)") }
        if let m = td["memory"]?.stringValue { facts.append("memory \(m)") }
        if !facts.isEmpty { print(facts.joined(separator: ", ")) }
        let rows: [[String]] = (td["containerDefinitions"]?.arrayValue ?? []).map { c in
            [c["name"]?.stringValue ?? "", c["image"]?.stringValue ?? "", (c["essential"]?.boolValue ?? true) ? "yes" : "no",
             "\(c["cpu"]?.intValue ?? 0)", c["memory"]?.intValue.map(String.init) ?? c["memoryReservation"]?.intValue.map { "\($0) (soft)" } ?? "-",
             (c["command"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")]
        }
        print(ClientSupport.table(["CONTAINER", "IMAGE", "ESSENTIAL", "CPU", "MEMORY", "COMMAND"], rows))
        return 0
    }

    static func deregister(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        let ref = try args.positional(0, "task definition (FAMILY:REVISION or ARN)")
        let out = try ClientSupport.call(args, "DeregisterTaskDefinition", ["taskDefinition": .string(ref)])
        if try ClientSupport.json(args) { ClientSupport.printJSON(out) } else {
            print("\(out["taskDefinition"]?["taskDefinitionArn"]?.stringValue ?? "") \(out["taskDefinition"]?["status"]?.stringValue ?? "")")
        }
        return 0
    }
}

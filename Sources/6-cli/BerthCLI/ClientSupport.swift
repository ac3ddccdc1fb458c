import BerthJSON
import BerthAgent
import BerthOCI
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Shared pieces of the commands that talk to `berth agent`: where the socket is, how to
/// call it, and how to print answers (human tables or `--output json`).
enum ClientSupport {
    static let defaultSocket = "/run/berth/agent.sock"
    /// Options every client command accepts.
    static let options: Set<String> = ["--socket", "--output", "--cluster"]
    static let aliases = ["-o": "--output", "-c": "--cluster"]

    static func client(_ args: Arguments) -> AgentClient {
        let path = args.value("--socket") ?? getenvString("BERTH_AGENT_SOCKET") ?? defaultSocket
        return AgentClient(.unix(path))
    }

    static func getenvString(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    static func json(_ args: Arguments) throws(UsageError) -> Bool {
        switch args.value("--output") ?? "table" {
        case "json": return true
        case "table", "text": return false
        case let other: throw UsageError("option --output: \(other.debugDescription) is not json or table")
        }
    }

    /// Call the agent; an ECS error becomes `ClientFailure` (printed as type: message, exit 1).
    static func call(_ args: Arguments, _ op: String, _ input: JSONValue) throws -> JSONValue {
        do { return try client(args).call(op, input) } catch {
            throw ClientFailure(message: "\(error.type): \(error.message)")
        }
    }

    /// Every ARN a List operation returns, following `nextToken` from page to page.
    static func listAll(_ args: Arguments, _ op: String, _ input: JSONValue, _ member: String) throws -> [String] {
        var arns: [String] = []
        var token: String?
        repeat {
            var page = input
            if let token { page["nextToken"] = .string(token) }
            let out = try call(args, op, page)
            arns += (out[member]?.arrayValue ?? []).compactMap(\.stringValue)
            token = out["nextToken"]?.stringValue
        } while token != nil
        return arns
    }

    static func withCluster(_ args: Arguments, _ input: JSONValue) -> JSONValue {
        var out = input
        if let c = args.value("--cluster") { out["cluster"] = .string(c) }
        return out
    }

    static func printJSON(_ value: JSONValue) { print(value.serialized(pretty: true)) }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (i, cell) in cells.enumerated() {
                s += i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            return s
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `arn:...:task/cluster/abc` → `abc`; `arn:...:task-definition/web:3` → `web:3`.
    static func shortName(_ arn: String) -> String {
        guard arn.hasPrefix("arn:") else { return arn }
        return String(arn.split(separator: "/").last ?? Substring(arn))
    }

    static func age(_ epoch: Double?) -> String {
        guard let epoch else { return "-" }
        let s = Int(wallClockNow() - epoch)
        if s < 0 { return "0s" }
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    /// A JSON document from a file or `-` (stdin), with errors naming file, line and column.
    static func readJSONFile(_ path: String) throws -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = path == "-" ? try FileDescriptor.standardInput.readAll() : try Files.readBytes(path)
        } catch {
            throw ClientFailure(message: "\(path): \(error)")
        }
        do { return try JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast) } catch {
            throw ClientFailure(message: "\(path): \(error)")
        }
    }

    static func parseKeyValue(_ text: String, option: String) throws(UsageError) -> (String, String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw UsageError("option \(option): \(text.debugDescription) is not KEY=VALUE")
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }
}

/// A failure reported by the agent or a local file problem: printed, exit status 1.
struct ClientFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs `berth <command> <sub> ...` by dispatching on the first positional word.
struct Subcommands {
    var command: String
    var entries: [(name: String, summary: String, run: ([String]) throws -> Int32)]

    func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first, !sub.hasPrefix("-") else {
            throw UsageError("missing subcommand: one of \(entries.map(\.name).joined(separator: ", "))")
        }
        guard let entry = entries.first(where: { $0.name == sub }) else {
            throw UsageError("unknown subcommand \(sub.debugDescription) of berth \(command)")
        }
        return try entry.run(Array(args.dropFirst()))
    }
}

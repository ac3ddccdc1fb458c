#if canImport(Glibc)
import BerthOCI
import Glibc
#endif

/// One top-level `berth` command. Each lives in its own file; `Commands.all` lists them.
public protocol CLICommand: Sendable {
    static var name: String { get }
    /// One line for `berth help`.
    static var summary: String { get }
    /// Usage text for `berth <name> --help`.
    static var usage: String { get }
    /// Runs the command and returns the process exit status.
    static func run(_ args: [String]) throws -> Int32
}

public enum CLI {
    /// Entry point for everything except hidden entry points handled in main.swift.
    public static func main(_ argv: [String]) -> Int32 {
        var args = Array(argv.dropFirst())
        guard let name = args.first else {
            printErr(helpText())
            return 2
        }
        args.removeFirst()
        if name == "help" || name == "--help" || name == "-h" {
            print(helpText())
            return 0
        }
        guard let command = Commands.all.first(where: { $0.name == name }) else {
            printErr("berth: unknown command \(name.debugDescription)\n\n" + helpText())
            return 2
        }
        if args.first == "--help" || args.first == "-h" {
            print(command.usage)
            return 0
        }
        do {
            return try command.run(args)
        } catch let error as UsageError {
            printErr("berth \(name): \(error.message)\n\n\(command.usage)")
            return 2
        } catch {
            printErr("berth \(name): \(error)")
            return 1
        }
    }

    static func helpText() -> String {
        var lines = ["usage: berth <command> [options]", "", "commands:"]
        for c in Commands.all { lines.append("  " + c.name.padding(12) + c.summary) }
        lines.append("")
        lines.append("Run `berth <command> --help` for a command's options.")
        return lines.joined(separator: "\n")
    }
}

public func printErr(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

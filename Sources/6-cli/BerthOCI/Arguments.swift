/// A small argument parser (Berth takes no package dependencies). Understands
/// `--flag`, `--option value`, `--option=value`, `-x value` for declared short aliases,
/// and `--` to end options. Unknown options are errors that name the option.
public struct Arguments: Sendable {
    public var positionals: [String] = []
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []

    public struct Spec: Sendable {
        public var flags: Set<String>
        public var options: Set<String>
        public var aliases: [String: String]
        public init(flags: Set<String> = [], options: Set<String> = [], aliases: [String: String] = [:]) {
            self.flags = flags
            self.options = options
            self.aliases = aliases
        }
    }

    public init(_ args: [String], spec: Spec) throws(UsageError) {
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let arg = args[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            var name = arg
            var inline: String?
            if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if let long = spec.aliases[name] { name = long }
            if let current = Self.renamed[name], !spec.options.contains(name), spec.options.contains(current) { name = current }
            if spec.flags.contains(name) {
                if inline != nil { throw UsageError("option \(name) takes no value") }
                flags.insert(name)
            } else if spec.options.contains(name) {
                let value: String
                if let inline { value = inline } else {
                    guard i < args.count else { throw UsageError("option \(name) needs a value") }
                    value = args[i]
                    i += 1
                }
                values[name, default: []].append(value)
            } else {
                throw UsageError("unknown option \(arg)")
            }
        }
    }

    /// Old spellings still accepted where the new one exists (deprecated; one name, one meaning):
    /// the image store was `--store` on `berth image` and `--images` on `run` and `agent`.
    public static let renamed = ["--store": "--images"]

    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public func value(_ option: String) -> String? { values[option]?.last }
    public func all(_ option: String) -> [String] { values[option] ?? [] }

    /// An integer option, with an error naming the option if it is not a number in range.
    public func int(_ option: String, default def: Int? = nil, range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? {
        guard let raw = value(option) else { return def }
        guard let n = Int(raw) else { throw UsageError("option \(option): \(raw.debugDescription) is not a whole number") }
        if let range, !range.contains(n) {
            throw UsageError("option \(option): \(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    public func positional(_ index: Int, _ what: String) throws(UsageError) -> String {
        guard index < positionals.count else { throw UsageError("missing \(what)") }
        return positionals[index]
    }
}

/// Wrong use of the command line: printed as `berth: <message>`, exit status 2.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

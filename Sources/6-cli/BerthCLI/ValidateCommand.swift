import BerthECS
import BerthOCI
import BerthSys

/// `berth validate FILE...`: checks task definition files the way RegisterTaskDefinition would.
struct ValidateCommand: CLICommand {
    static let name = "validate"
    static let summary = "check task definition (or CreateService) JSON files, every problem with its JSON path"
    static let usage = """
        usage: berth validate FILE...

        Checks each file as `aws ecs register-task-definition --cli-input-json` input (describe or
        register output with its {"taskDefinition": ...} wrapper is accepted too); a file with
        CreateService members (serviceName, desiredCount, ...) is checked as
        `aws ecs create-service --cli-input-json` input instead. Prints every
        problem as `FILE: PATH: message` (warnings say what Berth ignores or emulates) or
        `FILE: valid (N warnings)`. Use `-` to read standard input.
        Exit status: 0 when every file is valid, 2 when any file is invalid or unreadable.
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, spec: .init())
        guard !parsed.positionals.isEmpty else { throw UsageError("missing FILE") }
        var allValid = true
        for file in parsed.positionals {
            let (lines, valid) = check(file)
            for line in lines { print(line) }
            allValid = allValid && valid
        }
        return allValid ? 0 : 2
    }

    /// The output lines for one file and whether it is valid.
    static func check(_ file: String) -> (lines: [String], valid: Bool) {
        let bytes: [UInt8]
        do {
            bytes = try Files.readBytes(file == "-" ? "/dev/stdin" : file)
        } catch {
            return (["\(file): cannot read file: \(error.message)"], false)
        }
        let report = ECSValidation.validateDocument(bytes: bytes)
        return (report.lines(for: file), report.isValid)
    }
}

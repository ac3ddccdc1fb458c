import BerthOCI

/// `berth oci ...`: the OCI runtime (Sources/6-cli/BerthOCI), the same code as the `berth-oci`
/// executable that container engines take as `--runtime`.
struct OCICommand: CLICommand {
    static let name = "oci"
    static let summary = OCI.summary
    static let usage = OCI.usage
    static func run(_ args: [String]) throws -> Int32 { try OCI.run(args) }
}

import BerthImages
import BerthOCI
import Foundation

/// `berth image login [--username U] [--password-stdin] [--name NAME] REGISTRY` and
/// `berth image logout [--name NAME] REGISTRY`: credentials in Berth's own file (0600).
enum ImageLoginCommand {
    static let usage = """
        usage: berth image login [--username U] [--password-stdin] [--name NAME] [--auth-file FILE] REGISTRY
               berth image logout [--name NAME] [--auth-file FILE] REGISTRY
        With --name, the credential is stored under NAME for task definitions'
        repositoryCredentials.credentialsParameter (NAME or a Secrets Manager ARN ending in :secret:NAME).
        """

    static func login(_ args: [String]) throws -> Int32 {
        if args.contains("--help") || args.contains("-h") { print(usage); return 0 }
        let a = try Arguments(args, spec: .init(flags: ["--password-stdin"], options: ["--username", "-u", "--name", "--auth-file"]))
        guard a.positionals.count == 1 else { throw UsageError(a.positionals.isEmpty ? "missing REGISTRY" : "too many arguments") }
        guard let user = a.value("--username") ?? a.value("-u"), !user.isEmpty else { throw UsageError("missing --username") }
        guard a.has("--password-stdin") else { throw UsageError("give the password on standard input with --password-stdin") }
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let password = input.hasSuffix("\r\n") ? String(input.dropLast(2)) : input.hasSuffix("\n") ? String(input.dropLast()) : input
        guard !password.isEmpty else { throw UsageError("empty password on standard input") }
        let registry = normalized(a.positionals[0])
        try RegistryOptions.credentials(a).login(registry, RegistryCredential(username: user, password: password), name: a.value("--name"))
        print(a.value("--name").map { "stored credential \($0) for \(registry)" } ?? "login stored for \(registry)")
        return 0
    }

    static func logout(_ args: [String]) throws -> Int32 {
        if args.contains("--help") || args.contains("-h") { print(usage); return 0 }
        let a = try Arguments(args, spec: .init(options: ["--name", "--auth-file"]))
        guard a.positionals.count == 1 else { throw UsageError(a.positionals.isEmpty ? "missing REGISTRY" : "too many arguments") }
        let registry = normalized(a.positionals[0])
        guard try RegistryOptions.credentials(a).logout(registry, name: a.value("--name")) else {
            printErr("berth: not logged in to \(a.value("--name") ?? registry)")
            return 1
        }
        print("removed login for \(a.value("--name") ?? registry)")
        return 0
    }

    /// `https://reg/` → `reg`; Docker Hub's names → `docker.io`.
    static func normalized(_ registry: String) -> String {
        var r = registry
        for p in ["https://", "http://"] where r.hasPrefix(p) { r = String(r.dropFirst(p.count)) }
        r = String(r.split(separator: "/").first ?? "")
        return ["index.docker.io", "registry-1.docker.io"].contains(r) ? RegistryName.dockerHub : r
    }
}

import BerthInit
import BerthJSON
import BerthRuntime

/// `berth oci seccomp-default [--cap CAP_X]... [--no-default-caps]`: Docker's default seccomp
/// profile as runtime-spec `linux.seccomp` JSON, resolved for this host (architecture, kernel) and
/// a bounding set of Docker's default capabilities plus each `--cap` (as `docker run --cap-add`);
/// `--no-default-caps` starts from no capabilities. Bundles (and crun/runc) can use the output as
/// it is, so they run under the same profile as Berth's task containers.
public enum OCISeccompCommand {

    public static func run(_ args: [String]) throws -> Int32 {
        let profile = try profile(args)
        print(String(decoding: profile.jsonValue.encoderStyleBytes(escapingSlashes: false), as: UTF8.self))
        return 0
    }

    /// The profile the arguments ask for (pure apart from the host facts).
    public static func profile(_ args: [String], host: DockerSeccomp.Host = .current) throws(UsageError) -> Spec.Seccomp {
        let a = try Arguments(args, spec: .init(flags: ["--no-default-caps"], options: ["--cap"]))
        if let extra = a.positionals.first { throw UsageError("unexpected argument \(extra.debugDescription)") }
        var caps = a.has("--no-default-caps") ? [] : Capabilities.dockerDefault
        for raw in a.all("--cap") {
            let added: [String]
            if raw.uppercased() == "ALL" {
                added = Capabilities.all
            } else {
                guard let name = Capabilities.canonical(raw) else { throw UsageError("option --cap: unknown capability \(raw.debugDescription)") }
                added = [name]
            }
            for c in added where !caps.contains(c) { caps.append(c) }
        }
        return DockerSeccomp.profile(bounding: caps, host: host)
    }
}

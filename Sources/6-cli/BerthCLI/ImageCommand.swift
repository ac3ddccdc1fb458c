import BerthImages
import BerthJSON
import BerthOCI
import BerthTasks

/// `berth image import|ls|inspect|tag|rm|prune|save`: the local image store tasks run from.
struct ImageCommand: CLICommand {
    static let name = "image"
    static let summary = "manage local images (import, list, inspect, tag, remove, prune, save)"
    static let usage = """
        usage: berth image import [options] NAME[:TAG] DIR|TARBALL
               berth image import [options] [NAME[:TAG]] OCI_LAYOUT_DIR|IMAGE_ARCHIVE
               \(ImageListCommand.usage)
               \(ImageInspectCommand.usage)
               \(ImageTagCommand.usage)
               \(ImageRemoveCommand.usage)
               \(ImagePruneCommand.usage)
               \(ImageSaveCommand.usage)
               berth image pull [--platform P] [--quiet] REF      (berth image pull --help)
               berth image login|logout [...] REGISTRY            (berth image login --help)

        import options (stored in the image config; a task's entryPoint/command override them):
          --env K=V            default environment variable (repeatable)
          --entrypoint ARGS    ENTRYPOINT, a JSONValue array or a whitespace-separated string
          --cmd ARGS           CMD, a JSONValue array or a whitespace-separated string
          --workdir DIR        WorkingDir
          --user USER          User (name, uid, name:group or uid:gid)
          --stop-signal SIG    StopSignal (default SIGTERM)
          --images DIR         image store (default \(ImageStore.defaultRoot))

        import limits (checked while unpacking; an import that hits one stops and leaves nothing):
          --max-image-size SIZE    expanded file content of all layers (512m, 20g, 20GiB; default none)
          --min-free-space N%|SIZE free space on the store's filesystem the import never uses (default 5%)
          --max-image-files N      entries in all layers (default 1000000)
          --max-path-depth N       components of one path (default 256)
        TARBALL is a tar archive (ustar, GNU or pax), plain, gzip or zstd, imported as one layer.
        An OCI image layout (skopeo copy ... oci:DIR:TAG) is imported with all its layers and its config;
        the manifest tagged TAG (or the only one) is used. An IMAGE_ARCHIVE (docker save, podman save,
        docker-archive or oci-archive, plain, gzip or zstd; recognised by its content) is imported the same
        way, every digest it names verified: without NAME, every image under each of its names
        (RepoTags), as docker load does; with NAME, the image of that name (or the only one) as NAME.
        save writes an oci-archive (layers tar+gzip; skopeo, podman load) or, with --format
        docker-archive, Docker's manifest.json as well (layers uncompressed; docker load).
        """

    static func run(_ args: [String]) throws -> Int32 {
        let subs = "import, ls, inspect, tag, rm, prune, save, pull, login or logout"
        guard let sub = args.first else { throw UsageError("missing subcommand (\(subs))") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "import": return try importImage(rest)
        case "ls", "list": return try ImageListCommand.run(rest)
        case "inspect": return try ImageInspectCommand.run(rest)
        case "tag": return try ImageTagCommand.run(rest)
        case "rm", "remove": return try ImageRemoveCommand.run(rest)
        case "prune": return try ImagePruneCommand.run(rest)
        case "save": return try ImageSaveCommand.run(rest)
        case "pull": return try ImagePullCommand.run(rest)
        case "login": return try ImageLoginCommand.login(rest)
        case "logout": return try ImageLoginCommand.logout(rest)
        default: throw UsageError("unknown subcommand \(sub.debugDescription) (\(subs))")
        }
    }

    static func importImage(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(options: ["--env", "--entrypoint", "--cmd", "--workdir", "--user", "--stop-signal", "--images",
                                                          "--max-image-size", "--min-free-space", "--max-image-files", "--max-path-depth"]))
        guard a.positionals.count <= 2 else { throw UsageError("too many arguments") }
        let ref = a.positionals.count == 2 ? a.positionals[0] : nil
        let source = try a.positional(a.positionals.count == 2 ? 1 : 0, "DIR or TARBALL")
        for env in a.all("--env") where !env.contains("=") || env.hasPrefix("=") {
            throw UsageError("option --env: \(env.debugDescription) is not KEY=VALUE")
        }
        var config = ImageConfig()
        config.Env = [ImageConfig.defaultPath] + a.all("--env")
        config.Entrypoint = try a.value("--entrypoint").map { try argv($0, "--entrypoint") }
        config.Cmd = try a.value("--cmd").map { try argv($0, "--cmd") }
        config.WorkingDir = a.value("--workdir")
        config.User = a.value("--user")
        config.StopSignal = a.value("--stop-signal")
        let store = ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot)
        let records = try store.importImages(ref, from: source, config: config, limits: try limits(a)) { printErr("berth: warning: " + $0) }
        for record in records { print("imported \(record.name):\(record.tag) \(record.id) (\(formatSize(record.size)))") }
        return 0
    }

    static func limits(_ a: Arguments) throws(UsageError) -> ImportLimits {
        var limits = ImportLimits()
        do {
            if let v = a.value("--max-image-size") { limits.maxImageSize = try ImportLimits.parseMaxSize(v) }
            if let v = a.value("--min-free-space") { limits.minFreeSpace = try ImportLimits.parseReserve(v) }
            if let v = a.value("--max-image-files") { limits.maxFiles = try ImportLimits.parseCount(v, option: "--max-image-files") }
            if let v = a.value("--max-path-depth") { limits.maxPathDepth = try ImportLimits.parseCount(v, option: "--max-path-depth") }
        } catch {
            throw UsageError(error.message)
        }
        return limits
    }

    /// A JSON array of strings, or a whitespace-separated string.
    static func argv(_ raw: String, _ option: String) throws -> [String] {
        if raw.hasPrefix("[") {
            guard let v = try? [String].read(json: Array(raw.utf8)) else {
                throw UsageError("option \(option): \(raw.debugDescription) is not a JSON array of strings")
            }
            return v
        }
        return raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}

func formatSize(_ bytes: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var v = Double(bytes), u = 0
    while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
    return u == 0 ? "\(bytes)B" : String(Int(v * 10) / 10) + "." + String(Int(v * 10) % 10) + units[u]
}

/// Left-aligned columns separated by three spaces, like docker's tables.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    for r in rows {
        var line = ""
        for (i, c) in r.enumerated() {
            line += i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 3)
        }
        print(line)
    }
}

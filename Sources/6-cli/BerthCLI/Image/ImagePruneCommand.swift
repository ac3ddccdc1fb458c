import BerthImages
import BerthOCI

/// `berth image prune [--all]`: unused layers, blobs and temporaries; with --all also every image
/// no running container uses.
enum ImagePruneCommand {
    static let usage = "berth image prune [-a|--all] [--images DIR]"

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(flags: ["--all"], options: ["--images"], aliases: ["-a": "--all"]))
        guard a.positionals.isEmpty else { throw UsageError("image prune takes no arguments") }
        let report = try ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot).prune(allUnused: a.has("--all"))
        for r in report.images { print("untagged \(r.reference) \(r.id)") }
        print("removed \(report.layers) layers, \(report.blobs) blobs, \(report.temporaries) temporaries; reclaimed \(formatSize(report.bytes))")
        return 0
    }
}

import BerthImages
import BerthOCI

/// `berth image rm [-f] NAME...`: an image whose layers a running container has mounted is
/// refused; with -f its name goes and the layers stay until `prune` finds them unused.
enum ImageRemoveCommand {
    static let usage = "berth image rm [-f|--force] [--images DIR] NAME[:TAG]..."

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(flags: ["--force"], options: ["--images"], aliases: ["-f": "--force"]))
        guard !a.positionals.isEmpty else { throw UsageError("missing NAME[:TAG]") }
        let store = ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot)
        for ref in a.positionals {
            let r = try store.remove(ref, force: a.has("--force"))
            print("removed \(r.name):\(r.tag) \(r.id)")
        }
        return 0
    }
}

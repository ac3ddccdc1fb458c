import BerthImages
import BerthOCI

/// `berth image tag SOURCE TARGET`.
enum ImageTagCommand {
    static let usage = "berth image tag [--images DIR] SOURCE[:TAG] TARGET[:TAG]"

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(options: ["--images"]))
        guard a.positionals.count == 2 else { throw UsageError("image tag needs SOURCE and TARGET (got \(a.positionals.count) arguments)") }
        let store = ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot)
        let r = try store.tag(a.positionals[0], a.positionals[1])
        print("tagged \(r.reference) \(r.id)")
        return 0
    }
}

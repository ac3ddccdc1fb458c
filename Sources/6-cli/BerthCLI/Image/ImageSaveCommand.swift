import BerthImages
import BerthOCI

/// `berth image save NAME... -o OUT.tar` or `berth image save NAME OUT.tar`.
enum ImageSaveCommand {
    static let usage = "berth image save [--format oci-archive|docker-archive] [--images DIR] NAME[:TAG]... -o OUT.tar  (or NAME OUT.tar)"

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(options: ["--output", "--format", "--images"], aliases: ["-o": "--output"]))
        var names = a.positionals
        let output: String
        if let o = a.value("--output") {
            output = o
        } else {
            guard names.count == 2, names[1].hasSuffix(".tar") || names[1].contains("/") else {
                throw UsageError("missing the output file: -o OUT.tar (or NAME OUT.tar)")
            }
            output = names.removeLast()
        }
        guard !names.isEmpty else { throw UsageError("missing NAME[:TAG] to save") }
        let raw = a.value("--format") ?? SaveFormat.ociArchive.rawValue
        guard let format = SaveFormat(rawValue: raw) else {
            throw UsageError("option --format: \(raw.debugDescription) is not supported (oci-archive or docker-archive)")
        }
        let store = ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot)
        let records = try store.save(names, to: output, format: format)
        for r in records { print("saved \(r.reference) \(r.id)") }
        print("wrote \(output) (\(format.rawValue))")
        return 0
    }
}

import BerthImages
import BerthJSON
import BerthOCI

/// `berth image inspect NAME...`: a JSON array, one docker-like document per image.
enum ImageInspectCommand {
    static let usage = "berth image inspect [--images DIR] NAME[:TAG]|NAME@DIGEST..."

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(options: ["--images"]))
        guard !a.positionals.isEmpty else { throw UsageError("missing NAME[:TAG]") }
        let store = ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot)
        var docs: [JSONValue] = []
        var failed = false
        for ref in a.positionals {
            do {
                let (records, config) = try store.inspect(ref)
                docs.append(ImageInspection(records: records, config: config).jsonValue)
            } catch let error as ImageError {
                printErr("berth: image inspect \(ref): \(error.message)")
                failed = true
            }
        }
        print(String(decoding: JSONValue.array(docs).serializedBytes(pretty: true), as: UTF8.self))
        return failed ? 1 : 0
    }
}

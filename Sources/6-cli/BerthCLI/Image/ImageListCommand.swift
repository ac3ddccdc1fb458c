import BerthImages
import BerthJSON
import BerthOCI
import BerthSys

/// `berth image ls [--digests] [-q] [--output json]`: docker's columns.
enum ImageListCommand {
    static let usage = "berth image ls [--digests] [-q|--quiet] [--output json|--format json] [--images DIR]"

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, spec: .init(flags: ["--digests", "--quiet", "--no-trunc"], options: ["--output", "--format", "--images"],
                                                aliases: ["-q": "--quiet"]))
        guard a.positionals.isEmpty else { throw UsageError("image ls takes no arguments (got \(a.positionals[0].debugDescription))") }
        let output = a.value("--output") ?? a.value("--format")
        guard output == nil || output == "json" || output == "table" else {
            throw UsageError("option --output: \(output!.debugDescription) is not json or table")
        }
        let images = try ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot).list()
        if output == "json" {
            print(String(decoding: images.jsonValue.encoderStyleBytes(), as: UTF8.self))
            return 0
        }
        if a.has("--quiet") {
            var seen = Set<String>()
            for i in images where seen.insert(i.id).inserted { print(a.has("--no-trunc") ? i.id : ImageListing.shortID(i.id)) }
            return 0
        }
        printTable(ImageListing.rows(images, now: wallClockNow(), fullDigests: a.has("--digests"), noTrunc: a.has("--no-trunc")))
        return 0
    }
}

/// The table of `image ls`, as a pure function of the records and the time.
enum ImageListing {
    static func rows(_ images: [ImageRecord], now: Double, fullDigests: Bool, noTrunc: Bool) -> [[String]] {
        var rows = [["REPOSITORY", "TAG", "IMAGE ID", "DIGEST", "SIZE", "CREATED"]]
        for i in images {
            let digest = i.digest.map { fullDigests || noTrunc ? $0 : shortID($0) } ?? "<none>"
            let created = UTC.parseRFC3339(i.created).map { relative(now - $0) } ?? i.created
            rows.append([i.name, i.tag, noTrunc ? i.id : shortID(i.id), digest, formatSize(i.size), created])
        }
        return rows
    }

    /// `sha256:<hex>` → the first 12 hex digits.
    static func shortID(_ digest: String) -> String {
        String((digest.hasPrefix("sha256:") ? digest.dropFirst(7) : Substring(digest)).prefix(12))
    }

    /// How long ago, as docker says it (go-units HumanDuration + " ago").
    static func relative(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s < 1 { return "Less than a second ago" }
        if s < 60 { return s == 1 ? "1 second ago" : "\(s) seconds ago" }
        let m = s / 60
        if m == 1 { return "About a minute ago" }
        if m < 60 { return "\(m) minutes ago" }
        let h = m / 60
        if h == 1 { return "About an hour ago" }
        if h < 48 { return "\(h) hours ago" }
        let d = h / 24
        if d < 14 { return "\(d) days ago" }
        if d < 60 { return "\(d / 7) weeks ago" }
        if d < 365 * 2 { return "\(d / 30) months ago" }
        return "\(d / 365) years ago"
    }
}

/// `busybox`, `busybox:1.36`, `docker.io/library/busybox:latest`, `ghcr.io/org/app:v1`,
/// `app@sha256:<hex>`. Docker Hub prefixes are dropped so `docker.io/library/busybox` and
/// `busybox` name the same local image.
public struct ImageReference: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var name: String
    public var tag: String
    /// `sha256:<hex>` when the reference pins a digest.
    public var digest: String?

    public init(name: String, tag: String = "latest", digest: String? = nil) {
        self.name = name
        self.tag = tag
        self.digest = digest
    }

    public init(parsing raw: String) throws(ImageError) {
        var rest = raw
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
            guard let d = digest, d.hasPrefix("sha256:"), d.count == 71, d.dropFirst(7).allSatisfy(\.isHexDigit) else {
                throw ImageError("invalid image reference \(raw.debugDescription): digest must be sha256:<64 hex digits>")
            }
        }
        var tag = "latest"
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        for prefix in ["docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "docker.io/", "index.docker.io/"]
        where rest.hasPrefix(prefix) {
            rest = String(rest.dropFirst(prefix.count))
            break
        }
        let nameOK = !rest.isEmpty && rest.count <= 255 && rest.allSatisfy { $0.isLowercase || $0.isNumber || "._-/:".contains($0) }
            && !rest.hasPrefix("/") && !rest.hasSuffix("/") && !rest.contains("//")
        guard nameOK else {
            throw ImageError("invalid image reference \(raw.debugDescription): name must be lowercase letters, digits, '.', '_', '-', '/'")
        }
        let tagOK = !tag.isEmpty && tag.count <= 128 && tag.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
            && tag.first != "." && tag.first != "-"
        guard tagOK else { throw ImageError("invalid image reference \(raw.debugDescription): bad tag \(tag.debugDescription)") }
        self.init(name: rest, tag: tag, digest: digest)
    }

    public var description: String { digest.map { "\(name)@\($0)" } ?? "\(name):\(tag)" }
}

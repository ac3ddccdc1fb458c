import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// What one image import may use (Docs/tasks.md, "Import limits"): a maximum expanded size, a
/// reserve of free space on the store's filesystem that an import never eats into, a maximum
/// number of entries and a maximum path depth. Each is named by its `berth image import` flag.
public struct ImportLimits: Sendable, Equatable {
    public enum Reserve: Sendable, Equatable {
        case percent(Int)
        case bytes(Int64)
    }
    /// Bytes of file content over all layers; nil: no maximum (the reserve still applies).
    public var maxImageSize: Int64?
    public var minFreeSpace: Reserve
    /// Tar entries (or directory entries) over all layers.
    public var maxFiles: Int
    /// Components of one path inside a layer.
    public var maxPathDepth: Int

    public init(maxImageSize: Int64? = nil, minFreeSpace: Reserve = .percent(5), maxFiles: Int = 1_000_000, maxPathDepth: Int = 256) {
        self.maxImageSize = maxImageSize
        self.minFreeSpace = minFreeSpace
        self.maxFiles = maxFiles
        self.maxPathDepth = maxPathDepth
    }

    /// `--max-image-size SIZE|none`.
    public static func parseMaxSize(_ raw: String, option: String = "--max-image-size") throws(ImageError) -> Int64? {
        if raw == "none" { return nil }
        guard let n = ByteSize.parse(raw), n > 0 else {
            throw ImageError("option \(option): \(raw.debugDescription) is not a size (bytes, or a number with k, m, g, t, KiB, MiB, GiB; or none)")
        }
        return n
    }

    /// `--min-free-space N%|SIZE`: a percentage (0-99) of the filesystem, or a size.
    public static func parseReserve(_ raw: String, option: String = "--min-free-space") throws(ImageError) -> Reserve {
        if raw.hasSuffix("%") {
            guard let p = Int(raw.dropLast()), (0...99).contains(p) else {
                throw ImageError("option \(option): \(raw.debugDescription) is not a percentage from 0% to 99%")
            }
            return .percent(p)
        }
        guard let n = ByteSize.parse(raw) else {
            throw ImageError("option \(option): \(raw.debugDescription) is not a percentage (5%) or a size (bytes, or a number with k, m, g, t)")
        }
        return .bytes(n)
    }

    /// A positive count (`--max-image-files`, `--max-path-depth`).
    public static func parseCount(_ raw: String, option: String) throws(ImageError) -> Int {
        guard let n = Int(raw), n > 0 else { throw ImageError("option \(option): \(raw.debugDescription) is not a positive number") }
        return n
    }

    func reserveBytes(ofFilesystem total: Int64) -> Int64 {
        switch minFreeSpace {
        case .percent(let p): total / 100 * Int64(p)
        case .bytes(let n): n
        }
    }

    var reserveText: String {
        switch minFreeSpace {
        case .percent(let p): "\(p) %"
        case .bytes(let n): ByteSize.describe(n)
        }
    }
}

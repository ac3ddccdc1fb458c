import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The running account of one import against its ImportLimits. Every entry and every chunk of
/// file content is charged before it is written; free space is re-read with statvfs after each
/// MiB charged (an entry counts as one filesystem block), so the check never lags by more.
final class ImportBudget {
    let limits: ImportLimits
    /// A path on the store's filesystem, for statvfs and messages.
    let store: String
    /// Warnings about entries that were not imported as they are (device nodes without CAP_MKNOD).
    let warn: (String) -> Void
    private(set) var bytes: Int64 = 0
    private(set) var entries = 0
    private let reserve: Int64
    private let blockSize: Int64
    private var free: Int64 = 0
    private var charged: Int64 = 0
    static let recheckEvery: Int64 = 1 << 20

    init(limits: ImportLimits, store: String, warn: @escaping (String) -> Void = { _ in }) throws(SysError) {
        self.limits = limits
        self.store = store
        self.warn = warn
        let fs = try Self.statfs(store)
        blockSize = Int64(fs.f_frsize)
        reserve = limits.reserveBytes(ofFilesystem: Int64(fs.f_blocks) * blockSize)
        free = Int64(fs.f_bavail) * blockSize
    }

    /// One more entry at `path` (a layer-relative path).
    func admit(_ path: String) throws {
        guard entries < limits.maxFiles else {
            throw ImageError("image has more than \(limits.maxFiles) entries (--max-image-files); stopped at \(path.debugDescription)")
        }
        let depth = path.split(separator: "/").count
        guard depth <= limits.maxPathDepth else {
            throw ImageError("path deeper than \(limits.maxPathDepth) components (--max-path-depth, it has \(depth)): \(String(path.prefix(200)).debugDescription)")
        }
        entries += 1
        try charge(blockSize)
    }

    /// `n` more bytes of file content, about to be written.
    func consume(_ n: Int) throws {
        if let max = limits.maxImageSize, bytes + Int64(n) > max {
            throw ImageError("image exceeds --max-image-size \(ByteSize.describe(max)) after \(bytes) bytes; nothing was imported")
        }
        try charge(Int64(n))
        bytes += Int64(n)
    }

    private func charge(_ n: Int64) throws {
        if charged + n > Self.recheckEvery {
            free = Int64(try Self.statfs(store).f_bavail) * blockSize
            charged = 0
        }
        guard free - charged - n >= reserve else {
            throw ImageError("import would leave less than --min-free-space \(limits.reserveText) (\(ByteSize.describe(reserve))) free on the filesystem of \(store) (\(ByteSize.describe(max(0, free - charged))) free after \(bytes) bytes); nothing was imported")
        }
        charged += n
    }

    static func statfs(_ path: String) throws(SysError) -> statvfs {
        var fs = statvfs()
        try Sys.call("statvfs", detail: path) { statvfs(path, &fs) }
        return fs
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// One filesystem entry of a layer, with a path relative to the layer root.
public struct LayerEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case directory, file, symlink(String), hardlink(String)
        /// OCI `.wh.NAME`: an overlayfs whiteout (character device 0/0) hiding NAME of lower layers.
        case whiteout
        /// OCI `.wh..wh..opq` in a directory: mark it opaque (trusted.overlay.opaque=y).
        case opaque
        /// Device nodes and FIFOs, made with mknod as containerd does (devices need CAP_MKNOD).
        case charDevice(major: UInt32, minor: UInt32), blockDevice(major: UInt32, minor: UInt32), fifo
    }
    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// Extended attributes (pax `SCHILY.xattr.*`): set on files and directories after owner and
    /// mode (so `security.capability` survives the chown); `trusted.*` is refused with a warning.
    public var xattrs: [String: [UInt8]]

    public init(path: String, kind: Kind, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0, size: Int64 = 0, xattrs: [String: [UInt8]] = [:]) {
        self.xattrs = xattrs
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
    }

    /// `./a//b/` → `a/b`. Absolute paths and `..` components are refused; the root itself is nil.
    public static func normalize(_ raw: String) throws(ImageError) -> String? {
        if raw.hasPrefix("/") { throw ImageError("refusing absolute path \(raw.debugDescription) in archive") }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." { throw ImageError("refusing path with \"..\" in archive: \(raw.debugDescription)") }
            parts.append(part)
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}

/// Writes entries below a root directory without ever following a symlink out of it: every
/// parent is opened with openat2(RESOLVE_IN_ROOT), the last component is created relative to
/// that descriptor with no-follow semantics. Every byte of content is charged to the import's
/// budget before it is written.
///
/// With `canonicalDigest`, it also computes the layer digest over a canonical encoding of the
/// entries (kind, path, mode, owner, link target, content): the store's name for a layer that has
/// no digest of its own (a root filesystem imported from a directory or a tar), the same for the
/// same tree however it was packed. A layer with a diff_id verified while it is unpacked (pulls,
/// archives) is named by that instead, and the writer hashes nothing.
final class LayerWriter {
    let root: String
    let rootFd: Int32
    let budget: ImportBudget
    private let hash: StreamDigest?
    private(set) var size: Int64 = 0

    init(root: String, budget: ImportBudget, canonicalDigest: Bool = true) throws {
        self.root = root
        self.budget = budget
        hash = canonicalDigest ? try StreamDigest() : nil
        try Files.makeDirectories(root)
        rootFd = try Sys.call("open", detail: root) { berth_openat(AT_FDCWD, root, BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC, 0) }
    }

    deinit { close(rootFd) }

    /// The canonical digest of what was added so far (nil without `canonicalDigest`).
    var digest: String? { hash?.digest }

    /// Add a non-file entry, or a file whose content is supplied by `content` (called with a writer).
    func add(_ entry: LayerEntry, content: ((_ write: ([UInt8]) throws -> Void) throws -> Void)? = nil) throws {
        let link: String
        switch entry.kind {
        case .symlink(let t), .hardlink(let t): link = t
        case .charDevice(let major, let minor), .blockDevice(let major, let minor): link = "\(major):\(minor)"
        default: link = ""
        }
        if let hash {
            hash.update(Array("\(entry.kind.tag)\0\(entry.path)\0\(entry.mode)\0\(entry.uid)\0\(entry.gid)\0\(link)\0\(entry.size)\0".utf8))
            for (k, v) in entry.xattrs.sorted(by: { $0.key < $1.key }) { hash.update(Array("x\0\(k)\0".utf8)); hash.update(v) }
        }
        let (parent, base) = try openParent(entry.path)
        defer { close(parent) }
        switch entry.kind {
        case .directory:
            if mkdirat(parent, base, 0o700) != 0 {
                guard errno == EEXIST else { throw SysError("mkdir", detail: entry.path) }
                // A directory over a directory merges attributes; over anything else it replaces it.
                if !isDirectory(parent, base) {
                    try removeExisting(parent, base, entry.path)
                    try Sys.call("mkdir", detail: entry.path) { mkdirat(parent, base, 0o700) }
                }
            }
            try setOwnerAndMode(parent, base, entry, chmodToo: true)
        case .symlink(let target):
            try removeExisting(parent, base, entry.path)
            try Sys.call("symlink", detail: "\(entry.path) -> \(target)") { berth_symlinkat(target, parent, base) }
            try Sys.call("chown", detail: entry.path) { fchownat(parent, base, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) }
        case .hardlink(let target):
            guard let normalized = try LayerEntry.normalize(target) else { throw ImageError("hard link \(entry.path) points at the root") }
            // The target's parent is resolved inside the layer and never created; linkat does not
            // follow a symlink target, and refuses a directory.
            let (tparent, tbase) = try openParent(normalized, create: false, purpose: "hard link \(entry.path) => \(target)")
            defer { close(tparent) }
            guard normalized != entry.path else { return }
            try removeExisting(parent, base, entry.path)
            if linkat(tparent, tbase, parent, base, 0) != 0 {
                throw ImageError("hard link \(entry.path) => \(target): the target is not a file earlier in this layer (\(String(cString: strerror(errno))))")
            }
        case .whiteout:
            try removeExisting(parent, base, entry.path)
            try Sys.call("mknod whiteout", detail: entry.path) { berth_mknodat(parent, base, S_IFCHR, 0, 0) }
        case .opaque:
            let fd = try Sys.call("open", detail: entry.path) { berth_openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0) }
            defer { close(fd) }
            try Sys.call("setxattr trusted.overlay.opaque", detail: entry.path) { berth_fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) }
        case .charDevice(let major, let minor):
            try addNode(parent, base, entry, S_IFCHR, major, minor)
        case .blockDevice(let major, let minor):
            try addNode(parent, base, entry, S_IFBLK, major, minor)
        case .fifo:
            try addNode(parent, base, entry, S_IFIFO, 0, 0)
        case .file:
            try removeExisting(parent, base, entry.path)
            let fd = try Sys.call("create", detail: entry.path) {
                berth_openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
            defer { close(fd) }
            let out = FileDescriptor(rawValue: fd)
            try content? { bytes in
                try budget.consume(bytes.count)
                hash?.update(bytes)
                size += Int64(bytes.count)
                try out.writeAll(bytes)
            }
            try Sys.call("chown", detail: entry.path) { fchown(fd, entry.uid, entry.gid) }
            try Sys.call("chmod", detail: entry.path) { fchmod(fd, mode_t(entry.mode & 0o7777)) }
            try setXattrs(fd, entry)
        }
    }

    /// The entry's xattrs on an open file or directory: `trusted.*` (overlayfs' own, which would
    /// let a layer forge whiteouts or redirects) refused with a warning, ENOTSUP warned about.
    private func setXattrs(_ fd: Int32, _ entry: LayerEntry) throws(SysError) {
        for (name, value) in entry.xattrs.sorted(by: { $0.key < $1.key }) {
            if name.hasPrefix("trusted.") {
                budget.warn("\(entry.path): xattr \(name) not applied (trusted.* is overlayfs' own and is refused)")
                continue
            }
            if berth_fsetxattr(fd, name, value, value.count, 0) != 0 {
                guard errno == ENOTSUP || errno == EOPNOTSUPP else { throw SysError("setxattr \(name)", detail: entry.path) }
                budget.warn("\(entry.path): xattr \(name) not applied (the store's filesystem does not support it)")
            }
        }
    }

    private func isDirectory(_ parent: Int32, _ base: String) -> Bool {
        var mode: mode_t = 0, rdev: dev_t = 0
        return berth_fstatat_mode(parent, base, AT_SYMLINK_NOFOLLOW, &mode, &rdev) == 0 && (mode & S_IFMT) == S_IFDIR
    }

    private func setOwnerAndMode(_ parent: Int32, _ base: String, _ entry: LayerEntry, chmodToo: Bool) throws(SysError) {
        let fd = try Sys.call("open", detail: entry.path) { berth_openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0) }
        defer { close(fd) }
        try Sys.call("chown", detail: entry.path) { fchown(fd, entry.uid, entry.gid) }
        try Sys.call("chmod", detail: entry.path) { fchmod(fd, mode_t(entry.mode & 0o7777)) }
        try setXattrs(fd, entry)
    }

    /// mknod, then owner and mode (mknod's mode is masked by the umask). A device node that may
    /// not be made (no CAP_MKNOD, or a user namespace) is skipped with a warning naming it.
    private func addNode(_ parent: Int32, _ base: String, _ entry: LayerEntry, _ type: mode_t, _ major: UInt32, _ minor: UInt32) throws {
        try removeExisting(parent, base, entry.path)
        if berth_mknodat(parent, base, type | 0o600, major, minor) != 0 {
            guard errno == EPERM, type != S_IFIFO else { throw SysError("mknod", detail: entry.path) }
            budget.warn("skipped device node \(entry.path) (\(major):\(minor)): creating it needs CAP_MKNOD outside a user namespace")
            return
        }
        try Sys.call("chown", detail: entry.path) { fchownat(parent, base, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) }
        try Sys.call("chmod", detail: entry.path) { fchmodat(parent, base, mode_t(entry.mode & 0o7777), 0) }
    }

    /// A later entry replaces an earlier one of the same name (last wins): a directory goes with
    /// its content. The directory is reached through the already-resolved parent descriptor
    /// (/proc/self/fd), so nothing outside the layer can be named.
    private func removeExisting(_ parent: Int32, _ base: String, _ path: String) throws {
        if unlinkat(parent, base, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM, isDirectory(parent, base) else { throw SysError("unlink", detail: path) }
        do { try Files.removeTree("/proc/self/fd/\(parent)/\(base)") } catch {
            throw ImageError("\(path): cannot replace the directory of an earlier entry: \(error)")
        }
    }

    /// Open (creating as needed) the parent directory of `path`, resolving the whole path as if
    /// the layer root were `/` (RESOLVE_IN_ROOT): symlinks inside the layer can never lead out of it.
    private func openParent(_ path: String, create: Bool = true, purpose: String? = nil) throws -> (Int32, String) {
        var parts = path.split(separator: "/").map(String.init)
        let base = parts.removeLast()
        guard !parts.isEmpty else { return (dup(rootFd), base) }
        var fd = openInRoot(parts.joined(separator: "/"))
        if fd < 0 && errno == ENOENT && create {
            for n in 1...parts.count {
                let prefix = parts[0..<n].joined(separator: "/")
                fd = openInRoot(prefix)
                if fd >= 0 { if n < parts.count { close(fd) }; continue }
                guard errno == ENOENT else { break }
                let above = n == 1 ? dup(rootFd) : openInRoot(parts[0..<(n - 1)].joined(separator: "/"))
                guard above >= 0 else { break }
                _ = mkdirat(above, parts[n - 1], 0o755)
                close(above)
                fd = openInRoot(prefix)
                if fd < 0 { break }
                if n < parts.count { close(fd) }
            }
        }
        if fd < 0 {
            throw ImageError("\(purpose ?? path): its parent is not a directory inside the image (a symlink on the way points outside or at nothing)")
        }
        return (fd, base)
    }

    private func openInRoot(_ path: String) -> Int32 {
        berth_openat2(rootFd, path, UInt64(BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC), 0, BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS)
    }
}

extension LayerEntry.Kind {
    var tag: String {
        switch self {
        case .directory: "d"
        case .file: "f"
        case .symlink: "l"
        case .hardlink: "h"
        case .whiteout: "w"
        case .opaque: "o"
        case .charDevice: "c"
        case .blockDevice: "b"
        case .fifo: "p"
        }
    }
}

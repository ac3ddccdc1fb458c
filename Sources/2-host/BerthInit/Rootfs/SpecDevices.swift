import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `linux.devices`: the spec's own nodes, created after the mounts (so on the /dev tmpfs when the
/// path is under /dev) and before pivot_root, as runc's createDevices does:
/// - the parent directories are created inside the rootfs (`RootedPath`, never through a symlink);
/// - mknodat relative to the opened parent, then the node is checked (type and major:minor) and
///   gets its exact fileMode (default 0666; the umask is undone) and uid/gid (default 0);
/// - a node that already exists is kept if it is the same device (e.g. /dev/null listed again)
///   and refused otherwise;
/// - mknod refused with EPERM (a user namespace has no CAP_MKNOD over the host's devices): the
///   host node at the same path is bind-mounted onto an empty file instead; it must be the same
///   type and major:minor; its mode and owner stay the host's (never chmod a host node).
enum SpecDevices {
    struct Node: Equatable {
        var components: [String]
        var type: mode_t
        var major: UInt32
        var minor: UInt32
        var mode: mode_t
        var uid: UInt32
        var gid: UInt32
        var field: String

        var path: String { "/" + components.joined(separator: "/") }
    }

    /// The nodes of `devices`, checked again here (the runtime validated them; init trusts no
    /// one): absolute path below the root, known type, major/minor for c/u/b.
    static func nodes(_ devices: [Spec.Device]?) throws -> [Node] {
        var out: [Node] = []
        for (i, d) in (devices ?? []).enumerated() {
            let field = "linux.devices[\(i)]"
            guard !d.path.split(separator: "/").contains("..") else {
                throw InitError("devices", "\(field).path: \(d.path.debugDescription) must not contain ..")
            }
            let comps = try ContainerPath.components(d.path, field: "\(field).path")
            guard !comps.isEmpty else { throw InitError("devices", "\(field).path: must name a file below the root, got \(d.path.debugDescription)") }
            let type: mode_t
            switch d.type {
            case "c", "u": type = S_IFCHR
            case "b": type = S_IFBLK
            case "p": type = S_IFIFO
            default: throw InitError("devices", "\(field).type: \(d.type.debugDescription) is not c, u, b or p")
            }
            var major: UInt32 = 0, minor: UInt32 = 0
            if type != S_IFIFO {
                guard let ma = d.major, let mi = d.minor, let ma32 = UInt32(exactly: ma), let mi32 = UInt32(exactly: mi) else {
                    throw InitError("devices", "\(field): major and minor (0 or more) are required for type \(d.type)")
                }
                (major, minor) = (ma32, mi32)
            }
            out.append(Node(components: comps, type: type, major: major, minor: minor, mode: mode_t(d.fileMode ?? 0o666),
                            uid: d.uid ?? 0, gid: d.gid ?? 0, field: field))
        }
        return out
    }

    static func create(_ devices: [Spec.Device]?, rooted: RootedPath, _ sys: some MountSyscalls) throws {
        for node in try nodes(devices) { try create(node, rooted: rooted, sys) }
    }

    static func create(_ node: Node, rooted: RootedPath, _ sys: some MountSyscalls) throws {
        let parent = try rooted.open(Array(node.components.dropLast()), create: .directory)
        defer { parent.close() }
        let name = node.components.last!
        let detail = "\(node.path) (\(node.field))"
        var failure: SysError?
        do {
            try sys.makeNode(in: parent, name, mode: node.type | (node.mode & 0o777), major: node.major, minor: node.minor, detail: detail)
        } catch { failure = error }
        if let failure {
            if failure.errno == EEXIST {
                try verify(parent, name, node, sys, what: "exists already but is not")
                Trace.step("device", "\(detail): the same node exists already, kept")
            } else if failure.errno == EPERM && node.type != S_IFIFO {
                try bindHostNode(node, rooted: rooted, sys)
                return
            } else {
                throw failure
            }
        }
        try verify(parent, name, node, sys, what: "is not")
        try sys.setOwnerAndMode(in: parent, name, uid: node.uid, gid: node.gid, mode: node.mode, detail: detail)
        Trace.step("device", "mknod \(node.path) \(describe(node)) mode 0\(String(node.mode, radix: 8)) uid \(node.uid) gid \(node.gid)")
    }

    static func verify(_ dir: FileDescriptor, _ name: String, _ node: Node, _ sys: some MountSyscalls, what: String) throws {
        let (mode, rdev) = try sys.statAt(dir, name)
        let sameDevice = node.type == S_IFIFO || (berth_major(rdev) == node.major && berth_minor(rdev) == node.minor)
        guard mode & S_IFMT == node.type, sameDevice else {
            throw InitError("devices", "\(node.field).path: \(node.path) \(what) the \(describe(node)) asked for")
        }
    }

    /// mknod was refused (user namespace): bind the host's node at the same path.
    static func bindHostNode(_ node: Node, rooted: RootedPath, _ sys: some MountSyscalls) throws {
        let host = node.path
        let (mode, rdev) = try sys.statPath(host)
        guard mode & S_IFMT == node.type, berth_major(rdev) == node.major, berth_minor(rdev) == node.minor else {
            throw InitError("devices", "\(node.field): mknod is not permitted here (user namespace) and the host's \(host) is not the \(describe(node)) to bind instead")
        }
        let target = try rooted.open(node.components, create: .file)
        defer { target.close() }
        try sys.mount(host, on: target.procPath, type: nil, flags: BERTH_MS_BIND, what: "bind host device \(host) (\(node.field); mknod not permitted)")
    }

    static func describe(_ node: Node) -> String {
        switch node.type {
        case S_IFIFO: "fifo"
        case S_IFBLK: "block device \(node.major):\(node.minor)"
        default: "character device \(node.major):\(node.minor)"
        }
    }
}

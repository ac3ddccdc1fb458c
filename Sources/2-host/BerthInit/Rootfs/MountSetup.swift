import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The container's mount namespace before pivot_root: propagation, the rootfs bind, the spec
/// mounts in order (destinations resolved inside the rootfs), /dev nodes. Runs in the
/// container's first process, in its new mount namespace, as root.
struct MountSetup<Kernel: MountSyscalls> {
    let spec: Spec
    let bundle: String
    let plan: NamespacePlan
    let sys: Kernel
    /// Absolute, symlink-free host path of the rootfs.
    let rootfsPath: String
    /// With a new user namespace: the idmapped detached copy of the rootfs (`UserNamespace`),
    /// attached in place of the rootfs bind.
    var idmappedRoot: FileDescriptor?

    /// What finalization after pivot_root still needs.
    struct Result {
        /// O_PATH handle of the bind-mounted rootfs (the new root).
        var root: FileDescriptor
        /// /dev was a tmpfs requested read-only: remount it ro after the device nodes exist.
        var devReadOnlyFlags: UInt?
    }

    init(spec: Spec, bundle: String, plan: NamespacePlan, sys: Kernel) throws(InitError) {
        self.spec = spec
        self.bundle = bundle
        self.plan = plan
        self.sys = sys
        guard let root = spec.root?.path, !root.isEmpty else {
            throw InitError("rootfs", "root.path: missing")
        }
        let absolute = root.hasPrefix("/") ? root : bundle + "/" + root
        guard let real = realpath(absolute, nil) else {
            throw InitError("rootfs", "root.path: \(absolute): \(String(cString: strerror(berth_errno())))")
        }
        rootfsPath = String(cString: real)
        free(real)
        guard Files.isDirectory(rootfsPath) else { throw InitError("rootfs", "root.path: \(rootfsPath) is not a directory") }
    }

    /// Initial propagation of "/": rslave unless the spec asks for private/slave/unbindable;
    /// shared propagation is applied only after pivot_root (see `finalPropagation`).
    func initialPropagation() throws(InitError) -> UInt {
        switch spec.linux?.rootfsPropagation ?? "" {
        case "", "rslave", "shared", "rshared": BERTH_MS_SLAVE | BERTH_MS_REC
        case "slave": BERTH_MS_SLAVE
        case "private": BERTH_MS_PRIVATE
        case "rprivate": BERTH_MS_PRIVATE | BERTH_MS_REC
        case "unbindable": BERTH_MS_UNBINDABLE
        case "runbindable": BERTH_MS_UNBINDABLE | BERTH_MS_REC
        case let other:
            throw InitError("rootfs", "linux.rootfsPropagation: unknown propagation \(other.debugDescription)")
        }
    }

    var finalPropagation: UInt? {
        switch spec.linux?.rootfsPropagation ?? "" {
        case "shared": BERTH_MS_SHARED
        case "rshared": BERTH_MS_SHARED | BERTH_MS_REC
        default: nil
        }
    }

    func run() throws -> Result {
        try sys.mount(nil, on: "/", type: nil, flags: try initialPropagation(), what: "propagation of /")
        try makeParentMountPrivate()
        if let idmappedRoot {
            try Sys.call("move_mount", detail: "idmapped rootfs on \(rootfsPath)") { berth_move_mount(idmappedRoot.rawValue, rootfsPath) }
            idmappedRoot.close()
        } else {
            try sys.mount(rootfsPath, on: rootfsPath, type: nil, flags: BERTH_MS_BIND | BERTH_MS_REC, what: "rootfs \(rootfsPath)")
        }
        let root = try FileDescriptor.open(rootfsPath, O_DIRECTORY | BERTH_O_PATH)
        let rooted = RootedPath(root: root)
        var devReadOnly: UInt?
        var devIsTmpfs = false
        for (i, m) in (spec.mounts ?? []).enumerated() {
            let done = try mountOne(m, field: "mounts[\(i)]", rooted: rooted)
            if done.isDevTmpfs {
                devIsTmpfs = true
                devReadOnly = done.deferredReadOnly
            }
        }
        if devIsTmpfs {
            // mknod is refused in a user namespace: bind the host's nodes instead (as runc).
            if plan.contains(.user) { try Devices.bindFromHost(rooted: rooted, sys) } else { try Devices.populate(rooted: rooted, sys) }
        }
        try SpecDevices.create(spec.linux?.devices, rooted: rooted, sys)
        try createCwd(rooted: rooted)
        return Result(root: root, devReadOnlyFlags: devReadOnly)
    }

    /// pivot_root refuses a shared parent, and a shared parent would leak the rootfs bind to the
    /// host: make the mount holding the rootfs private in this namespace (crun does the same).
    private func makeParentMountPrivate() throws {
        let info = try sys.mountInfo()
        var best = "/"
        for line in info.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let mp = MountInfo.unescape(String(fields[4]))
            if (rootfsPath == mp || rootfsPath.hasPrefix(mp == "/" ? "/" : mp + "/")) && mp.count > best.count {
                best = mp
            }
        }
        try sys.mount(nil, on: best, type: nil, flags: BERTH_MS_PRIVATE, what: "parent mount \(best) of the rootfs")
    }

    private struct Done {
        var isDevTmpfs = false
        var deferredReadOnly: UInt?
    }

    private func mountOne(_ m: Spec.Mount, field: String, rooted: RootedPath) throws -> Done {
        let comps = try ContainerPath.components(m.destination, field: field + ".destination")
        let dest = "/" + comps.joined(separator: "/")
        var opts = try MountOptions.parse(m.options, field: field)
        let type = m.type ?? ""
        let isBind = type == "bind" || opts.isBind
        if isBind { opts.flags |= BERTH_MS_BIND }
        guard isBind || !type.isEmpty else {
            throw InitError("mount", "\(field).type: missing (and no bind/rbind option)")
        }
        guard !comps.isEmpty else { throw InitError("mount", "\(field).destination: cannot mount over the container root") }
        try ContainerPath.checkProcDestination(dest, type: isBind ? "bind" : type, field: field)

        var done = Done()
        if isBind {
            try bindMount(m, opts: opts, comps: comps, dest: dest, field: field, rooted: rooted)
        } else if let host = UserNamespaceMounts.hostSource(type: type, plan: plan) {
            // In a user namespace the kernel refuses this filesystem without its own namespace
            // owned by it: bind the host's instance instead (runc's fallback).
            guard Files.exists(host) else {
                throw InitError("mount", "\(field): \(type) in a user namespace needs the container's own \(type == "sysfs" ? "network" : "IPC") namespace, or the host's \(host) to bind, which does not exist")
            }
            var bind = opts
            bind.flags |= BERTH_MS_BIND | BERTH_MS_REC
            try bindMount(Spec.Mount(destination: m.destination, type: "bind", source: host), opts: bind, comps: comps,
                          dest: dest, field: field, rooted: rooted)
        } else if type == "cgroup" || type == "cgroup2" {
            try CgroupMount(opts: opts, dest: dest, comps: comps, plan: plan).mount(rooted: rooted, sys)
        } else {
            var flags = opts.flags
            if dest == "/dev" && type == "tmpfs" {
                done.isDevTmpfs = true
                if flags & BERTH_MS_RDONLY != 0 {
                    flags &= ~BERTH_MS_RDONLY
                    done.deferredReadOnly = flags | BERTH_MS_RDONLY | BERTH_MS_REMOUNT
                }
            }
            let target = try rooted.open(comps, create: .directory)
            defer { target.close() }
            try sys.mount(m.source ?? type, on: target.procPath, type: type, flags: flags, data: opts.data,
                          what: "\(type) on \(dest) (\(field))")
        }
        try applyPropagation(opts.propagation, comps: comps, dest: dest, rooted: rooted)
        return done
    }

    private func bindMount(_ m: Spec.Mount, opts: MountOptions, comps: [String], dest: String, field: String,
                           rooted: RootedPath) throws {
        guard let rawSource = m.source, !rawSource.isEmpty else {
            throw InitError("mount", "\(field).source: a bind mount needs a source")
        }
        let source = rawSource.hasPrefix("/") ? rawSource : bundle + "/" + rawSource
        var st = stat()
        guard stat(source, &st) == 0 else {
            throw InitError("mount", "\(field).source: \(source): \(String(cString: strerror(berth_errno())))")
        }
        let isDir = (st.st_mode & S_IFMT) == S_IFDIR
        let target = try rooted.open(comps, create: isDir ? .directory : .file)
        try sys.mount(source, on: target.procPath, type: nil, flags: opts.flags & (BERTH_MS_BIND | BERTH_MS_REC),
                      data: nil, what: "bind \(source) on \(dest) (\(field))")
        target.close()
        if let remount = opts.bindRemountFlags {
            // The handle above names the directory under the new mount: look the path up again
            // to reach the bind mount itself.
            let mounted = try rooted.open(comps)
            defer { mounted.close() }
            try sys.mount(nil, on: mounted.procPath, type: nil, flags: remount, what: "remount \(dest) (\(field))")
        }
    }

    private func applyPropagation(_ props: [UInt], comps: [String], dest: String, rooted: RootedPath) throws {
        guard !props.isEmpty else { return }
        let mounted = try rooted.open(comps)
        defer { mounted.close() }
        for p in props {
            try sys.mount(nil, on: mounted.procPath, type: nil, flags: p, what: "propagation of \(dest)")
        }
    }

    /// Create process.cwd inside the rootfs now, while it is still writable (root.readonly).
    private func createCwd(rooted: RootedPath) throws {
        let cwd = spec.process?.cwd ?? "/"
        let comps = try ContainerPath.components(cwd, field: "process.cwd")
        guard !comps.isEmpty else { return }
        try rooted.open(comps, create: .directory).close()
    }
}

/// Helpers for /proc/self/mountinfo.
enum MountInfo {
    /// mountinfo escapes space, tab, newline and backslash as \ooo octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

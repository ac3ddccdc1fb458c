import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// After pivot_root, inside the container: read-only remounts, hostname, sysctls,
/// read-only paths and masked paths (runc's finalizeRootfs + the start of standard init).
/// Paths are plain container paths here: after the pivot nothing outside the rootfs is reachable.
struct FinalizeRootfs<Kernel: MountSyscalls & NamespaceSyscalls> {
    let spec: Spec
    let plan: NamespacePlan
    let sys: Kernel

    func run(devReadOnlyFlags: UInt?, finalPropagation: UInt?) throws {
        if let flags = devReadOnlyFlags {
            try sys.mount(nil, on: "/dev", type: nil, flags: flags, what: "remount /dev read-only")
        }
        if let prop = finalPropagation {
            try sys.mount(nil, on: "/", type: nil, flags: prop, what: "propagation of / (linux.rootfsPropagation)")
        }
        if spec.root?.readonly == true { try remountReadOnly("/", recursive: false) }
        try setNames()
        try applySysctls()
        for (i, path) in (spec.linux?.readonlyPaths ?? []).enumerated() {
            try readonlyPath(try ContainerPath.clean(path, field: "linux.readonlyPaths[\(i)]"))
        }
        try maskPaths()
    }

    /// Bind-remount read-only, keeping nosuid/nodev/noexec the mount already has (the kernel
    /// refuses to drop them on a locked mount).
    private func remountReadOnly(_ path: String, recursive: Bool) throws {
        let fsFlags = try sys.statfs(path).flags
        var flags = BERTH_MS_BIND | BERTH_MS_REMOUNT | BERTH_MS_RDONLY
        if fsFlags & BERTH_ST_NOSUID != 0 { flags |= BERTH_MS_NOSUID }
        if fsFlags & BERTH_ST_NODEV != 0 { flags |= BERTH_MS_NODEV }
        if fsFlags & BERTH_ST_NOEXEC != 0 { flags |= BERTH_MS_NOEXEC }
        if recursive { flags |= BERTH_MS_REC }
        try sys.mount(nil, on: path, type: nil, flags: flags, what: "read-only \(path)")
    }

    private func setNames() throws {
        for (field, value, set) in [("hostname", spec.hostname, sys.setHostname),
                                    ("domainname", spec.domainname, sys.setDomainname)] {
            guard let value, !value.isEmpty else { continue }
            guard plan.isolates(.uts) else {
                throw InitError("uts", "\(field): setting it needs a private uts namespace (linux.namespaces)")
            }
            Trace.step("uts", "\(field) \(value)")
            try set(value)
        }
    }

    private func applySysctls() throws {
        for key in (spec.linux?.sysctl ?? [:]).keys.sorted() {
            let value = spec.linux!.sysctl![key]!
            let file = try Sysctl.path(for: key, namespaces: plan)
            Trace.step("sysctl", "\(Sysctl.normalize(key)) = \(value)")
            do { try sys.writeSysctl(file, value) } catch {
                throw InitError("sysctl", "linux.sysctl[\(key.debugDescription)]: \(error)")
            }
        }
    }

    private func readonlyPath(_ path: String) throws {
        do throws(SysError) {
            try sys.mountFilesystem(path, on: path, type: nil, flags: BERTH_MS_BIND | BERTH_MS_REC, data: nil,
                                    what: "bind \(path) (linux.readonlyPaths)")
        } catch {
            if error.errno == ENOENT { return }
            throw error
        }
        Trace.step("readonly", path)
        try remountReadOnly(path, recursive: true)
    }

    /// Masked files get the container's /dev/null bound over them (after checking it really is
    /// c 1:3, CVE-2025-31133); masked directories get a read-only empty tmpfs.
    private func maskPaths() throws {
        let masked = spec.linux?.maskedPaths ?? []
        guard !masked.isEmpty else { return }
        var devNull: FileDescriptor?
        defer { devNull?.close() }
        for (i, raw) in masked.enumerated() {
            let path = try ContainerPath.clean(raw, field: "linux.maskedPaths[\(i)]")
            let (mode, err) = sys.fileMode(path)
            if err != 0 {
                if err == ENOENT { continue }
                throw SysError("stat", errno: err, detail: "\(path) (linux.maskedPaths[\(i)])")
            }
            if mode & S_IFMT == S_IFDIR {
                try sys.mount("tmpfs", on: path, type: "tmpfs", flags: BERTH_MS_RDONLY | BERTH_MS_NOSUID | BERTH_MS_NODEV | BERTH_MS_NOEXEC,
                              what: "mask directory \(path)")
                continue
            }
            if devNull == nil {
                let fd = try FileDescriptor.open("/dev/null", BERTH_O_PATH | O_NOFOLLOW)
                guard Devices.isNullDevice(fd) else {
                    fd.close()
                    throw InitError("mask", "/dev/null in the container is not the null device (c 1:3); refusing to mask \(path)")
                }
                devNull = fd
            }
            try sys.mount(devNull!.procPath, on: path, type: nil, flags: BERTH_MS_BIND, what: "mask file \(path) with /dev/null")
        }
    }
}

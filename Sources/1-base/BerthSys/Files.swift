import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Small, allocation-light file helpers used for /proc, cgroup and state files.
public enum Files {
    public static func read(_ path: String) throws(SysError) -> String {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        return String(decoding: try fd.readAll(), as: UTF8.self)
    }

    public static func readBytes(_ path: String) throws(SysError) -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        return try fd.readAll()
    }

    /// Write `value` to an existing file in one write (cgroup and procfs files need that).
    public static func write(_ path: String, _ value: String) throws(SysError) {
        let fd = try FileDescriptor.open(path, O_WRONLY)
        defer { fd.close() }
        do { try fd.writeAll(value) } catch {
            throw SysError("write", errno: error.errno, detail: "\(value.debugDescription) to \(path)")
        }
    }

    /// Crash-safe replace: write a temporary file in the same directory, fsync, rename over `path`.
    public static func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644) throws(SysError) {
        let tmp = temporaryName(for: path)
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try fd.writeAll(bytes)
            try Sys.call("fsync", detail: tmp) { fsync(fd.rawValue) }
        } catch {
            fd.close()
            unlink(tmp)
            throw error
        }
        fd.close()
        try Sys.call("rename", detail: "\(tmp) to \(path)") { rename(tmp, path) }
    }

    /// A temporary file name next to `path` that no other process or thread picks at the same
    /// time (`<path>.tmp.<pid>.<random>`): threads of one process writing the same file at once
    /// (e.g. two containers filling one cache entry) must not rename each other's file away.
    public static func temporaryName(for path: String) -> String {
        path + ".tmp.\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p with the given mode; existing directories are fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SysError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0 && berth_errno() != EEXIST {
                throw SysError("mkdir", detail: prefix)
            }
        }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) throws(SysError) -> [String] {
        guard let dir = opendir(path) else { throw SysError("opendir", detail: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Names of the subdirectories of `path`, from readdir's d_type: no stat per entry (a cgroup
    /// directory holds dozens of files). Entries whose type readdir does not know are stat'ed.
    public static func subdirectories(_ path: String) throws(SysError) -> [String] {
        guard let dir = opendir(path) else { throw SysError("opendir", detail: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let type = entry.pointee.d_type
            guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) else { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            if type == UInt8(DT_DIR) || isDirectory(path + "/" + name) { names.append(name) }
        }
        return names
    }

    /// rm -rf that never crosses into another filesystem's mounts (it refuses mount points below `path`).
    public static func removeTree(_ path: String) throws(SysError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            if berth_errno() == ENOENT { return }
            throw SysError("lstat", detail: path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) {
                let child = path + "/" + name
                var cst = stat()
                if lstat(child, &cst) == 0, (cst.st_mode & S_IFMT) == S_IFDIR, cst.st_dev != st.st_dev {
                    throw SysError("remove", errno: EBUSY, detail: "\(child) is a mount point")
                }
                try removeTree(child)
            }
            try Sys.call("rmdir", detail: path) { rmdir(path) }
        } else {
            try Sys.call("unlink", detail: path) { unlink(path) }
        }
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Options for `CgroupDriver.spawn`.
public struct SpawnOptions: Sendable {
    /// Search PATH for argv[0] (like execvp) instead of requiring a path.
    public var searchPath = true
    /// New session, so the child leaves the caller's terminal and process group.
    public var newSession = false
    /// Signal the child gets when the spawning thread dies (0: none).
    public var parentDeathSignal: Int32 = 0
    public var stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1
    public init() {}
}

extension CgroupDriver {
    /// Start `argv` as a child that joins `path` (every hierarchy) before execve, so not one
    /// instruction of the command runs outside its limits. Safe from multi-threaded callers:
    /// the child side is `berth_spawn` in C (created inside the group, or joins it itself: `CgroupPlacement`).
    public func spawn(_ argv: [String], in path: CgroupPath, options: SpawnOptions = SpawnOptions()) throws(CgroupError) -> pid_t {
        guard let program = argv.first else { throw .invalidValue(field: "command", value: "[]", reason: "is empty") }
        guard exists(path) else { throw .notFound(path.relative) }
        if let v2 = self as? CgroupV2Driver { try v2.checkCanHoldProcesses(path) }
        let placement = placement(path)
        let procs = placement.joinFiles
        // Checked here so that a failure below is about the command (execve), not the group.
        for file in procs where !Files.exists(file) { throw .notFound(file) }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cProcs = procs.map { UnsafePointer(strdup($0)) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cProcs { free(UnsafeMutablePointer(mutating: p)) }
        }
        Trace.step("cgroup", "spawn \(argv.joined(separator: " ")) into \(procs.joined(separator: ", "))")
        var attr = berth_spawn_attr()
        attr.stdin_fd = options.stdin
        attr.stdout_fd = options.stdout
        attr.stderr_fd = options.stderr
        attr.setsid = options.newSession ? 1 : 0
        attr.search_path = options.searchPath ? 1 : 0
        attr.pdeathsig = options.parentDeathSignal
        attr.cgroup_join_count = Int32(procs.count)
        let pid = program.withCString { cPath in
            cArgs.withUnsafeBufferPointer { argvBuf in
                cProcs.withUnsafeBufferPointer { procsBuf in
                    attr.path = cPath
                    attr.argv = argvBuf.baseAddress
                    attr.cgroup_join = procsBuf.baseAddress
                    return placement.cloneInto.withOptionalCString { dir in
                        attr.cgroup_dir = dir
                        return berth_spawn(&attr)
                    }
                }
            }
        }
        if pid < 0 {
            throw .sys(SysError("spawn", detail: "\(program) in cgroup \(path)"))
        }
        return pid
    }
}

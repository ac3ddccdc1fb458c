import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program to completion from a possibly multi-threaded process, through
/// `berth_spawn` (no Swift between fork and exec).
enum HostProcess {
    /// The running berth binary (for hidden entry points), or `BERTH_EXECUTABLE` when set: a
    /// test process that runs the engine itself (it is not berth) names the built binary there.
    static var selfExecutable: String {
        if let path = getenv("BERTH_EXECUTABLE").map({ String(cString: $0) }), path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
    }

    /// Spawn `path args...`, wait, and return its exit status (128+signal if killed). stderr is
    /// captured and returned for error messages.
    static func run(_ path: String, _ args: [String]) throws(SysError) -> (status: Int32, stderr: String) {
        let pipe = try makePipe()
        let pid = try spawn(path, args, stdout: -1, stderr: pipe.write.rawValue, setsid: false)
        pipe.write.close()
        defer { pipe.read.close() }
        let err = (try? pipe.read.readAll()) ?? []
        var status: Int32 = 0
        try Sys.call("waitpid", detail: path) { waitpid(pid, &status, 0) }
        return (ExitStatus(status).code, String(decoding: err, as: UTF8.self))
    }

    /// Start a long-lived helper in its own session; returns its pid and its first stdout line
    /// (nil if it exited first, with its stderr in the second element).
    static func start(_ path: String, _ args: [String]) throws(SysError) -> (pid: Int32, line: String?, stderr: String) {
        let out = try makePipe()
        let err = try makePipe()
        let pid = try spawn(path, args, stdout: out.write.rawValue, stderr: err.write.rawValue, setsid: true)
        out.write.close()
        err.write.close()
        defer { out.read.close(); err.read.close() }
        var line: [UInt8] = []
        while !line.contains(10), let chunk = try? out.read.read(max: 4096), !chunk.isEmpty { line += chunk }
        guard let nl = line.firstIndex(of: 10) else {
            let text = String(decoding: (try? err.read.readAll()) ?? [], as: UTF8.self)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            return (pid, nil, text)
        }
        return (pid, String(decoding: line[..<nl], as: UTF8.self), "")
    }

    static func spawn(_ path: String, _ args: [String], stdout: Int32, stderr: Int32, setsid: Bool) throws(SysError) -> pid_t {
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var attr = berth_spawn_attr()
        let pid: pid_t = path.withCString { cpath in
            argv.withUnsafeBufferPointer { av in
                attr.path = cpath
                attr.argv = UnsafePointer(av.baseAddress!)
                attr.envp = nil
                attr.cwd = nil
                attr.stdin_fd = -1
                attr.stdout_fd = stdout
                attr.stderr_fd = stderr
                attr.keep_fds = nil
                attr.keep_count = 0
                attr.setsid = setsid ? 1 : 0
                attr.search_path = 0
                attr.pdeathsig = 0
                return berth_spawn(&attr)
            }
        }
        if pid < 0 { throw SysError("spawn", detail: path) }
        return pid
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Finding and executing `process.args[0]` inside the container, with shell-like exit codes:
/// 127 not found, 126 found but not executable.
enum Executable {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The value of `name` in a `KEY=value` list (last one wins, as getenv after execve would see).
    static func lookupEnv(_ env: [String], _ name: String) -> String? {
        env.last { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// Resolve `arg0` against PATH from `env` (checked as the current, already switched user).
    static func resolve(_ arg0: String, env: [String]) throws(InitError) -> String {
        guard !arg0.isEmpty else { throw InitError("exec", "process.args[0]: empty", exitCode: 127) }
        if arg0.contains("/") {
            try check(arg0, arg0: arg0)
            return arg0
        }
        var denied = false
        for dir in (lookupEnv(env, "PATH") ?? defaultPath).split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + arg0
            var st = stat()
            guard stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            denied = true
        }
        if denied { throw InitError("exec", "\(arg0.debugDescription): permission denied", exitCode: 126) }
        throw InitError("exec", "\(arg0.debugDescription): executable file not found in $PATH", exitCode: 127)
    }

    private static func check(_ path: String, arg0: String) throws(InitError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = berth_errno()
            throw InitError("exec", "\(arg0.debugDescription): \(String(cString: strerror(e)))", exitCode: e == ENOENT || e == ENOTDIR ? 127 : 126)
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw InitError("exec", "\(arg0.debugDescription): is a directory", exitCode: 126)
        }
        guard access(path, X_OK) == 0 else {
            throw InitError("exec", "\(arg0.debugDescription): \(String(cString: strerror(berth_errno())))", exitCode: 126)
        }
    }

    /// execve; on failure print `berth-init: exec <arg0>: <error>` and exit 126/127.
    static func exec(path: String, args: [String], env: [String]) -> Never {
        Trace.step("exec", "\(path) argv=\(args)")
        let argv = args.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        berth_reset_signals()
        execve(path, argv, envp)
        let e = berth_errno()
        let line = "berth-init: exec \(args.first ?? path): \(String(cString: strerror(e)))\n"
        _ = try? FileDescriptor.standardError.writeAll(line)
        exit(e == ENOENT || e == ENOTDIR ? 127 : 126)
    }
}

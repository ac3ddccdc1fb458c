import BerthCgroups
import BerthInit
import BerthJSON
import BerthOCI
import BerthRuntime
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth task exec [-i] [-t] [--container C] [--user U] [--env K=V]... [--workdir D] TASK -- CMD...`
/// Without -i, -t and overrides the agent runs the command and answers its output (as before).
/// Otherwise the CLI asks the agent where the container is and runs the exec itself through the
/// runtime on this host: stdio streamed through pipes (-i) or a pty from the container's devpts
/// (-t), the caller's terminal in raw mode, window size and SIGWINCH passed on, exit code back.
enum TaskExec {
    static func run(_ args: Arguments) throws -> Int32 {
        let task = try args.positional(0, "task id or ARN")
        let command = Array(args.positionals.dropFirst())
        guard !command.isEmpty else { throw UsageError("missing command: berth task exec TASK -- COMMAND [ARG]...") }
        let overrides = try ExecOverrides(args)
        let interactive = args.has("--interactive"), terminal = args.has("--tty")
        var input: JSONValue = ["task": .string(task)]
        if let c = args.value("--container") { input["container"] = .string(c) }
        input = ClientSupport.withCluster(args, input)
        if !interactive && !terminal && overrides.isEmpty { return try buffered(args, input, command) }
        if try ClientSupport.json(args) { throw UsageError("--output json is only for exec without -i, -t, --user, --env and --workdir") }
        // As docker: keys typed into a terminal need one on stdin; pipes go with -i alone.
        if interactive && terminal && isatty(0) != 1 { throw UsageError("-it: the input device is not a terminal (use -i alone for pipes)") }

        let target = try ClientSupport.call(args, "Berth.GetExecTarget", input)
        guard let root = target["runtimeRoot"]?.stringValue, let id = target["runtimeId"]?.stringValue else {
            throw ClientFailure(message: "the agent did not say where the container is")
        }
        let runtime = LinuxRuntime(root: root, cgroups: try Cgroups.driver())
        let process = try overrides.apply(to: try runtime.execTemplate(id), command: command)
        return try attach(runtime, id, process, interactive: interactive, terminal: terminal)
    }

    /// The agent runs it; output comes back when it ends (at most 64 KiB per stream).
    static func buffered(_ args: Arguments, _ input: JSONValue, _ command: [String]) throws -> Int32 {
        var input = input
        input["command"] = .array(command.map(JSONValue.string))
        let out = try ClientSupport.call(args, "Berth.ExecuteCommand", input)
        if try ClientSupport.json(args) { ClientSupport.printJSON(out); return 0 }
        print(out["stdout"]?.stringValue ?? "", terminator: "")
        let err = out["stderr"]?.stringValue ?? ""
        if !err.isEmpty { printErr(err.hasSuffix("\n") ? String(err.dropLast()) : err) }
        return Int32(clamping: out["exitCode"]?.intValue ?? 1)
    }

    static let signals: [Int32] = [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func attach(_ runtime: LinuxRuntime, _ id: String, _ process: Spec.Process, interactive: Bool, terminal: Bool) throws -> Int32 {
        fflush(nil)
        signal(SIGPIPE, SIG_IGN)
        let pipe = signals.withUnsafeBufferPointer { berth_signal_pipe($0.baseAddress, Int32($0.count)) }
        defer {
            signals.withUnsafeBufferPointer { berth_signal_pipe_reset($0.baseAddress, Int32($0.count)) }
        }
        // The caller's terminal in raw mode (keys, Ctrl-C included, go to the container's pty),
        // restored however the exec ends.
        var saved = [UInt8](repeating: 0, count: Int(berth_termios_size()))
        let raw = terminal && interactive && isatty(0) == 1 && berth_tty_raw(0, &saved, UInt(saved.count)) == 0
        defer { if raw { _ = berth_tty_restore(0, saved) } }
        let sizeFd: Int32 = isatty(0) == 1 ? 0 : 1
        let io = ExecAttachment(input: interactive ? 0 : -1, output: 1, errorOutput: 2, terminal: terminal, signals: pipe) {
            var rows: UInt16 = 0, cols: UInt16 = 0
            return berth_get_winsize(sizeFd, &rows, &cols) == 0 && rows > 0 ? (rows, cols) : nil
        }
        return try runtime.execAttached(id, process: process, io: io)
    }
}

/// `--user`, `--env`, `--workdir` over the container's own process (pure).
struct ExecOverrides: Equatable {
    var user: String?
    var env: [(String, String)] = []
    var workdir: String?

    static func == (a: ExecOverrides, b: ExecOverrides) -> Bool {
        a.user == b.user && a.workdir == b.workdir && a.env.map { "\($0.0)=\($0.1)" } == b.env.map { "\($0.0)=\($0.1)" }
    }

    var isEmpty: Bool { user == nil && env.isEmpty && workdir == nil }

    init(user: String? = nil, env: [(String, String)] = [], workdir: String? = nil) {
        self.user = user
        self.env = env
        self.workdir = workdir
    }

    init(_ args: Arguments) throws(UsageError) {
        user = args.value("--user")
        if let u = user, u.isEmpty || u.hasPrefix(":") || u.hasSuffix(":") {
            throw UsageError("option --user: \(u.debugDescription) is not USER, UID, USER:GROUP or UID:GID")
        }
        env = try args.all("--env").map { t throws(UsageError) in try ClientSupport.parseKeyValue(t, option: "--env") }
        workdir = args.value("--workdir")
        if let w = workdir, !w.hasPrefix("/") { throw UsageError("option --workdir: \(w.debugDescription) is not an absolute path") }
    }

    /// The container's process with the command and these overrides: a user replaces the
    /// container's (groups then come from the container's /etc/group, as `docker exec -u`), an
    /// env entry replaces the variable of the same name or is added, the workdir replaces cwd.
    func apply(to template: Spec.Process, command: [String]) -> Spec.Process {
        var p = template
        p.args = command
        p.terminal = nil
        if let user { p.user = Spec.User(umask: template.user.umask, username: user) }
        if !env.isEmpty {
            var entries = p.env ?? []
            for (k, v) in env {
                entries.removeAll { $0.hasPrefix(k + "=") }
                entries.append(k + "=" + v)
            }
            p.env = entries
        }
        if let workdir { p.cwd = workdir }
        return p
    }
}

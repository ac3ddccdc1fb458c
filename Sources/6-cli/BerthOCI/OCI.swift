import BerthJSON
import BerthCgroups
import BerthInit
import BerthRuntime
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth oci ...` and `berth-oci ...`: the OCI runtime command line in runc's form, so tools and
/// people that drive runc or crun can drive Berth the same way. No Foundation in this module or
/// below it, so `berth-oci` (Sources/7-bin/berth-oci) starts like `berth-init`, not like `berth`.
public enum OCI {
    public static let summary = "OCI runtime, runc-compatible (create, start, state, kill, delete, run, list, exec)"
    public static let usage = """
    usage: berth oci [--root DIR] [--log FILE] [--log-format text|json] [--explain] <command> ...
           berth-oci [--root DIR] ...                  the same, as one small executable (--runtime)

    commands:
      create [--bundle DIR] [--pid-file FILE] ID    set up a container; it waits for `start`
      start ID                                       run the container's process
      state ID                                       print the container's state as JSONValue
      kill [--all] ID [SIGNAL]                       signal PID 1 (default TERM), or every process with --all
      delete [--force] ID                            remove a stopped container (--force: kill it first)
      run [--bundle DIR] [--pid-file FILE] [--detach] ID
                                                     create + start; in the foreground wait, forward
                                                     SIGINT/SIGTERM/SIGHUP, delete, exit with its code
      list [--format table|json] [--quiet]           all containers
      exec [--env K=V]... [--cwd DIR] ID CMD [ARG...]  run CMD in a running container
      seccomp-default [--cap CAP]... [--no-default-caps]
                                                     print Docker's default seccomp profile as
                                                     linux.seccomp JSON (default caps + each --cap)

    global options:
      --root DIR        state directory (default /run/berth)
      --log FILE        also append errors to FILE (runc/containerd convention)
      --log-format F    text (default) or json
      --explain         print every isolation step (namespaces, mounts, cgroup writes, capabilities, exec)
    """

    struct Globals {
        var root = LinuxRuntime.defaultRoot
        var log: String?
        var jsonLog = false
        var explain = false
    }

    public static func run(_ args: [String]) throws -> Int32 {
        var globals = Globals()
        var rest = args[...]
        while let arg = rest.first, arg.hasPrefix("-") {
            rest = rest.dropFirst()
            let (name, inline) = split(arg)
            func value() throws(UsageError) -> String {
                if let inline { return inline }
                guard let v = rest.first else { throw UsageError("option \(name) needs a value") }
                rest = rest.dropFirst()
                return v
            }
            switch name {
            case "--root": globals.root = Bundle.absolute(try value())
            case "--log": globals.log = try value()
            case "--log-format":
                let f = try value()
                guard f == "text" || f == "json" else { throw UsageError("option --log-format: \(f.debugDescription) is not text or json") }
                globals.jsonLog = f == "json"
            case "--explain": globals.explain = true
            case "--debug": break
            default: throw UsageError("unknown option \(arg)")
            }
        }
        guard let command = rest.first else { throw UsageError("missing command") }
        let commandArgs = Array(rest.dropFirst())
        if globals.explain {
            Trace.enable(fd: 2)
        }
        do {
            return try dispatch(command, commandArgs, globals)
        } catch let error as UsageError {
            throw error
        } catch {
            log(error, globals)
            throw error
        }
    }

    static func split(_ arg: String) -> (String, String?) {
        guard arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") else { return (arg, nil) }
        return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
    }

    static func runtime(_ g: Globals) throws -> LinuxRuntime {
        LinuxRuntime(root: g.root, cgroups: LazyCgroupDriver())
    }

    static func dispatch(_ command: String, _ args: [String], _ g: Globals) throws -> Int32 {
        switch command {
        case "create": return try create(args, g, start: false)
        case "run": return try create(args, g, start: true)
        case "start":
            let a = try Arguments(args, spec: .init())
            try runtime(g).start(try onlyID(a))
            return 0
        case "state":
            let a = try Arguments(args, spec: .init())
            let state = try runtime(g).state(try onlyID(a))
            print(encode(OCIStateOutput(state)))
            return 0
        case "kill":
            let a = try Arguments(args, spec: .init(flags: ["--all"], aliases: ["-a": "--all"]))
            let id = try a.positional(0, "container id")
            let name = a.positionals.count > 1 ? a.positionals[1] : "TERM"
            guard let signal = SignalNames.parse(name) else { throw UsageError("unknown signal \(name.debugDescription)") }
            try runtime(g).kill(id, signal: signal, all: a.has("--all"))
            return 0
        case "delete":
            let a = try Arguments(args, spec: .init(flags: ["--force"], aliases: ["-f": "--force"]))
            try runtime(g).delete(try onlyID(a), force: a.has("--force"))
            return 0
        case "list":
            return try list(args, g)
        case "exec":
            return try exec(args, g)
        case "seccomp-default":
            return try OCISeccompCommand.run(args)
        default:
            throw UsageError("unknown command \(command.debugDescription)")
        }
    }

    static func onlyID(_ a: Arguments) throws(UsageError) -> String {
        guard a.positionals.count == 1 else {
            throw UsageError(a.positionals.isEmpty ? "missing container id" : "unexpected argument \(a.positionals[1].debugDescription)")
        }
        return a.positionals[0]
    }

    /// Compact JSON with sorted keys (runc's output).
    static func encode(_ value: some JSONEncodable) -> String {
        value.jsonValue.serialized(sortedKeys: true)
    }

    // MARK: create / run

    static func create(_ args: [String], _ g: Globals, start: Bool) throws -> Int32 {
        let a = try Arguments(args, spec: .init(
            flags: ["--detach", "--no-pivot", "--no-new-keyring"],
            options: ["--bundle", "--pid-file", "--console-socket"],
            aliases: ["-b": "--bundle", "-d": "--detach"]))
        let id = try onlyID(a)
        if a.value("--console-socket") != nil {
            throw UsageError("option --console-socket: terminals are not supported (set process.terminal to false)")
        }
        let rt = try runtime(g)
        // The monitor (and on cgroup v1 berth-init) start while config.json is read and checked;
        // if it cannot be started now, `create` tries again and reports why.
        let pending = try? rt.prepareStart(id: id, stdio: .inherit)
        let bundle: String, spec: Spec, seccompSource: SeccompSource?
        do { (bundle, spec, seccompSource) = try Bundle.load(a.value("--bundle") ?? ".") } catch {
            pending?.cancel()
            throw error
        }
        let pidFile = a.value("--pid-file").map(Bundle.absolute)
        // `run` in the foreground forwards these to the container (blocked before it exists so
        // none is lost; the runtime's spawns reset the mask in their children).
        let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        let signals = !start || a.has("--detach") ? -1 : forwarded.withUnsafeBufferPointer { berth_signalfd($0.baseAddress, Int32($0.count)) }
        // `run` starts the process as soon as it is set up: no exec fifo, no separate start.
        _ = try rt.create(CreateRequest(id: id, bundle: bundle, spec: spec, stdio: .inherit, pidFile: pidFile, explain: g.explain,
                                        startAtOnce: start, seccompSource: seccompSource), pending: pending)
        guard start else { return 0 }
        if a.has("--detach") { return 0 }
        let exit = try waitForeground(rt, id: id, signals: signals)
        try? rt.delete(id, force: true)
        return exit
    }

    /// Wait for the container's exit while relaying signals to it: no timeout, no polling loop.
    static func waitForeground(_ rt: LinuxRuntime, id: String, signals: Int32) throws -> Int32 {
        guard signals >= 0 else {
            guard let exit = try rt.wait(id, timeout: nil) else { throw RuntimeError.exitUnknown(id) }
            return exit.exitCode
        }
        return try rt.wait(id, relaying: signals) { try? rt.kill(id, signal: $0, all: false) }.exitCode
    }

    // MARK: list / exec

    static func list(_ args: [String], _ g: Globals) throws -> Int32 {
        let a = try Arguments(args, spec: .init(flags: ["--quiet"], options: ["--format"], aliases: ["-q": "--quiet", "-f": "--format"]))
        let states = try runtime(g).list()
        if a.has("--quiet") {
            for s in states { print(s.id) }
            return 0
        }
        switch a.value("--format") ?? "table" {
        case "json":
            print(encode(states.map(OCIStateOutput.init)))
        case "table":
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for s in states.map(OCIStateOutput.init) {
                rows.append([s.id, "\(s.pid)", s.status, s.bundle, s.created, s.owner.isEmpty ? "root" : s.owner])
            }
            print(Table.render(rows))
        case let other:
            throw UsageError("option --format: \(other.debugDescription) is not table or json")
        }
        return 0
    }

    static func exec(_ args: [String], _ g: Globals) throws -> Int32 {
        // Options end at the container id; everything after it is the command.
        var options: [String] = []
        var rest = args[...]
        while let arg = rest.first, arg.hasPrefix("-"), arg != "--" {
            options.append(arg)
            rest = rest.dropFirst()
            if !arg.contains("="), arg == "--env" || arg == "--cwd" || arg == "-e", let v = rest.first {
                options.append(v)
                rest = rest.dropFirst()
            }
        }
        if rest.first == "--" { rest = rest.dropFirst() }
        let a = try Arguments(options, spec: .init(options: ["--env", "--cwd"], aliases: ["-e": "--env"]))
        guard let id = rest.first else { throw UsageError("missing container id") }
        let command = Array(rest.dropFirst())
        guard !command.isEmpty else { throw UsageError("missing command to run") }
        let rt = try runtime(g)
        var process = try rt.spec(id).process ?? Spec.Process(args: command)
        process.args = command
        process.terminal = false
        process.env = (process.env ?? []) + a.all("--env")
        if let cwd = a.value("--cwd") { process.cwd = cwd }
        return try rt.execInteractive(id, process: process)
    }

    // MARK: --log

    static func log(_ error: any Error, _ g: Globals) {
        guard let path = g.log else { return }
        let time = UTC.rfc3339(nanos: berth_realtime_ns())
        let message = "\(error)"
        let line: String
        if g.jsonLog {
            let fields = ["level": "error", "msg": message, "time": time]
            line = encode(fields)
        } else {
            line = "time=\"\(time)\" level=error msg=\(message.debugDescription)"
        }
        if let fd = try? FileDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND) {
            try? fd.writeAll(line + "\n")
            fd.close()
        }
    }
}

extension OCI {
    /// The `berth-oci` executable: `program` names it in errors as `berth oci` does (usage errors
    /// exit 2 with the usage text, others 1).
    public static func main(_ argv: [String], program: String) -> Int32 {
        let args = Array(argv.dropFirst())
        if args.isEmpty || args.first == "--help" || args.first == "-h" || args.first == "help" {
            if args.isEmpty { printErr(usage) } else { print(usage) }
            return args.isEmpty ? 2 : 0
        }
        do {
            return try run(args)
        } catch let error as UsageError {
            printErr("\(program): \(error.message)\n\n\(usage)")
            return 2
        } catch {
            printErr("\(program): \(error)")
            return 1
        }
    }

    /// One write of `text` and a newline to stderr.
    public static func printErr(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map { $0.count }
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : pad(cell, widths[i] + 1) }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    static func pad(_ cell: String, _ width: Int) -> String {
        cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
    }
}

/// Detects the host's cgroup layout on first use only: `start`, `state` and a plain `kill` never
/// touch cgroups, and detection parses /proc/self/mountinfo (about 1 ms on a host with many mounts).
/// The CLI is single-threaded, hence the unchecked Sendable.
final class LazyCgroupDriver: CgroupDriver, @unchecked Sendable {
    private var detected: (any CgroupDriver)?
    private var detectedMode: CgroupMode?

    private func driver() throws(CgroupError) -> any CgroupDriver {
        if let detected { return detected }
        let d = try Cgroups.driver(mode: detectedMode)
        detected = d
        return d
    }

    /// For the non-throwing requirements: an undetectable host has no such cgroup.
    private var known: (any CgroupDriver)? { try? driver() }

    /// Two statfs calls, not the whole detection (mountinfo): `prepareStart` asks before it
    /// spawns the monitor, and the rest of the detection can wait until the monitor is starting.
    var mode: CgroupMode {
        if let detected { return detected.mode }
        if detectedMode == nil { detectedMode = try? Cgroups.detect() }
        return detectedMode ?? .v1
    }
    func create(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) { try driver().create(path, resources: resources) }
    func apply(_ path: CgroupPath, resources: CgroupResources) throws(CgroupError) { try driver().apply(path, resources: resources) }
    func placement(_ path: CgroupPath) -> CgroupPlacement { known?.placement(path) ?? CgroupPlacement(cloneInto: nil, joinFiles: []) }
    func addProcess(_ pid: Int32, to path: CgroupPath) throws(CgroupError) { try driver().addProcess(pid, to: path) }
    func processes(_ path: CgroupPath) throws(CgroupError) -> [Int32] { try driver().processes(path) }
    func stats(_ path: CgroupPath) throws(CgroupError) -> CgroupStats { try driver().stats(path) }
    func oomKillCount(_ path: CgroupPath) -> UInt64 { known?.oomKillCount(path) ?? 0 }
    func oomCounterFile(_ path: CgroupPath) -> String? { known?.oomCounterFile(path) }
    func killAll(_ path: CgroupPath) throws(CgroupError) { try driver().killAll(path) }
    func remove(_ path: CgroupPath) throws(CgroupError) { try driver().remove(path) }
    func exists(_ path: CgroupPath) -> Bool { known?.exists(path) ?? false }
    func allowing(_ path: CgroupPath) -> any CgroupDriver { known?.allowing(path) ?? self }
}

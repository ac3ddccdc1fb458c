import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth-init <state-dir>`: reads `<state-dir>/init.json` (`InitConfig`) and sets up the
/// container (create) or a process in a running container (exec). Runs in a freshly exec'd,
/// single-threaded process; talks to its starter over the sync pipe on fd 3.
public enum InitMain {
    public static func run(_ args: [String]) -> Int32 {
        // A starter that died must not kill init with SIGPIPE mid-setup; execve gets default
        // dispositions back (`Executable.exec`).
        _ = signal(SIGPIPE, SIG_IGN)
        // Told apart from the CLI in ps, top and perf (both are the `berth` binary).
        _ = berth_set_name("berth-init")
        // Non-dumpable until execve (which resets it): processes of the container cannot open
        // /proc/<pid>/exe (the host's berth binary) or /proc/<pid>/fd of this process while it
        // works inside their namespaces (CVE-2019-5736, as runc does for exec).
        _ = berth_set_dumpable(0)
        // `--report-fd 4`: the monitor hands over the runtime's report pipe (create mode only;
        // in exec mode fd 4 is the console socket of a terminal). `--start-fd N`: the runtime's
        // start pipe: init.json is read after its `config` line, nothing is made before `start`.
        let options = Options(args)
        var sync = SyncPipe.inherited(report: options?.reportFd)
        sync?.closeOnExec()
        guard let options else {
            report(InitError("usage", "berth-init <state-dir> [--report-fd N] [--start-fd N]"), sync: sync)
            return 2
        }
        let start = options.startFd.map { StartPipe(fd: $0) }
        start?.closeOnExec()
        // Namespaces (setns of mnt/user, unshare) must be made by a single-threaded process.
        let threads = Proc.threadCount()
        guard threads == 1 else {
            report(InitError("init", "must be single-threaded to create namespaces, found \(threads) threads"), sync: sync)
            return 1
        }
        let config: InitConfig
        do {
            try start?.awaitConfig()
            config = try load(stateDir: options.stateDir)
        } catch {
            report(error, sync: sync)
            return 1
        }
        if config.mode != .create, let report = sync?.report {
            close(report)
            sync?.report = nil
        }
        if config.explain { Trace.enable(fd: 2) }
        Trace.step("init", "\(config.mode.rawValue) \(config.id) from \(options.stateDir)/init.json")
        switch config.mode {
        case .create: return CreateInit(config: config, sync: sync, sys: LinuxSyscalls(), start: start).run()
        case .exec: return ExecInit(config: config, sync: sync).run(LinuxSyscalls())
        }
    }

    /// `<state-dir> [--report-fd N] [--start-fd N]`; nil when anything else is given.
    struct Options {
        var stateDir: String
        var reportFd: Int32?
        var startFd: Int32?

        init?(_ args: [String]) {
            guard let first = args.first, !first.hasPrefix("--") else { return nil }
            stateDir = first
            var rest = args.dropFirst()
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst(), let fd = Int32(value), fd > 2 else { return nil }
                switch flag {
                case "--report-fd": reportFd = fd
                case "--start-fd": startFd = fd
                default: return nil
                }
            }
        }
    }

    static func load(stateDir: String) throws -> InitConfig {
        let path = stateDir + "/init.json"
        let bytes = try Files.readBytes(path)
        do {
            return try InitConfig.decode(json: bytes)
        } catch {
            throw InitError("config", "\(path): \(error)")
        }
    }

    /// Errors go to the sync pipe (the starter shows them); without one, to stderr.
    static func report(_ error: any Error, sync: SyncPipe?) {
        if let sync {
            sync.error(error)
        } else {
            _ = try? FileDescriptor.standardError.writeAll("berth-init: \(error.initMessage)\n")
        }
    }
}

import BerthCgroups
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A container's `berth-monitor` started before its spec is read (`LinuxRuntime.prepareStart`),
/// so the monitor's exec and start, and on cgroup v1 berth-init's too, overlap the caller's
/// reading and checking of config.json. Init is told through its start pipe when init.json is
/// written (`configWritten`) and when the cgroups exist (`start`); it makes nothing before.
/// `LinuxRuntime.create(_:pending:)` uses it; `cancel` (or dropping it) ends the monitor, which
/// kills init.
public final class PendingStart {
    public let id: String
    let stdio: StdioMode
    /// The monitor spawned init at once (cgroup v1); else (v2) it creates init inside the cgroup at `start`.
    let spawnsEarly: Bool
    let createdAt: Int64
    public let monitorPid: Int32
    let monitorStartTime: UInt64?
    /// The report pipe's read end (init's `pid`/`ready`/`error` lines), until `closeReport`.
    private(set) var report: FileDescriptor?
    let config: MonitorProcess.ConfigPipe
    private var startPipe: FileDescriptor?

    init(id: String, stdio: StdioMode, spawnsEarly: Bool, createdAt: Int64,
         monitor: (pid: Int32, report: FileDescriptor, config: MonitorProcess.ConfigPipe, start: FileDescriptor)) {
        self.id = id
        self.stdio = stdio
        self.spawnsEarly = spawnsEarly
        self.createdAt = createdAt
        monitorPid = monitor.pid
        monitorStartTime = Proc.startTime(monitor.pid)
        report = monitor.report
        config = monitor.config
        startPipe = monitor.start
    }

    /// init.json is written: init may read it.
    func configWritten() throws {
        try tellInit("config\n")
    }

    /// The container's cgroups exist: init joins `placement.joinFiles` itself when the monitor
    /// spawned it early (v1, "0" into each), else the monitor creates it inside them (v2).
    func start(oomFile: String?, placement: CgroupPlacement) throws {
        let joins = spawnsEarly ? placement.joinFiles.map { $0 + "\n" }.joined() : ""
        try tellInit(joins + "start\n")
        startPipe?.close()
        startPipe = nil
        try config.finish(MonitorProcess.startConfiguration(oomFile: oomFile, placement: placement))
    }

    private func tellInit(_ text: String) throws {
        guard let startPipe else { return }
        do { try startPipe.writeAll(Array(text.utf8)) } catch { throw RuntimeError.sys(error) }
    }

    /// Close both pipes: the monitor kills init (or init, reading its closed start pipe, exits)
    /// and the monitor exits. Does not wait.
    func abandon() {
        startPipe?.close()
        startPipe = nil
        config.abandon()
    }

    /// Abandon, and wait (at most 5 s, then SIGKILL) until the monitor is gone, so nothing of
    /// this container outlives the failed create.
    public func cancel() {
        abandon()
        if let handle = ProcessHandle.open(monitorPid, startTime: monitorStartTime) {
            if !handle.waitExit(deadline: Clock.deadline(after: 5)) { try? handle.signal(SIGKILL) }
            handle.close()
        }
        closeReport()
    }

    func closeReport() {
        report?.close()
        report = nil
    }

    deinit {
        abandon()
        closeReport()
    }
}

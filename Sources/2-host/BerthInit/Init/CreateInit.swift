import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth-init` in create mode: cgroups -> namespaces -> fork (PID 1 of the container) ->
/// rootfs and mounts -> pivot_root -> finalize -> identity -> ready -> exec fifo -> execve.
struct CreateInit<Kernel: InitSyscalls> {
    let config: InitConfig
    let sync: SyncPipe?
    let sys: Kernel
    /// The runtime's start pipe; waited on before the first namespace is joined or made.
    var start: StartPipe? = nil

    /// What the steps before the fork hand to the container's first process.
    struct Prepared {
        var plan: NamespacePlan
        var process: Spec.Process
        var setup: MountSetup<Kernel>
        var fifo: FileDescriptor?
        var seccomp: SeccompFilter?
        /// The mount namespace is joined by path (`JoinedMountNamespace`).
        var joinsMount = false
        /// With `joinsMount`: the hooks fifo, opened on the host before the join.
        var hooksFifo: FileDescriptor?
    }

    func run() -> Int32 {
        let prepared: Prepared
        do { prepared = try enterNamespaces() } catch { return fail(error) }

        let gate: ForkGate
        do { gate = try ForkGate.make() } catch { return fail(error) }
        let child = fork()
        if child < 0 { return fail(SysError("fork")) }
        if child > 0 {
            // The intermediate: report the container's host pid and leave; the monitor
            // (a subreaper) adopts the child.
            Trace.step("namespace", "container process is host pid \(child)")
            sync?.pid(child)
            gate.open()
            return 0
        }
        gate.wait()
        do {
            let start = try containerSetup(prepared)
            let executable = try start.prepare()
            start.finish(executable: executable, sync: sync, fifo: prepared.fifo, startHooks: InitHooks.afterStart(config: config))
        } catch {
            return fail(error)
        }
    }

    /// Before the fork: check the input, open the exec fifo, oom_score_adj, join and create
    /// the namespaces.
    func enterNamespaces() throws -> Prepared {
        let plan = try NamespacePlan(config.spec.linux?.namespaces)
        let joinsMount = plan.join.contains { $0.kind == .mount }
        guard plan.creates(.mount) || joinsMount else {
            throw InitError("namespaces", "linux.namespaces: berth needs a mount namespace (type \"mount\", new or joined by path)")
        }
        if joinsMount, let problem = JoinedMountNamespace.problems(config.spec).first {
            throw InitError("namespaces", "\(problem.field): \(problem.message)")
        }
        guard let process = config.spec.process else { throw InitError("config", "process: missing") }
        try ProcessSecurity.validate(process)
        let setup = try MountSetup(spec: config.spec, bundle: config.bundle, plan: plan, sys: sys)
        // A host file: read now, loaded in `ProcessStart`.
        let seccomp = try SeccompFilter.load(config.seccomp)
        var fifo: FileDescriptor?
        // Opened now: the fifo lives on the host and is unreachable after pivot_root.
        if let path = config.execFifo {
            let fd = try FileDescriptor.open(path, BERTH_O_PATH)
            fifo = fd
            // The container user reopens it for writing after dropping privileges: make it
            // writable for everyone (as runc's 0622); its state directory keeps others out.
            try Sys.call("chmod", detail: path) { chmod(fd.procPath, 0o622) }
        }
        try Namespaces.setOOMScoreAdj(process.oomScoreAdj, sys)
        var prepared = Prepared(plan: plan, process: process, setup: setup, fifo: fifo, seccomp: seccomp)
        if let user = plan.join.first(where: { $0.kind == .user }), !joinsMount {
            prepared.setup.idmappedRoot = try JoinedUserNamespace.idmappedRootfs(userPath: user.path, rootfsPath: setup.rootfsPath)
        }
        // A joined mount namespace hides the host: note root.path and open the hooks fifo first.
        var expectedRoot: JoinedMountNamespace.Identity?
        if joinsMount {
            expectedRoot = try sys.identity(setup.rootfsPath)
            prepared.joinsMount = true
            prepared.hooksFifo = try InitHooks.openFifo(config)
        }
        if let start {
            Trace.step("cgroup", "waiting for the container's cgroups, then joining them")
            try start.awaitStartAndJoin()
        }
        try Namespaces.join(plan.joinOrder, sys)
        if let expectedRoot {
            try JoinedMountNamespace.enterRoot(expected: expectedRoot, rootfsPath: setup.rootfsPath, sys)
        }
        if plan.creates(.user) {
            prepared.setup.idmappedRoot = try UserNamespaceStep.enter(config.spec, rootfsPath: setup.rootfsPath, sys)
        } else if plan.join.contains(where: { $0.kind == .user }) {
            try UserNamespaceStep.becomeRoot(sys)
        }
        try Namespaces.create(plan.createAfterUser, sys)
        return prepared
    }

    /// In the container's first process, before the user's program: session, loopback,
    /// mounts, pivot_root and finalization; returns the prepared process start.
    func containerSetup(_ prepared: Prepared) throws -> ProcessStart<Kernel> {
        let (plan, setup) = (prepared.plan, prepared.setup)
        sys.newSession()
        sys.setUmask(0)
        if plan.creates(.network) {
            Trace.step("network", "lo up")
            try sys.bringUp("lo")
        }
        if prepared.joinsMount { return try joinedMountSetup(prepared) }
        let mounted = try setup.run()
        try InitHooks.beforePivot(config: config, sync: sync)
        try PivotRoot.run(newRoot: mounted.root, rootfsPath: setup.rootfsPath, sys)
        mounted.root.close()
        try Devices.reopenNullStdio()
        try FinalizeRootfs(spec: config.spec, plan: plan, sys: sys)
            .run(devReadOnlyFlags: mounted.devReadOnlyFlags, finalPropagation: setup.finalPropagation)
        return try ProcessStart(process: prepared.process, seccomp: prepared.seccomp, sys: sys)
    }

    /// `containerSetup` in a mount namespace joined by path: no mounts and no pivot_root (init
    /// already stands in the namespace's root, checked to be `root.path`), the rest as usual.
    private func joinedMountSetup(_ prepared: Prepared) throws -> ProcessStart<Kernel> {
        try InitHooks.beforePivot(config: config, sync: sync, fifo: prepared.hooksFifo)
        try Devices.reopenNullStdio()
        try FinalizeRootfs(spec: config.spec, plan: prepared.plan, sys: sys).run(devReadOnlyFlags: nil, finalPropagation: nil)
        return try ProcessStart(process: prepared.process, seccomp: prepared.seccomp, sys: sys)
    }

    private func fail(_ error: any Error) -> Int32 {
        InitMain.report(error, sync: sync)
        return error.initExitCode
    }
}

import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth-init` in create mode: cgroups -> namespaces -> fork (PID 1 of the container) ->
/// rootfs and mounts -> pivot_root -> finalize -> identity -> ready -> exec fifo -> execve.
struct CreateInit {
    let config: InitConfig
    let sync: SyncPipe?

    func run() -> Int32 {
        let plan: NamespacePlan
        let process: Spec.Process
        let setup: MountSetup
        var fifo: FileDescriptor?
        do {
            plan = try NamespacePlan(config.spec.linux?.namespaces)
            guard plan.creates(.mount) else {
                throw InitError("namespaces", "linux.namespaces: berth needs a new mount namespace (type \"mount\" without a path)")
            }
            guard let p = config.spec.process else { throw InitError("config", "process: missing") }
            process = p
            try ProcessSecurity.validate(p)
            setup = try MountSetup(spec: config.spec, bundle: config.bundle, plan: plan)
            // Opened now: the fifo lives on the host and is unreachable after pivot_root.
            if let path = config.execFifo {
                let fd = try FileDescriptor.open(path, BERTH_O_PATH)
                fifo = fd
                // The container user reopens it for writing after dropping privileges: make it
                // writable for everyone (as runc's 0622); its state directory keeps others out.
                try Sys.call("chmod", detail: path) { chmod(fd.procPath, 0o622) }
            }
            try Namespaces.setOOMScoreAdj(p.oomScoreAdj)
            try Namespaces.join(plan.joinOrder)
            try Namespaces.create(plan.create)
        } catch {
            return fail(error)
        }

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
            let start = try containerSetup(plan: plan, process: process, setup: setup)
            let executable = try start.prepare()
            start.finish(executable: executable, sync: sync, fifo: fifo)
        } catch {
            return fail(error)
        }
    }

    /// In the container's first process, before the user's program: session, loopback,
    /// mounts, pivot_root and finalization; returns the prepared process start.
    private func containerSetup(plan: NamespacePlan, process: Spec.Process, setup: MountSetup) throws -> ProcessStart {
        _ = setsid()
        _ = umask(0)
        if plan.creates(.network) {
            Trace.step("network", "lo up")
            try Sys.call("bring up lo") { berth_if_up("lo") }
        }
        let mounted = try setup.run()
        try PivotRoot.run(newRoot: mounted.root, rootfsPath: setup.rootfsPath)
        mounted.root.close()
        try Devices.reopenNullStdio()
        try FinalizeRootfs(spec: config.spec, plan: plan)
            .run(devReadOnlyFlags: mounted.devReadOnlyFlags, finalPropagation: setup.finalPropagation)
        return try ProcessStart(process: process)
    }

    private func fail(_ error: any Error) -> Int32 {
        InitMain.report(error, sync: sync)
        return error.initExitCode
    }
}

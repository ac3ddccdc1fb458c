import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The hooks `berth-init` takes part in (Docs/init.md "Hooks"). State pids are as init sees them
/// (its own pid in the container's pid namespace), as runc passes them to these hooks.
enum InitHooks {
    /// In the container's first process after the mounts, before pivot_root: wait while the
    /// runtime runs prestart and createRuntime (`hooks` on the sync pipe, `go` back on the hooks
    /// fifo), then run createContainer here, in the container's namespaces with the host's root.
    static func beforePivot(config: InitConfig, sync: SyncPipe?) throws {
        try beforePivot(config: config, sync: sync, fifo: try openFifo(config))
    }

    /// The hooks fifo (a host path), opened before a mount namespace joined by path hides it.
    static func openFifo(_ config: InitConfig) throws -> FileDescriptor? {
        guard let path = config.hooksFifo else { return nil }
        return try FileDescriptor.open(path, O_RDWR | O_CLOEXEC)
    }

    /// `beforePivot` with the hooks fifo already open (closed here).
    static func beforePivot(config: InitConfig, sync: SyncPipe?, fifo: FileDescriptor?) throws {
        if let fifo {
            defer { fifo.close() }
            sync?.send("hooks")
            var answer: [UInt8] = []
            while !answer.contains(UInt8(ascii: "\n")) {
                let chunk = try fifo.read(max: 64)
                if chunk.isEmpty { break }
                answer += chunk
            }
            guard answer.starts(with: Array("go\n".utf8)) else {
                throw InitError("hooks", "the runtime did not run its createRuntime hooks")
            }
            Trace.step("hooks", "prestart and createRuntime hooks done")
        }
        guard let hooks = config.spec.hooks?.createContainer, !hooks.isEmpty else { return }
        do { try HookRunner.run(hooks, kind: "createContainer", state: state(config, status: "creating")) } catch {
            throw InitError("hooks", error.description)
        }
    }

    /// What `ProcessStart.finish` runs once `start` has read the exec fifo: nil when the spec has
    /// neither startContainer nor poststart hooks (then the fifo is closed at once, as before).
    static func afterStart(config: InitConfig) -> StartHooks? {
        guard let hooks = config.spec.hooks,
              !(hooks.startContainer ?? []).isEmpty || !(hooks.poststart ?? []).isEmpty else { return nil }
        return StartHooks(hooks: hooks.startContainer ?? [], config: config)
    }

    static func state(_ config: InitConfig, status: String) -> [UInt8] {
        HookState.json(id: config.id, status: status, pid: getpid(), bundle: config.bundle, annotations: config.spec.annotations)
    }
}

/// startContainer hooks and the exec fifo kept open (close-on-exec) until execve: `start` reads
/// to its end, so it learns that the process exec'd (no bytes) or why the hooks failed.
struct StartHooks {
    var hooks: [Spec.Hook]
    var config: InitConfig

    /// Runs the hooks inside the container; on failure writes the reason to the fifo and exits 1.
    func run(reportingTo fifo: FileDescriptor) {
        do { try HookRunner.run(hooks, kind: "startContainer", state: InitHooks.state(config, status: "created")) } catch {
            _ = try? fifo.writeAll(error.description)
            _ = try? FileDescriptor.standardError.writeAll("berth-init: \(error)\n")
            exit(1)
        }
    }
}

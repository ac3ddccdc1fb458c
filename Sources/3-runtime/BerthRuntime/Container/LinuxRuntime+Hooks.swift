import BerthCgroups
import BerthInit
import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The runtime's part of the OCI hooks (Docs/init.md "Hooks"): prestart and createRuntime
/// while init waits before pivot_root, poststart once `start` saw the process exec, poststop
/// after the container is destroyed (by delete or by a failed create). Hooks run in the
/// runtime's namespaces with the state (host pid) on stdin.
extension LinuxRuntime {
    /// Before init runs: `hooks.json` for start and delete when the spec has any hooks, and the
    /// hooks fifo when it has prestart or createRuntime hooks (its path, for init.json).
    func prepareHooks(_ hooks: Spec.Hooks?, dir: ContainerDir) throws -> String? {
        guard let hooks, !hooks.isEmpty else { return nil }
        try StateFile.create(dir.hooksFile, hooks.jsonValue.serializedBytes(sortedKeys: true))
        guard !(hooks.prestart ?? []).isEmpty || !(hooks.createRuntime ?? []).isEmpty else { return nil }
        try Sys.call("mkfifo", detail: dir.hooksFifo) { mkfifo(dir.hooksFifo, 0o600) }
        return dir.hooksFifo
    }

    /// Init said `hooks` (its namespaces and mounts exist): prestart, then createRuntime, then
    /// `go` on the fifo. A failure is thrown; create's undo then kills init and cleans up.
    func runCreateHooks(_ hooks: Spec.Hooks?, request: CreateRequest, pid: Int32, dir: ContainerDir) throws {
        let state = HookState.json(id: request.id, status: "creating", pid: pid, bundle: request.bundle,
                                   annotations: request.spec.annotations)
        do {
            try HookRunner.run(hooks?.prestart, kind: "prestart", state: state)
            try HookRunner.run(hooks?.createRuntime, kind: "createRuntime", state: state)
        } catch { throw RuntimeError.setupFailed(id: request.id, message: error.description) }
        let fifo = try FileDescriptor.open(dir.hooksFifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        defer { fifo.close() }
        try fifo.writeAll("go\n")
    }

    /// After `start` read the exec fifo's first byte: read on to its end (init closes it at
    /// execve, or writes why a startContainer hook failed), then run poststart. Any failure
    /// stops the container and is thrown (runtime.md "Lifecycle" steps 7 and 9).
    func runStartHooks(_ hooks: Spec.Hooks, state: ContainerState, fifo: FileDescriptor) throws {
        guard !(hooks.startContainer ?? []).isEmpty || !(hooks.poststart ?? []).isEmpty else { return }
        var failure: [UInt8] = []
        while true {
            _ = try Poll.readable(fifo.rawValue, deadline: nil)
            let (chunk, err) = readSome(fifo)
            if err == EAGAIN || err == EINTR { continue }
            if chunk.isEmpty { break }
            failure += chunk.prefix(16 * 1024 - failure.count)
        }
        if !failure.isEmpty {
            stopAfterHookFailure(state)
            throw RuntimeError.setupFailed(id: state.id, message: String(decoding: failure, as: UTF8.self))
        }
        let json = HookState.json(id: state.id, status: "running", pid: state.pid, bundle: state.bundle, annotations: state.annotations)
        do { try HookRunner.run(hooks.poststart, kind: "poststart", state: json) } catch {
            stopAfterHookFailure(state)
            throw RuntimeError.setupFailed(id: state.id, message: error.description)
        }
    }

    private func readSome(_ fd: FileDescriptor) -> ([UInt8], Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let (n, err) = Sys.attempt { read(fd.rawValue, &buffer, buffer.count) }
        return n > 0 ? (Array(buffer[..<n]), 0) : ([], n == 0 ? 0 : err)
    }

    private func stopAfterHookFailure(_ state: ContainerState) {
        if let raw = state.cgroupPath, let path = try? CgroupPath(raw) { try? cgroups.killAll(path) }
        if let handle = ProcessHandle.open(state.pid, startTime: state.pidStartTime) {
            try? handle.signal(SIGKILL)
            handle.close()
        }
    }

    /// poststop: every hook runs; failures are warnings on stderr (runtime.md "Lifecycle" step 13).
    func runPoststop(_ hooks: Spec.Hooks?, id: String, bundle: String, pid: Int32, annotations: [String: String]?) {
        guard let poststop = hooks?.poststop, !poststop.isEmpty else { return }
        let state = HookState.json(id: id, status: "stopped", pid: pid, bundle: bundle, annotations: annotations)
        for failure in HookRunner.runAll(poststop, kind: "poststop", state: state) {
            _ = try? FileDescriptor.standardError.writeAll("berth: warning: container \(id.debugDescription): \(failure)\n")
        }
    }
}

extension Spec.Hooks {
    /// `run` must go through create and start when these exist (init waits on the exec fifo).
    var needStart: Bool { !(startContainer ?? []).isEmpty || !(poststart ?? []).isEmpty }
}

extension ContainerDir {
    ///   hooks.json    the spec's hooks, when it has any (for start and delete)
    var hooksFile: String { path + "/hooks.json" }
    ///   hooks.fifo    init waits on it before pivot_root while the runtime runs createRuntime
    var hooksFifo: String { path + "/hooks.fifo" }

    /// nil when the container has no hooks (one failed stat on the start and delete paths).
    func readHooks() -> Spec.Hooks? {
        guard let bytes = try? Files.readBytes(hooksFile) else { return nil }
        return try? Spec.Hooks.read(json: bytes)
    }
}

import BerthAgent
import BerthRuntime
import BerthSys
import BerthTasks
import Foundation

/// What the adapter does when the agent's and the host's views disagree after a restart:
/// a task whose runtime record is unreadable, or a task on the host the agent has no record
/// of (its state file was corrupt and set aside). Such tasks are stopped and everything of
/// theirs removed (containers, monitors, cgroups, mounts, netns); nothing is left running
/// unaccounted for.
extension HostEngineAdapter {
    static let ownerFile = "agent-owner"

    /// Tag a task's runtime directory with this agent's state directory.
    func markOwned(_ taskId: String) {
        let l = layout(taskId)
        guard Files.isDirectory(l.taskDir) else { return }
        try? Files.writeAtomically(l.taskDir + "/" + Self.ownerFile, Array(owner.utf8))
    }

    func isOwned(_ taskId: String) -> Bool {
        (try? Files.read(layout(taskId).taskDir + "/" + Self.ownerFile)) == owner
    }

    /// Rename a bad file to `<file>.corrupt-<ts>` so it is kept for inspection but never read again.
    func setAside(_ path: String) {
        guard Files.exists(path) else { return }
        let aside = "\(path).corrupt-\(Int(Self.now()))"
        rename(path, aside)
        log("moved \(path) aside to \(aside)")
    }

    /// Kill and remove every container of a task the engine does not drive, and its host resources.
    /// Logs are kept (they go with `release`).
    func discard(_ taskId: String) {
        let l = layout(taskId)
        let runtime = engine.runtime
        let prefix = taskId + "-"
        let ids = ((try? runtime.list()) ?? []).map(\.id).filter { $0.hasPrefix(prefix) }
        for id in ids {
            do { try runtime.delete(id, force: true) } catch { log("task \(taskId): could not remove container \(id): \(error)") }
        }
        let names = ((try? Files.list(l.taskDir)) ?? []).filter { Files.isDirectory(l.containerDir($0)) }
        let host = TaskHost(layout: l, networkMode: .awsvpc, cgroups: engine.cgroups)
        for problem in host.cleanup(containerNames: names) { log("task \(taskId): cleanup: \(problem)") }
    }

    /// After adoption, every task the engine drives has been handed to it; any other task
    /// directory is a leftover: of a task the agent no longer knows (stopped and removed), or of
    /// a task the agent knows as STOPPED whose teardown a crash interrupted (its resources are
    /// released now, not at the end of retention; its record and logs stay). `discard` skips
    /// what is already gone, so a teardown interrupted again is finished on the next start.
    public func finishAdoption(knownTaskArns: Set<String>) {
        let knownIds = Set(knownTaskArns.compactMap(Self.taskId))
        let driven = Set(lock.withLock { known.values.map(\.plan.taskId) })
        let dir = engine.runRoot + "/tasks"
        for id in (try? Files.list(dir)) ?? [] where !driven.contains(id) {
            if knownIds.contains(id) {
                log("task \(id) is STOPPED but its teardown did not finish; releasing its host resources")
            } else if isOwned(id) {
                log("task \(id) is running on this host but the agent has no record of it (its state file was lost); stopping it")
            } else {
                continue
            }
            discard(id)
        }
    }
}

import BerthECS
import BerthRuntime

extension TaskMachine {
    /// Re-attach to a task after the agent (or `berth run`) went away: take the persisted
    /// record, then ask the runtime what became of each container. Running containers are
    /// adopted (their exit is picked up by the next step), containers whose state is gone are
    /// marked STOPPED with the agent's ContainerVanishedError-style reason, pending containers
    /// start as their dependencies allow. `stop` is a stop the caller acknowledged (and persisted)
    /// that the record may predate: it is requested (at `at`) before anything else happens, so
    /// the task ends with that code and reason.
    public func adopt(_ record: TaskSnapshot, stop: (code: StopCode, reason: String, at: Double)? = nil) {
        lastStatus = record.lastStatus
        createdAt = record.createdAt
        desiredStopped = record.desiredStatus == .stopped
        stopCode = record.stopCode
        stoppedReason = record.stoppedReason
        startedAt = record.startedAt
        stoppingAt = record.stoppingAt
        executionStoppedAt = record.executionStoppedAt
        stoppedBy = record.stoppedByContainer
        version = record.version
        if let stop { requestStop(stop.code, reason: stop.reason, now: stop.at) }
        for i in containers.indices {
            guard let saved = record.container(containers[i].plan.name) else { continue }
            var c = containers[i]
            c.startedAt = saved.startedAt
            c.lastStartAt = saved.lastRestartAt ?? saved.startedAt
            c.finishedAt = saved.finishedAt
            c.exitCode = saved.exitCode
            c.reason = saved.reason
            c.restartCount = saved.restartCount
            c.lastRestartAt = saved.lastRestartAt
            c.everStarted = saved.startedAt != nil
            c.health = saved.healthStatus
            c.lastOutput = saved.lastHealthOutput
            switch saved.lastStatus {
            case .stopped:
                c.phase = .stopped
            case .running:
                if let state = try? runtime.state(c.id) {
                    c.phase = .running
                    c.pid = state.pid
                    if let hc = c.plan.healthCheck { c.nextCheckAt = (saved.startedAt ?? 0) + hc.interval }
                } else {
                    c.phase = .stopped
                    c.reason = "ContainerVanishedError: the container's runtime state is gone (host rebooted or state removed)"
                }
            case .pending:
                c.phase = .pending
            }
            containers[i] = c
        }
        if !desiredStopped, let gone = containers.first(where: { $0.plan.essential && $0.phase == .stopped && $0.everStarted }) {
            executionStoppedAt = gone.finishedAt
            stoppedBy = gone.plan.name
            requestStop(.essentialContainerExited, reason: ECSText.essentialExited, now: gone.finishedAt ?? createdAt)
        }
    }
}

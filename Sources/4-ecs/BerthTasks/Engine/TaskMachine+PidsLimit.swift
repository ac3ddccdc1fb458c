/// A container that hit its pids limit (Docs/tasks.md, "Process limit"): the kernel refused some
/// of its forks. Reported once per run as a `pidsLimitReached` event when a step first sees the
/// counter move, and as the container's reason when it exits (unless it was OOM-killed).
extension TaskMachine {
    func checkPidsLimits(_ now: Double) {
        for i in containers.indices where containers[i].phase == .running && containers[i].pidsLimitHits == 0 {
            guard let hits = readPidsLimitHits(containers[i].plan.name), hits > 0 else { continue }
            containers[i].pidsLimitHits = hits
            emit(now, .pidsLimitReached, containers[i].plan.name, pidsLimitReason(containers[i], hits: hits))
        }
    }

    /// The reason of a container that exits after hitting its limit, else nil.
    func pidsLimitReason(_ c: ContainerBox) -> String? {
        guard let hits = readPidsLimitHits(c.plan.name), hits > 0 else { return nil }
        return pidsLimitReason(c, hits: hits)
    }

    func pidsLimitReason(_ c: ContainerBox, hits: UInt64) -> String {
        PidsLimit.reason(limit: c.plan.spec.linux?.resources?.pids?.limit, hits: hits)
    }
}

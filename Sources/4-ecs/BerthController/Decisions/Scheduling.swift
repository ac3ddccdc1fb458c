/// Starting and stopping tasks (ecs-semantics §5.3, §5.9). Counts:
/// U = floor(D × maximumPercent / 100) bounds every live task (PROVISIONING … DEPROVISIONING,
/// including ones being stopped, plus launch orders in flight); L = ceil(D × minimumHealthyPercent
/// / 100) healthy tasks are kept while old deployments drain.
extension Tick {
    /// Tasks still occupying the host.
    func live(_ tasks: [ObservedTask]) -> [ObservedTask] { tasks.filter { $0.lastStatus.isLive } }

    /// Live tasks meant to keep running, per deployment id.
    func active(_ tasks: [ObservedTask], deployment id: String) -> [ObservedTask] {
        tasks.filter { $0.lastStatus.isLive && !isStopping($0) && $0.deploymentId == id }
    }

    /// Active tasks that are not waiting to be replaced for failed health checks.
    func serving(_ tasks: [ObservedTask], deployment id: String) -> [ObservedTask] {
        active(tasks, deployment: id).filter { !failing.contains($0.taskId) }
    }

    func launches(of id: String) -> Int { state.bookkeeping.launches.filter { $0.deploymentId == id }.count }

    var upperBound: Int { state.deploymentConfiguration.maximumTasks(desired: state.desiredCount) }
    var lowerBound: Int { state.deploymentConfiguration.minimumHealthyTasks(desired: state.desiredCount) }

    /// Live tasks of deployments that are no longer listed are stopped.
    mutating func stopOrphans(_ tasks: [ObservedTask]) {
        let known = Set(state.deployments.map(\.id))
        for task in live(tasks) where !isStopping(task) && !known.contains(task.deploymentId ?? "") {
            let owner = task.deploymentId ?? state.primary?.id ?? ""
            stop(task, kind: .scaling, reason: ReasonText.scaling(owner))
        }
    }

    /// Start n = min(D − serving(P), U − live) tasks for the PRIMARY deployment, unless it
    /// FAILED or the restart throttle holds launches back. Tasks failing health checks are
    /// not serving, so their replacements start here while they still run.
    mutating func startForPrimary(_ tasks: [ObservedTask]) -> Int {
        guard state.status == .active, let index = primaryIndex else { return 0 }
        let primary = state.deployments[index]
        guard primary.rolloutState != .failed else { return 0 }
        let activeCount = serving(tasks, deployment: primary.id).count + launches(of: primary.id)
        let liveCount = live(tasks).count + state.bookkeeping.launches.count
        let n = min(state.desiredCount - activeCount, upperBound - liveCount)
        guard n > 0 else { return 0 }
        if let until = state.throttle.nextLaunchAt, now < until {
            wake(at: until)
            return 0
        }
        var started: [String] = []
        for _ in 0..<n {
            let order = StartTaskOrder(
                taskId: ids.newTaskId(), deploymentId: primary.id, taskDefinition: primary.taskDefinition,
                group: "service:\(name)")
            state.bookkeeping.launches.append(PendingLaunch(
                taskId: order.taskId, deploymentId: primary.id, taskDefinition: primary.taskDefinition,
                orderedAt: now))
            actions.append(.startTask(order))
            started.append(order.taskId)
        }
        emit(EventMessage.started(name, taskIds: started))
        wake(at: now + config.scaled(config.launchTimeoutSeconds))
        return n
    }

    /// Drain non-PRIMARY deployments: not-yet-running tasks first, then running but not
    /// healthy, then healthy ones while more than L healthy tasks remain. Within a class the
    /// oldest deployment goes first, then the newest task. While the PRIMARY has FAILED
    /// (no rollback), healthy old tasks are kept.
    mutating func drainOldDeployments(_ tasks: [ObservedTask]) {
        guard let primary = state.primary else { return }
        let order = Dictionary(uniqueKeysWithValues: state.deployments.map { ($0.id, $0.createdAt) })
        var healthyCount = live(tasks).filter(isHealthy).count
        let old = live(tasks).filter {
            !isStopping($0) && $0.deploymentId != primary.id && order[$0.deploymentId ?? ""] != nil
        }
        let candidates = old.sorted { a, b in
            let ka = (stopClass(a), order[a.deploymentId ?? ""] ?? 0, -a.createdAt, a.taskArn)
            let kb = (stopClass(b), order[b.deploymentId ?? ""] ?? 0, -b.createdAt, b.taskArn)
            return ka < kb
        }
        for task in candidates {
            if isHealthy(task) {
                guard primary.rolloutState != .failed, healthyCount - 1 >= lowerBound else { break }
                healthyCount -= 1
            }
            if failing.contains(task.taskId) {
                stopForHealthChecks(task)
            } else {
                stop(task, kind: .scaling, reason: ReasonText.scaling(task.deploymentId ?? primary.id))
            }
        }
    }

    /// Scale-in of the PRIMARY deployment: pending first, then unhealthy, then not yet
    /// healthy, then healthy; newest first within a class.
    mutating func scaleInPrimary(_ tasks: [ObservedTask]) {
        guard let primary = state.primary else { return }
        let mine = serving(tasks, deployment: primary.id)
        let surplus = mine.count + launches(of: primary.id) - state.desiredCount
        guard surplus > 0 else { return }
        let victims = mine.sorted { a, b in
            (stopClass(a), -a.createdAt, a.taskArn) < (stopClass(b), -b.createdAt, b.taskArn)
        }.prefix(surplus)
        for task in victims { stop(task, kind: .scaling, reason: ReasonText.scaling(primary.id)) }
    }

    /// DRAINING service: stop everything.
    mutating func stopAll(_ tasks: [ObservedTask]) {
        for task in live(tasks) where !isStopping(task) {
            stop(task, kind: .scaling, reason: ReasonText.scaling(task.deploymentId ?? state.primary?.id ?? ""))
        }
    }

    /// 0 not running yet, 1 running but unhealthy, 2 running, not healthy yet, 3 healthy.
    private func stopClass(_ task: ObservedTask) -> Int {
        if task.lastStatus != .running { return 0 }
        if task.hasHealthCheck && task.healthStatus == .unhealthy { return 1 }
        if task.loadBalancerHealth?.state == .unhealthy { return 1 }
        return isHealthy(task) ? 3 : 2
    }
}

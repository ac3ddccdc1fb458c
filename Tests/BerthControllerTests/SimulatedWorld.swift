import BerthECS
import BerthController

/// How tasks of one task definition behave in the simulated world (seconds of fake time).
struct Behavior {
    var startDelay: Double = 2
    var hasHealthCheck = false
    /// Health check reports HEALTHY this long after RUNNING (nil: never).
    var healthyAfter: Double? = 3
    /// Health check reports UNHEALTHY this long after RUNNING (nil: never).
    var unhealthyAfter: Double? = nil
    var failsToStart = false
    /// Essential container exits this long after RUNNING (nil: never).
    var crashAfter: Double? = nil
    var stopDelay: Double = 1
    /// Behind a load balancer: the target group, and when its target turns healthy /
    /// unhealthy after RUNNING (nil: never).
    var targetGroup: String? = nil
    var targetHealthyAfter: Double? = 10
    var targetUnhealthyAfter: Double? = nil
}

/// A fake agent: applies start/stop orders and moves tasks through their lifecycle as time
/// passes. Deterministic.
struct SimulatedWorld {
    struct SimTask {
        var task: ObservedTask
        var behavior: Behavior
        var stopAt: Double?
        var stopCode: StopCode?
        var stopReason: String?
    }

    var behaviors: [String: Behavior] = [:]
    var defaultBehavior = Behavior()
    var tasks: [SimTask] = []
    /// Start orders the world ignores (an agent that crashed before creating them).
    var dropStarts = false

    var observed: [ObservedTask] { tasks.map(\.task) }

    mutating func apply(_ actions: [ControllerAction], now: Double) {
        for action in actions {
            switch action {
            case .startTask(let order):
                guard !dropStarts else { continue }
                let task = ObservedTask(
                    taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/\(order.taskId)",
                    deploymentId: order.deploymentId, taskDefinitionArn: order.taskDefinition,
                    lastStatus: .provisioning, healthStatus: .unknown,
                    hasHealthCheck: (behaviors[order.taskDefinition] ?? defaultBehavior).hasHealthCheck,
                    createdAt: now,
                    loadBalancerHealth: (behaviors[order.taskDefinition] ?? defaultBehavior).targetGroup.map {
                        TargetGroupHealth(state: .initial, targetGroupArn: $0)
                    })
                tasks.append(SimTask(task: task, behavior: behaviors[order.taskDefinition] ?? defaultBehavior))
            case .stopTask(let order):
                requestStop(arn: order.taskArn, code: order.stopCode, reason: order.reason, now: now)
            }
        }
    }

    mutating func requestStop(arn: String, code: StopCode, reason: String, now: Double) {
        guard let i = tasks.firstIndex(where: { $0.task.taskArn == arn }),
            tasks[i].task.lastStatus.isLive, tasks[i].stopAt == nil
        else { return }
        tasks[i].task.desiredStatus = .stopped
        tasks[i].stopAt = now + tasks[i].behavior.stopDelay
        tasks[i].stopCode = code
        tasks[i].stopReason = reason
        if tasks[i].task.lastStatus == .running { tasks[i].task.lastStatus = .stopping }
    }

    mutating func advance(to now: Double) {
        for i in tasks.indices where tasks[i].task.lastStatus.isLive {
            step(&tasks[i], now: now)
        }
    }

    private func step(_ t: inout SimTask, now: Double) {
        let b = t.behavior
        if let stopAt = t.stopAt {
            if now >= stopAt { finish(&t, at: stopAt, code: t.stopCode!, reason: t.stopReason!) }
            return
        }
        let runAt = t.task.createdAt + b.startDelay
        if t.task.lastStatus < .running {
            if now >= runAt {
                if b.failsToStart {
                    finish(&t, at: runAt, code: .taskFailedToStart, reason: "CannotPullContainerError: pull access denied")
                    return
                }
                t.task.lastStatus = .running
                t.task.startedAt = runAt
            } else if now >= t.task.createdAt + b.startDelay / 2 {
                t.task.lastStatus = .pending
            }
        }
        guard t.task.lastStatus == .running, let started = t.task.startedAt else { return }
        if let crash = b.crashAfter, now >= started + crash {
            finish(&t, at: started + crash, code: .essentialContainerExited, reason: "Essential container in task exited")
            t.task.essentialExitCode = 1
            return
        }
        if let group = b.targetGroup {
            if let bad = b.targetUnhealthyAfter, now >= started + bad {
                t.task.loadBalancerHealth = TargetGroupHealth(state: .unhealthy, targetGroupArn: group)
            } else if let good = b.targetHealthyAfter, now >= started + good {
                t.task.loadBalancerHealth = TargetGroupHealth(state: .healthy, targetGroupArn: group)
            }
        }
        guard b.hasHealthCheck else { return }
        if let bad = b.unhealthyAfter, now >= started + bad {
            t.task.healthStatus = .unhealthy
        } else if let good = b.healthyAfter, now >= started + good {
            t.task.healthStatus = .healthy
        }
    }

    private func finish(_ t: inout SimTask, at time: Double, code: StopCode, reason: String) {
        t.task.lastStatus = .stopped
        t.task.desiredStatus = .stopped
        t.task.stoppedAt = time
        t.task.stopCode = code
        t.task.stoppedReason = reason
    }
}

import BerthECS

/// Load balancer registration of a service's tasks (ecs-semantics §5.6, issue 15): pure
/// decisions, the agent carries them out against its ELB.
///
/// * A task is registered in every target group of the service's `loadBalancers` once it is
///   RUNNING (and wanted RUNNING) and its address is known.
/// * A task told to stop is deregistered first and keeps running for the longest
///   deregistration delay of its groups (lastStatus DEACTIVATING while it drains, as ECS shows
///   it); then the stop is carried out. A task with nothing registered stops at once.
/// * A task that stopped by itself is deregistered without a delay.

/// One `loadBalancers[]` entry of a service.
public struct TargetBinding: Sendable, Equatable, Codable {
    public var targetGroupArn: String
    public var containerName: String
    public var containerPort: Int
    public init(targetGroupArn: String, containerName: String, containerPort: Int) {
        self.targetGroupArn = targetGroupArn
        self.containerName = containerName
        self.containerPort = containerPort
    }
}

/// A task's address in one target group.
public struct BoundTarget: Hashable, Sendable, Codable {
    public var targetGroupArn: String
    public var host: String
    public var port: Int
    public init(targetGroupArn: String, host: String, port: Int) {
        self.targetGroupArn = targetGroupArn
        self.host = host
        self.port = port
    }
}

/// One task as registration sees it.
public struct RegistrationView: Sendable, Equatable {
    public var taskId: String
    public var lastStatus: TaskStatus
    public var desiredStatus: DesiredStatus
    /// Where the task is reachable for each binding; empty while its address is not known.
    public var targets: [BoundTarget]
    /// What the agent has registered for it so far.
    public var registered: [BoundTarget]
    /// Set once deregistered for a stop: when the stop is carried out.
    public var drainUntil: Timestamp?
    public init(taskId: String, lastStatus: TaskStatus, desiredStatus: DesiredStatus, targets: [BoundTarget],
                registered: [BoundTarget], drainUntil: Timestamp? = nil) {
        self.taskId = taskId
        self.lastStatus = lastStatus
        self.desiredStatus = desiredStatus
        self.targets = targets
        self.registered = registered
        self.drainUntil = drainUntil
    }
}

public enum RegistrationAction: Sendable, Equatable {
    case register(taskId: String, [BoundTarget])
    /// Deregister; `stopAt` is when the task's stop is due (nil: it is already stopped).
    case deregister(taskId: String, [BoundTarget], stopAt: Timestamp?)
    /// The drain is over (or there was nothing to drain): stop the task now.
    case stop(taskId: String)
}

/// The registration changes due now, and the next time one falls due.
public func planRegistrations(
    _ tasks: [RegistrationView], now: Timestamp, deregistrationDelay: (String) -> Double
) -> (actions: [RegistrationAction], wakeAt: Timestamp?) {
    var actions: [RegistrationAction] = []
    var wake: Timestamp?
    for t in tasks {
        if t.lastStatus == .stopped {
            if !t.registered.isEmpty { actions.append(.deregister(taskId: t.taskId, t.registered, stopAt: nil)) }
            continue
        }
        if t.desiredStatus == .stopped {
            if let until = t.drainUntil {
                if now >= until { actions.append(.stop(taskId: t.taskId)) } else { wake = min(wake ?? until, until) }
            } else if t.registered.isEmpty {
                actions.append(.stop(taskId: t.taskId))
            } else {
                let delay = t.registered.map { deregistrationDelay($0.targetGroupArn) }.max() ?? 0
                actions.append(.deregister(taskId: t.taskId, t.registered, stopAt: now + delay))
                wake = min(wake ?? now + delay, now + delay)
            }
            continue
        }
        guard t.lastStatus == .running else { continue }
        let missing = t.targets.filter { !t.registered.contains($0) }
        if !missing.isEmpty { actions.append(.register(taskId: t.taskId, missing)) }
    }
    return (actions, wake)
}

/// The events ECS writes for these actions: one "registered N targets" / "deregistered N
/// targets" line per target group, and "has begun draining connections on N tasks."
public func registrationEvents(_ service: String, _ actions: [RegistrationAction]) -> [String] {
    var registered: [(String, Int)] = [], deregistered: [(String, Int)] = []
    var draining = 0
    func add(_ list: inout [(String, Int)], _ targets: [BoundTarget]) {
        for t in targets {
            if let i = list.firstIndex(where: { $0.0 == t.targetGroupArn }) { list[i].1 += 1 } else { list.append((t.targetGroupArn, 1)) }
        }
    }
    for a in actions {
        switch a {
        case .register(_, let targets): add(&registered, targets)
        case .deregister(_, let targets, let stopAt):
            add(&deregistered, targets)
            if stopAt != nil { draining += 1 }
        case .stop: break
        }
    }
    var out = registered.map { EventMessage.registeredTargets(service, count: $0.1, targetGroup: $0.0) }
    out += deregistered.map { EventMessage.deregisteredTargets(service, count: $0.1, targetGroup: $0.0) }
    if draining > 0 { out.append(EventMessage.drainingConnections(service, count: draining)) }
    return out
}

/// Where a task is reachable for a binding (pure): its IP and the container port for awsvpc
/// and bridge tasks that have one, else the host port published for that container port
/// (0.0.0.0 means loopback). nil while neither is known.
public func targetAddress(networkMode: String, containerIP: String?, bindings: [(bindIP: String, containerPort: Int, hostPort: Int)],
                          containerPort: Int) -> (host: String, port: Int)? {
    if networkMode != "host", let ip = containerIP, !ip.isEmpty { return (ip, containerPort) }
    if let b = bindings.first(where: { $0.containerPort == containerPort && $0.hostPort > 0 }) {
        return (b.bindIP.isEmpty || b.bindIP == "0.0.0.0" ? "127.0.0.1" : b.bindIP, b.hostPort)
    }
    return nil
}

extension ServiceState {
    /// Add events the agent writes itself (load balancer registrations), newest first.
    public mutating func addEvents(_ messages: [String], now: Timestamp, config: ControllerConfig, ids: inout some IdentifierSource) {
        for m in messages {
            events.insert(ServiceEvent(id: ids.newEventId(), createdAt: now, message: m), at: 0)
        }
        if events.count > config.maxEvents { events.removeLast(events.count - config.maxEvents) }
    }
}

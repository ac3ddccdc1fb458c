import BerthJSON

/// `ServiceState` as the agent persists it (`services/<cluster>@<name>.json`, member `state`):
/// the keys are the property names, optionals left out when nil, as the synthesized Codable
/// conformances wrote them, so state files of earlier versions read back unchanged. Members in
/// the order they are written.
extension ServiceStatus: JSONReadable, JSONEncodable {}
extension DeploymentStatus: JSONReadable, JSONEncodable {}
extension RolloutState: JSONReadable, JSONEncodable {}
extension StopKind: JSONReadable, JSONEncodable {}

extension ServiceState: JSONRecord {
    public static let blank = ServiceState(serviceName: "", serviceArn: "", clusterArn: "", desiredCount: 0, createdAt: 0)
    public static let members: [JSONMember<ServiceState>] = [
        .required("serviceName", { $1(&$0.serviceName) }), .required("serviceArn", { $1(&$0.serviceArn) }),
        .required("clusterArn", { $1(&$0.clusterArn) }), .required("status", { $1(&$0.status) }),
        .required("desiredCount", { $1(&$0.desiredCount) }),
        .required("deploymentConfiguration", { $1(&$0.deploymentConfiguration) }),
        .required("healthCheckGracePeriodSeconds", { $1(&$0.healthCheckGracePeriodSeconds) }),
        .required("createdAt", { $1(&$0.createdAt) }), .required("deployments", { $1(&$0.deployments) }),
        .required("events", { $1(&$0.events) }), .required("runningCount", { $1(&$0.runningCount) }),
        .required("pendingCount", { $1(&$0.pendingCount) }), .required("throttle", { $1(&$0.throttle) }),
        .optional("lastCompleted", { $1(&$0.lastCompleted) }), .required("bookkeeping", { $1(&$0.bookkeeping) }),
    ]
}

extension DeploymentRef: JSONRecord {
    public static let blank = DeploymentRef(id: "", taskDefinition: "")
    public static let members: [JSONMember<DeploymentRef>] = [
        .required("id", { $1(&$0.id) }), .required("taskDefinition", { $1(&$0.taskDefinition) }),
    ]
}

extension Deployment: JSONRecord {
    public static let blank = Deployment(id: "", status: .primary, taskDefinition: "", desiredCount: 0, createdAt: 0, rolloutStateReason: "")
    public static let members: [JSONMember<Deployment>] = [
        .required("id", { $1(&$0.id) }), .required("status", { $1(&$0.status) }),
        .required("taskDefinition", { $1(&$0.taskDefinition) }), .required("desiredCount", { $1(&$0.desiredCount) }),
        .required("pendingCount", { $1(&$0.pendingCount) }), .required("runningCount", { $1(&$0.runningCount) }),
        .required("failedTasks", { $1(&$0.failedTasks) }), .required("createdAt", { $1(&$0.createdAt) }),
        .required("updatedAt", { $1(&$0.updatedAt) }), .required("rolloutState", { $1(&$0.rolloutState) }),
        .required("rolloutStateReason", { $1(&$0.rolloutStateReason) }),
        .required("healthyTaskSeen", { $1(&$0.healthyTaskSeen) }),
        .optional("restoresDeploymentId", { $1(&$0.restoresDeploymentId) }),
    ]
}

extension DeploymentConfiguration: JSONRecord {
    public static let blank = DeploymentConfiguration()
    public static let members: [JSONMember<DeploymentConfiguration>] = [
        .required("minimumHealthyPercent", { $1(&$0.minimumHealthyPercent) }),
        .required("maximumPercent", { $1(&$0.maximumPercent) }),
        .optional("deploymentCircuitBreaker", { $1(&$0.deploymentCircuitBreaker) }),
    ]
}

extension CircuitBreakerConfiguration: JSONRecord {
    public static let blank = CircuitBreakerConfiguration(enable: false, rollback: false)
    public static let members: [JSONMember<CircuitBreakerConfiguration>] = [
        .required("enable", { $1(&$0.enable) }), .required("rollback", { $1(&$0.rollback) }),
    ]
}

extension ServiceEvent: JSONRecord {
    public static let blank = ServiceEvent(id: "", createdAt: 0, message: "")
    public static let members: [JSONMember<ServiceEvent>] = [
        .required("id", { $1(&$0.id) }), .required("createdAt", { $1(&$0.createdAt) }), .required("message", { $1(&$0.message) }),
    ]
}

extension ThrottleState: JSONRecord {
    public static let blank = ThrottleState()
    public static let members: [JSONMember<ThrottleState>] = [
        .required("consecutiveFailures", { $1(&$0.consecutiveFailures) }), .optional("nextLaunchAt", { $1(&$0.nextLaunchAt) }),
        .required("currentDelay", { $1(&$0.currentDelay) }), .optional("reason", { $1(&$0.reason) }),
        .optional("eventEmittedAt", { $1(&$0.eventEmittedAt) }),
    ]
}

extension Bookkeeping: JSONRecord {
    public static let blank = Bookkeeping()
    public static let members: [JSONMember<Bookkeeping>] = [
        .required("tasks", { $1(&$0.tasks) }), .required("launches", { $1(&$0.launches) }),
        .optional("steadyStateEventAt", { $1(&$0.steadyStateEventAt) }),
        .optional("deadlockEventAt", { $1(&$0.deadlockEventAt) }),
    ]
}

extension TrackedTask: JSONRecord {
    public static let blank = TrackedTask(deploymentId: "", firstSeenAt: 0)
    public static let members: [JSONMember<TrackedTask>] = [
        .required("deploymentId", { $1(&$0.deploymentId) }), .required("wasHealthy", { $1(&$0.wasHealthy) }),
        .optional("stopKind", { $1(&$0.stopKind) }), .required("firstSeenAt", { $1(&$0.firstSeenAt) }),
        .optional("unhealthySince", { $1(&$0.unhealthySince) }), .optional("stopOrderedAt", { $1(&$0.stopOrderedAt) }),
        .optional("stopReason", { $1(&$0.stopReason) }),
    ]
}

extension PendingLaunch: JSONRecord {
    public static let blank = PendingLaunch(taskId: "", deploymentId: "", taskDefinition: "", orderedAt: 0)
    public static let members: [JSONMember<PendingLaunch>] = [
        .required("taskId", { $1(&$0.taskId) }), .required("deploymentId", { $1(&$0.deploymentId) }),
        .required("taskDefinition", { $1(&$0.taskDefinition) }), .required("orderedAt", { $1(&$0.orderedAt) }),
    ]
}

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
        .required("serviceName", \.serviceName), .required("serviceArn", \.serviceArn), .required("clusterArn", \.clusterArn),
        .required("status", \.status), .required("desiredCount", \.desiredCount),
        .required("deploymentConfiguration", \.deploymentConfiguration),
        .required("healthCheckGracePeriodSeconds", \.healthCheckGracePeriodSeconds), .required("createdAt", \.createdAt),
        .required("deployments", \.deployments), .required("events", \.events), .required("runningCount", \.runningCount),
        .required("pendingCount", \.pendingCount), .required("throttle", \.throttle), .optional("lastCompleted", \.lastCompleted),
        .required("bookkeeping", \.bookkeeping),
    ]
}

extension DeploymentRef: JSONRecord {
    public static let blank = DeploymentRef(id: "", taskDefinition: "")
    public static let members: [JSONMember<DeploymentRef>] = [.required("id", \.id), .required("taskDefinition", \.taskDefinition)]
}

extension Deployment: JSONRecord {
    public static let blank = Deployment(id: "", status: .primary, taskDefinition: "", desiredCount: 0, createdAt: 0, rolloutStateReason: "")
    public static let members: [JSONMember<Deployment>] = [
        .required("id", \.id), .required("status", \.status), .required("taskDefinition", \.taskDefinition),
        .required("desiredCount", \.desiredCount), .required("pendingCount", \.pendingCount),
        .required("runningCount", \.runningCount), .required("failedTasks", \.failedTasks), .required("createdAt", \.createdAt),
        .required("updatedAt", \.updatedAt), .required("rolloutState", \.rolloutState),
        .required("rolloutStateReason", \.rolloutStateReason), .required("healthyTaskSeen", \.healthyTaskSeen),
        .optional("restoresDeploymentId", \.restoresDeploymentId),
    ]
}

extension DeploymentConfiguration: JSONRecord {
    public static let blank = DeploymentConfiguration()
    public static let members: [JSONMember<DeploymentConfiguration>] = [
        .required("minimumHealthyPercent", \.minimumHealthyPercent), .required("maximumPercent", \.maximumPercent),
        .optional("deploymentCircuitBreaker", \.deploymentCircuitBreaker),
    ]
}

extension CircuitBreakerConfiguration: JSONRecord {
    public static let blank = CircuitBreakerConfiguration(enable: false, rollback: false)
    public static let members: [JSONMember<CircuitBreakerConfiguration>] = [.required("enable", \.enable), .required("rollback", \.rollback)]
}

extension ServiceEvent: JSONRecord {
    public static let blank = ServiceEvent(id: "", createdAt: 0, message: "")
    public static let members: [JSONMember<ServiceEvent>] = [
        .required("id", \.id), .required("createdAt", \.createdAt), .required("message", \.message),
    ]
}

extension ThrottleState: JSONRecord {
    public static let blank = ThrottleState()
    public static let members: [JSONMember<ThrottleState>] = [
        .required("consecutiveFailures", \.consecutiveFailures), .optional("nextLaunchAt", \.nextLaunchAt),
        .required("currentDelay", \.currentDelay), .optional("reason", \.reason), .optional("eventEmittedAt", \.eventEmittedAt),
    ]
}

extension Bookkeeping: JSONRecord {
    public static let blank = Bookkeeping()
    public static let members: [JSONMember<Bookkeeping>] = [
        .required("tasks", \.tasks), .required("launches", \.launches),
        .optional("steadyStateEventAt", \.steadyStateEventAt), .optional("deadlockEventAt", \.deadlockEventAt),
    ]
}

extension TrackedTask: JSONRecord {
    public static let blank = TrackedTask(deploymentId: "", firstSeenAt: 0)
    public static let members: [JSONMember<TrackedTask>] = [
        .required("deploymentId", \.deploymentId), .required("wasHealthy", \.wasHealthy), .optional("stopKind", \.stopKind),
        .required("firstSeenAt", \.firstSeenAt), .optional("unhealthySince", \.unhealthySince),
        .optional("stopOrderedAt", \.stopOrderedAt), .optional("stopReason", \.stopReason),
    ]
}

extension PendingLaunch: JSONRecord {
    public static let blank = PendingLaunch(taskId: "", deploymentId: "", taskDefinition: "", orderedAt: 0)
    public static let members: [JSONMember<PendingLaunch>] = [
        .required("taskId", \.taskId), .required("deploymentId", \.deploymentId),
        .required("taskDefinition", \.taskDefinition), .required("orderedAt", \.orderedAt),
    ]
}

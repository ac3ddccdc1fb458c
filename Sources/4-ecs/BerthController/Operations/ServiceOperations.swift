/// CreateService input (the parts the controller owns; the agent keeps the rest).
public struct CreateServiceInput: Sendable, Equatable {
    public var serviceName: String
    public var serviceArn: String
    public var clusterArn: String
    public var taskDefinition: String
    public var desiredCount: Int
    public var deploymentConfiguration: DeploymentConfiguration
    public var healthCheckGracePeriodSeconds: Int

    public init(
        serviceName: String, serviceArn: String, clusterArn: String, taskDefinition: String,
        desiredCount: Int, deploymentConfiguration: DeploymentConfiguration = .init(),
        healthCheckGracePeriodSeconds: Int = 0
    ) {
        self.serviceName = serviceName
        self.serviceArn = serviceArn
        self.clusterArn = clusterArn
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.deploymentConfiguration = deploymentConfiguration
        self.healthCheckGracePeriodSeconds = healthCheckGracePeriodSeconds
    }
}

/// UpdateService input; nil means "leave as is".
public struct UpdateServiceInput: Sendable, Equatable {
    public var desiredCount: Int?
    public var taskDefinition: String?
    public var deploymentConfiguration: DeploymentConfiguration?
    public var healthCheckGracePeriodSeconds: Int?
    /// Also set this when a field that starts a new deployment changed outside the
    /// controller's model (networkConfiguration, platformVersion, ...).
    public var forceNewDeployment: Bool

    public init(
        desiredCount: Int? = nil, taskDefinition: String? = nil,
        deploymentConfiguration: DeploymentConfiguration? = nil,
        healthCheckGracePeriodSeconds: Int? = nil, forceNewDeployment: Bool = false
    ) {
        self.desiredCount = desiredCount
        self.taskDefinition = taskDefinition
        self.deploymentConfiguration = deploymentConfiguration
        self.healthCheckGracePeriodSeconds = healthCheckGracePeriodSeconds
        self.forceNewDeployment = forceNewDeployment
    }
}

/// CreateService: one PRIMARY deployment IN_PROGRESS with the service's desiredCount.
public func createService(_ input: CreateServiceInput, now: Timestamp) throws(ServiceError) -> ServiceState {
    try validate(desiredCount: input.desiredCount)
    try validate(input.deploymentConfiguration)
    try validate(gracePeriod: input.healthCheckGracePeriodSeconds)
    var state = ServiceState(
        serviceName: input.serviceName, serviceArn: input.serviceArn, clusterArn: input.clusterArn,
        desiredCount: input.desiredCount, deploymentConfiguration: input.deploymentConfiguration,
        healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds, createdAt: now)
    state.addDeployment(taskDefinition: input.taskDefinition, now: now)
    return state
}

/// UpdateService. A new PRIMARY deployment starts when the task definition changes or
/// `forceNewDeployment` is set; desiredCount, deploymentConfiguration and the grace period
/// apply to the running deployment (ecs-semantics §5.1).
public func updateService(
    _ state: ServiceState, _ input: UpdateServiceInput, now: Timestamp
) throws(ServiceError) -> ServiceState {
    guard state.status == .active else { throw .notActive }
    if let count = input.desiredCount { try validate(desiredCount: count) }
    if let config = input.deploymentConfiguration { try validate(config) }
    if let grace = input.healthCheckGracePeriodSeconds { try validate(gracePeriod: grace) }
    var next = state
    if let count = input.desiredCount { next.desiredCount = count }
    if let config = input.deploymentConfiguration { next.deploymentConfiguration = config }
    if let grace = input.healthCheckGracePeriodSeconds { next.healthCheckGracePeriodSeconds = grace }
    let taskDefinition = input.taskDefinition ?? state.taskDefinition
    if input.forceNewDeployment || taskDefinition != state.taskDefinition {
        next.addDeployment(taskDefinition: taskDefinition, now: now)
    } else if let index = next.deployments.firstIndex(where: { $0.status == .primary }),
        next.deployments[index].desiredCount != next.desiredCount
    {
        next.deployments[index].desiredCount = next.desiredCount
        next.deployments[index].updatedAt = now
    }
    return next
}

/// DeleteService: refuses while scaled above 0 unless `force`; then DRAINING with
/// desiredCount 0. Reconcile stops the tasks and marks the service INACTIVE once none is left.
public func deleteService(_ state: ServiceState, force: Bool, now: Timestamp) throws(ServiceError) -> ServiceState {
    guard state.status == .active else {
        if state.status == .draining { return state }
        throw ServiceError("ServiceNotFoundException", "Service not found.")
    }
    guard state.desiredCount == 0 || force else {
        throw .invalid("The service cannot be stopped while it is scaled above 0.")
    }
    var next = state
    next.desiredCount = 0
    next.status = .draining
    for index in next.deployments.indices where next.deployments[index].status == .primary {
        next.deployments[index].desiredCount = 0
        next.deployments[index].updatedAt = now
    }
    next.bookkeeping.steadyStateEventAt = nil
    return next
}

extension ServiceState {
    /// New PRIMARY deployment; the previous PRIMARY becomes ACTIVE and drains. A new
    /// deployment resets the restart throttle (ecs-semantics §5.8).
    mutating func addDeployment(
        taskDefinition: String, now: Timestamp, restoring: String? = nil, reason: String? = nil
    ) {
        for index in deployments.indices where deployments[index].status == .primary {
            deployments[index].status = .active
            deployments[index].updatedAt = now
        }
        let id = makeDeploymentId(now: now, taken: Set(deployments.map(\.id) + [lastCompleted?.id].compactMap { $0 }))
        let deployment = Deployment(
            id: id, status: .primary, taskDefinition: taskDefinition, desiredCount: desiredCount,
            createdAt: now, rolloutStateReason: reason ?? ReasonText.inProgress(id),
            restoresDeploymentId: restoring)
        deployments.insert(deployment, at: 0)
        throttle = ThrottleState()
        bookkeeping.steadyStateEventAt = nil
    }
}

private func validate(desiredCount: Int) throws(ServiceError) {
    guard desiredCount >= 0 else {
        throw .invalid("desiredCount can't be negative.")
    }
    guard desiredCount <= 5000 else {
        throw .invalid("desiredCount can't be greater than 5000.")
    }
}

private func validate(gracePeriod: Int) throws(ServiceError) {
    guard gracePeriod >= 0 else {
        throw .invalid("healthCheckGracePeriodSeconds can't be negative.")
    }
}

private func validate(_ config: DeploymentConfiguration) throws(ServiceError) {
    guard (0...100).contains(config.minimumHealthyPercent) else {
        throw .invalid("deploymentConfiguration.minimumHealthyPercent must be between 0 and 100.")
    }
    guard (100...2000).contains(config.maximumPercent) else {
        throw .invalid("deploymentConfiguration.maximumPercent must be between 100 and 2000.")
    }
}

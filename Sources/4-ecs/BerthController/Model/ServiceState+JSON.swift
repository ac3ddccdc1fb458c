import BerthJSON

/// `ServiceState` as the agent persists it (`services/<cluster>@<name>.json`, member `state`):
/// the keys are the property names, optionals left out when nil, as the synthesized Codable
/// conformances wrote them, so state files of earlier versions read back unchanged.
extension ServiceStatus: JSONReadable, JSONEncodable {}
extension DeploymentStatus: JSONReadable, JSONEncodable {}
extension RolloutState: JSONReadable, JSONEncodable {}
extension StopKind: JSONReadable, JSONEncodable {}

extension ServiceState: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(
            serviceName: try o.required("serviceName"), serviceArn: try o.required("serviceArn"),
            clusterArn: try o.required("clusterArn"), status: try o.required("status"),
            desiredCount: try o.required("desiredCount"), deploymentConfiguration: try o.required("deploymentConfiguration"),
            healthCheckGracePeriodSeconds: try o.required("healthCheckGracePeriodSeconds"), createdAt: try o.required("createdAt"),
            deployments: try o.required("deployments"), events: try o.required("events"),
            runningCount: try o.required("runningCount"), pendingCount: try o.required("pendingCount"),
            throttle: try o.required("throttle"), lastCompleted: try o.optional("lastCompleted"),
            bookkeeping: try o.required("bookkeeping"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("serviceName", serviceName); o.set("serviceArn", serviceArn); o.set("clusterArn", clusterArn)
        o.set("status", status); o.set("desiredCount", desiredCount); o.set("deploymentConfiguration", deploymentConfiguration)
        o.set("healthCheckGracePeriodSeconds", healthCheckGracePeriodSeconds); o.set("createdAt", createdAt)
        o.set("deployments", deployments); o.set("events", events); o.set("runningCount", runningCount)
        o.set("pendingCount", pendingCount); o.set("throttle", throttle); o.set("lastCompleted", lastCompleted)
        o.set("bookkeeping", bookkeeping)
        return o.value
    }
}

extension DeploymentRef: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(id: try o.required("id"), taskDefinition: try o.required("taskDefinition"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("id", id); o.set("taskDefinition", taskDefinition)
        return o.value
    }
}

extension Deployment: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(id: try o.required("id"), status: try o.required("status"), taskDefinition: try o.required("taskDefinition"),
                  desiredCount: try o.required("desiredCount"), createdAt: try o.required("createdAt"),
                  rolloutStateReason: try o.required("rolloutStateReason"), restoresDeploymentId: try o.optional("restoresDeploymentId"))
        pendingCount = try o.required("pendingCount")
        runningCount = try o.required("runningCount")
        failedTasks = try o.required("failedTasks")
        updatedAt = try o.required("updatedAt")
        rolloutState = try o.required("rolloutState")
        healthyTaskSeen = try o.required("healthyTaskSeen")
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("id", id); o.set("status", status); o.set("taskDefinition", taskDefinition); o.set("desiredCount", desiredCount)
        o.set("pendingCount", pendingCount); o.set("runningCount", runningCount); o.set("failedTasks", failedTasks)
        o.set("createdAt", createdAt); o.set("updatedAt", updatedAt); o.set("rolloutState", rolloutState)
        o.set("rolloutStateReason", rolloutStateReason); o.set("healthyTaskSeen", healthyTaskSeen)
        o.set("restoresDeploymentId", restoresDeploymentId)
        return o.value
    }
}

extension DeploymentConfiguration: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(minimumHealthyPercent: try o.required("minimumHealthyPercent"), maximumPercent: try o.required("maximumPercent"),
                  deploymentCircuitBreaker: try o.optional("deploymentCircuitBreaker"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("minimumHealthyPercent", minimumHealthyPercent); o.set("maximumPercent", maximumPercent)
        o.set("deploymentCircuitBreaker", deploymentCircuitBreaker)
        return o.value
    }
}

extension CircuitBreakerConfiguration: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(enable: try o.required("enable"), rollback: try o.required("rollback"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("enable", enable); o.set("rollback", rollback)
        return o.value
    }
}

extension ServiceEvent: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(id: try o.required("id"), createdAt: try o.required("createdAt"), message: try o.required("message"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("id", id); o.set("createdAt", createdAt); o.set("message", message)
        return o.value
    }
}

extension ThrottleState: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init()
        consecutiveFailures = try o.required("consecutiveFailures")
        nextLaunchAt = try o.optional("nextLaunchAt")
        currentDelay = try o.required("currentDelay")
        reason = try o.optional("reason")
        eventEmittedAt = try o.optional("eventEmittedAt")
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("consecutiveFailures", consecutiveFailures); o.set("nextLaunchAt", nextLaunchAt)
        o.set("currentDelay", currentDelay); o.set("reason", reason); o.set("eventEmittedAt", eventEmittedAt)
        return o.value
    }
}

extension Bookkeeping: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init()
        tasks = try o.required("tasks")
        launches = try o.required("launches")
        steadyStateEventAt = try o.optional("steadyStateEventAt")
        deadlockEventAt = try o.optional("deadlockEventAt")
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("tasks", tasks); o.set("launches", launches)
        o.set("steadyStateEventAt", steadyStateEventAt); o.set("deadlockEventAt", deadlockEventAt)
        return o.value
    }
}

extension TrackedTask: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(deploymentId: try o.required("deploymentId"), firstSeenAt: try o.required("firstSeenAt"))
        wasHealthy = try o.required("wasHealthy")
        stopKind = try o.optional("stopKind")
        unhealthySince = try o.optional("unhealthySince")
        stopOrderedAt = try o.optional("stopOrderedAt")
        stopReason = try o.optional("stopReason")
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("deploymentId", deploymentId); o.set("wasHealthy", wasHealthy); o.set("stopKind", stopKind)
        o.set("firstSeenAt", firstSeenAt); o.set("unhealthySince", unhealthySince)
        o.set("stopOrderedAt", stopOrderedAt); o.set("stopReason", stopReason)
        return o.value
    }
}

extension PendingLaunch: JSONReadable, JSONEncodable {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let o = try JSONObjectReader(json, path: path)
        self.init(taskId: try o.required("taskId"), deploymentId: try o.required("deploymentId"),
                  taskDefinition: try o.required("taskDefinition"), orderedAt: try o.required("orderedAt"))
    }

    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("taskId", taskId); o.set("deploymentId", deploymentId); o.set("taskDefinition", taskDefinition)
        o.set("orderedAt", orderedAt)
        return o.value
    }
}

import BerthController
import BerthECS
import BerthJSON

/// In-memory records of what the agent owns. Each persists as one JSON file (StateStore).

struct ClusterRecord {
    var name: String
    var status: String
    var tags: [(String, String)]
    var settings: JSONValue?
    var createdAt: Double
    /// `serviceConnectDefaults.namespace`: the ARN of the Cloud Map namespace.
    var serviceConnectNamespace: String?
    /// `capacityProviders` (FARGATE, FARGATE_SPOT) and `defaultCapacityProviderStrategy` as given.
    var capacityProviders: [String] = []
    var defaultCapacityProviderStrategy: [JSONValue] = []

    var json: JSONValue {
        .obj([("clusterName", .string(name)), ("status", .string(status)), ("tags", tagsJSON(tags)), ("settings", settings),
              ("createdAt", .timestamp(createdAt)), ("serviceConnectNamespace", serviceConnectNamespace.map(JSONValue.string)),
              ("capacityProviders", capacityProviders.isEmpty ? nil : .array(capacityProviders.map(JSONValue.string))),
              ("defaultCapacityProviderStrategy", defaultCapacityProviderStrategy.isEmpty ? nil : .array(defaultCapacityProviderStrategy))])
    }

    init(name: String, status: String = "ACTIVE", tags: [(String, String)] = [], settings: JSONValue? = nil, createdAt: Double) {
        self.name = name
        self.status = status
        self.tags = tags
        self.settings = settings
        self.createdAt = createdAt
    }

    init?(json: JSONValue) {
        guard let name = json["clusterName"]?.stringValue, isValidName(name) else { return nil }
        self.init(name: name, status: json["status"]?.stringValue ?? "ACTIVE", tags: tagsFrom(json["tags"]), settings: json["settings"],
                  createdAt: json["createdAt"]?.doubleValue ?? 0)
        serviceConnectNamespace = json["serviceConnectNamespace"]?.stringValue
        capacityProviders = (json["capacityProviders"]?.arrayValue ?? []).compactMap(\.stringValue)
        defaultCapacityProviderStrategy = json["defaultCapacityProviderStrategy"]?.arrayValue ?? []
    }
}

struct TaskDefRecord {
    /// The TaskDefinition exactly as DescribeTaskDefinition returns it.
    var taskDefinition: JSONValue
    var tags: [(String, String)]

    var family: String { taskDefinition["family"]?.stringValue ?? "" }
    var revision: Int { taskDefinition["revision"]?.intValue ?? 0 }
    var status: String { taskDefinition["status"]?.stringValue ?? "ACTIVE" }
    var arn: String { taskDefinition["taskDefinitionArn"]?.stringValue ?? "" }
    var key: String { "\(family):\(revision)" }

    var json: JSONValue { ["taskDefinition": taskDefinition, "tags": tagsJSON(tags)] }

    init(taskDefinition: JSONValue, tags: [(String, String)]) {
        self.taskDefinition = taskDefinition
        self.tags = tags
    }

    init?(json: JSONValue) {
        guard let td = json["taskDefinition"], td["family"]?.stringValue != nil, td["revision"]?.intValue != nil,
              td["taskDefinitionArn"]?.stringValue != nil else { return nil }
        self.init(taskDefinition: td, tags: tagsFrom(json["tags"]))
    }
}

struct TaskRecord {
    /// The Task as DescribeTasks returns it (without tags, kept apart).
    var task: ECSTask { didSet { taskJSON = task.jsonValue } }
    /// `task` encoded once per change: DescribeTasks and persistence answer with it as is.
    private(set) var taskJSON: JSONValue
    var plan: TaskLaunchPlan
    var tags: [(String, String)]
    var clientToken: String?
    /// Set when the engine has been asked to stop the task.
    var stopSent: Bool
    /// Load balancer targets registered for this service task.
    var registeredTargets: [BoundTarget] = []
    /// Deregistered for a stop: the engine stop is due then (after the deregistration delay).
    var drainUntil: Double?

    var id: String { plan.taskId }
    var arn: String { plan.taskArn }
    var cluster: String { plan.clusterName }
    var lastStatus: TaskStatus { task.lastStatus }
    var desiredStatus: DesiredStatus { task.desiredStatus }
    /// The stop DescribeTasks answers with once desiredStatus is STOPPED (what the engine must carry out).
    var stopIntent: StopIntent? {
        guard task.desiredStatus == .stopped, let code = task.stopCode else { return nil }
        return StopIntent(code: code, reason: task.stoppedReason ?? "")
    }

    var json: JSONValue {
        .obj([("task", taskJSON), ("plan", plan.json), ("tags", tagsJSON(tags)), ("clientToken", clientToken.map(JSONValue.string)),
              ("stopSent", .bool(stopSent)),
              ("registeredTargets", registeredTargets.isEmpty ? nil : .array(registeredTargets.map {
                  ["targetGroupArn": .string($0.targetGroupArn), "host": .string($0.host), "port": .int($0.port)]
              })),
              ("drainUntil", drainUntil.map(JSONValue.double))])
    }

    init(task: ECSTask, plan: TaskLaunchPlan, tags: [(String, String)], clientToken: String?) {
        self.task = task
        self.taskJSON = task.jsonValue
        self.plan = plan
        self.tags = tags
        self.clientToken = clientToken
        self.stopSent = false
    }

    /// Reads a state file, also one written before the task was typed (same members).
    init?(json: JSONValue) {
        guard let raw = json["task"], raw["taskArn"]?.stringValue != nil, let planJSON = json["plan"], let plan = TaskLaunchPlan(json: planJSON),
              let task = JSONRequest.decode(raw, as: ECSTask.self).0 else { return nil }
        self.init(task: task, plan: plan, tags: tagsFrom(json["tags"]), clientToken: json["clientToken"]?.stringValue)
        stopSent = json["stopSent"]?.boolValue ?? false
        registeredTargets = (json["registeredTargets"]?.arrayValue ?? []).compactMap { t in
            guard let g = t["targetGroupArn"]?.stringValue, let h = t["host"]?.stringValue, let p = t["port"]?.intValue else { return nil }
            return BoundTarget(targetGroupArn: g, host: h, port: p)
        }
        drainUntil = json["drainUntil"]?.doubleValue
    }
}

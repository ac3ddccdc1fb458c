import BerthJSON

/// The task record (`TaskLayout.recordPath`), the final record and `berth run --snapshot`, with
/// the keys the Codable conformance used; the status enums go through their raw values.
extension TaskSnapshot: JSONRecord {
    public static let blank = TaskSnapshot(taskId: "", lastStatus: .provisioning, desiredStatus: .running, healthStatus: .unknown, createdAt: 0,
                                           version: 0, containers: [])
    public static let members: [JSONMember<TaskSnapshot>] = [
        .required("taskId", { $1(&$0.taskId) }), .required("lastStatus", raw: { $1(&$0.lastStatus) }),
        .required("desiredStatus", raw: { $1(&$0.desiredStatus) }), .required("healthStatus", raw: { $1(&$0.healthStatus) }),
        .optional("stopCode", raw: { $1(&$0.stopCode) }), .optional("stoppedReason", { $1(&$0.stoppedReason) }),
        .required("createdAt", { $1(&$0.createdAt) }), .optional("startedAt", { $1(&$0.startedAt) }),
        .optional("stoppingAt", { $1(&$0.stoppingAt) }), .optional("executionStoppedAt", { $1(&$0.executionStoppedAt) }),
        .optional("stoppedAt", { $1(&$0.stoppedAt) }), .required("version", { $1(&$0.version) }),
        .optional("stoppedByContainer", { $1(&$0.stoppedByContainer) }), .required("containers", { $1(&$0.containers) }),
    ]
}

extension ContainerSnapshot: JSONRecord {
    public static let blank = ContainerSnapshot(name: "", runtimeId: "", essential: false, lastStatus: .pending, healthStatus: .unknown,
                                                restartCount: 0)
    public static let members: [JSONMember<ContainerSnapshot>] = [
        .required("name", { $1(&$0.name) }), .required("runtimeId", { $1(&$0.runtimeId) }),
        .required("essential", { $1(&$0.essential) }), .required("lastStatus", raw: { $1(&$0.lastStatus) }),
        .optional("exitCode", { $1(&$0.exitCode) }), .optional("reason", { $1(&$0.reason) }),
        .required("healthStatus", raw: { $1(&$0.healthStatus) }), .optional("lastHealthOutput", { $1(&$0.lastHealthOutput) }),
        .optional("startedAt", { $1(&$0.startedAt) }), .optional("finishedAt", { $1(&$0.finishedAt) }),
        .required("restartCount", { $1(&$0.restartCount) }), .optional("lastRestartAt", { $1(&$0.lastRestartAt) }),
        .optional("pid", { $1(&$0.pid) }), .optional("networkBindings", { $1(&$0.networkBindings) }),
    ]
}

extension PublishedPort: JSONRecord {
    public static let blank = PublishedPort(container: "", containerPort: 0, hostPort: 0)
    public static let members: [JSONMember<PublishedPort>] = [
        .required("container", { $1(&$0.container) }), .required("containerPort", { $1(&$0.containerPort) }),
        .required("hostPort", { $1(&$0.hostPort) }), .required("bindIP", { $1(&$0.bindIP) }),
        .required("protocol", { $1(&$0.protocol) }),
    ]
}

extension TaskSnapshot {
    /// The record file's text: compact, keys sorted.
    public var recordBytes: [UInt8] { jsonValue.serializedBytes(sortedKeys: true) }
}

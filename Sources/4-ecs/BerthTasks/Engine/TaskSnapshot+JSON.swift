import BerthJSON

/// The task record (`TaskLayout.recordPath`), the final record and `berth run --snapshot`, with
/// the keys the Codable conformance used; the status enums go through their raw values.
extension TaskSnapshot: JSONRecord {
    public static let blank = TaskSnapshot(taskId: "", lastStatus: .provisioning, desiredStatus: .running, healthStatus: .unknown, createdAt: 0,
                                           version: 0, containers: [])
    public static let members: [JSONMember<TaskSnapshot>] = [
        .required("taskId", \.taskId), .required("lastStatus", raw: \.lastStatus), .required("desiredStatus", raw: \.desiredStatus),
        .required("healthStatus", raw: \.healthStatus), .optional("stopCode", raw: \.stopCode),
        .optional("stoppedReason", \.stoppedReason), .required("createdAt", \.createdAt), .optional("startedAt", \.startedAt),
        .optional("stoppingAt", \.stoppingAt), .optional("executionStoppedAt", \.executionStoppedAt),
        .optional("stoppedAt", \.stoppedAt), .required("version", \.version),
        .optional("stoppedByContainer", \.stoppedByContainer), .required("containers", \.containers),
    ]
}

extension ContainerSnapshot: JSONRecord {
    public static let blank = ContainerSnapshot(name: "", runtimeId: "", essential: false, lastStatus: .pending, healthStatus: .unknown,
                                                restartCount: 0)
    public static let members: [JSONMember<ContainerSnapshot>] = [
        .required("name", \.name), .required("runtimeId", \.runtimeId), .required("essential", \.essential),
        .required("lastStatus", raw: \.lastStatus), .optional("exitCode", \.exitCode), .optional("reason", \.reason),
        .required("healthStatus", raw: \.healthStatus), .optional("lastHealthOutput", \.lastHealthOutput),
        .optional("startedAt", \.startedAt), .optional("finishedAt", \.finishedAt), .required("restartCount", \.restartCount),
        .optional("lastRestartAt", \.lastRestartAt), .optional("pid", \.pid), .optional("networkBindings", \.networkBindings),
    ]
}

extension PublishedPort: JSONRecord {
    public static let blank = PublishedPort(container: "", containerPort: 0, hostPort: 0)
    public static let members: [JSONMember<PublishedPort>] = [
        .required("container", \.container), .required("containerPort", \.containerPort), .required("hostPort", \.hostPort),
        .required("bindIP", \.bindIP), .required("protocol", \.protocol),
    ]
}

extension TaskSnapshot {
    /// The record file's text: compact, keys sorted.
    public var recordBytes: [UInt8] { jsonValue.serializedBytes(sortedKeys: true) }
}

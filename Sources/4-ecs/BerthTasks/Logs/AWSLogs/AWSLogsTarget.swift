import BerthECS

/// Where an awslogs container's output goes: CloudWatch log group and stream, as ECS names them.
public struct AWSLogsTarget: Sendable, Equatable {
    public var group: String
    public var stream: String
    /// `awslogs-create-group: "true"`: create the group when it is missing.
    public var createGroup: Bool

    /// Options honoured; every other option is refused, naming it (none is silently ignored).
    ///   awslogs-region: must be the agent's region or absent (one local store serves one region)
    ///   mode: blocking (ECS's default) or non-blocking (output goes to a file either way: never blocks)
    ///   max-buffer-size: accepted with mode non-blocking (there is no buffer to bound)
    static let known: Set<String> = ["awslogs-group", "awslogs-stream-prefix", "awslogs-create-group", "awslogs-region", "mode", "max-buffer-size"]

    /// The target of a container with `logDriver: awslogs`; nil for any other driver.
    /// `path` is the container's JSON path; `runtimeId` names the stream when there is no prefix
    /// (ECS on EC2 names it after the Docker container id; Fargate requires a prefix).
    public static func of(_ c: ContainerDefinition, taskId: String, runtimeId: String, region: String?, path: String) throws(TranslationError) -> AWSLogsTarget? {
        guard let log = c.logConfiguration, log.logDriver == .awslogs else { return nil }
        let options = log.options ?? [:]
        let at = path + ".logConfiguration.options"
        for key in options.keys.sorted() where !known.contains(key) {
            throw TranslationError("\(at).\(key)", "awslogs option \(key.debugDescription) is not supported by Berth's CloudWatch Logs emulation (supported: \(known.sorted().joined(separator: ", ")))")
        }
        guard let group = options["awslogs-group"], !group.isEmpty else {
            throw TranslationError("\(at).awslogs-group", "awslogs requires the option awslogs-group")
        }
        if let want = options["awslogs-region"], let region, want != region {
            throw TranslationError("\(at).awslogs-region", "awslogs-region \(want.debugDescription) is not this host's region \(region.debugDescription): Berth's CloudWatch Logs answers one region")
        }
        let create = options["awslogs-create-group"]
        if let create, create != "true", create != "false" {
            throw TranslationError("\(at).awslogs-create-group", "awslogs-create-group must be \"true\" or \"false\", not \(create.debugDescription)")
        }
        let mode = options["mode"]
        if let mode, mode != "blocking", mode != "non-blocking" {
            throw TranslationError("\(at).mode", "mode must be \"blocking\" or \"non-blocking\", not \(mode.debugDescription)")
        }
        if options["max-buffer-size"] != nil, mode != "non-blocking" {
            throw TranslationError("\(at).max-buffer-size", "max-buffer-size is only valid with mode \"non-blocking\"")
        }
        let name = c.name ?? ""
        let stream = options["awslogs-stream-prefix"].map { "\($0)/\(name)/\(taskId)" } ?? runtimeId
        return AWSLogsTarget(group: group, stream: stream, createGroup: create == "true")
    }

    /// What the awslogs driver says when the group is missing and it may not create it
    /// (Fargate's text: the container never starts).
    public static func missingGroupReason(_ group: String) -> String {
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"
    }
}

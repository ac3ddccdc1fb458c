import BerthSys

/// Names of one task on the metadata endpoint, all pure functions of the task and a secret
/// only the agent knows (its SigV4 secret), so they survive an agent restart unchanged (the
/// containers keep the environment they were started with) and cannot be guessed by a task.
public struct TaskMetadataIdentity: Sendable {
    /// The ECS address of the endpoint; a task with its own network namespace reaches its own
    /// responder there.
    public static let address = "169.254.170.2"
    let secret: [UInt8]

    public init(secret: some Collection<UInt8>) { self.secret = Array(secret) }

    /// A container's id on the endpoint (DockerId, the last path segment of its v4 URI): the
    /// task id and ten digits, as Fargate names them (`<task id>-<number>`).
    public static func containerId(taskId: String, name: String) -> String {
        let h = SHA256.hash(Array(name.utf8))
        let n = h.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 10_000_000_000
        let digits = String(n)
        return taskId + "-" + String(repeating: "0", count: 10 - digits.count) + digits
    }

    /// The id in `/v2/credentials/<id>`: unguessable, one per task.
    public func credentialsId(taskArn: String) -> String { uuid(HMAC.sha256(key: secret, "berth task credentials " + taskArn)) }

    /// For a host-network task: the path prefix (and Authorization token) that identifies it on
    /// the agent's loopback metadata listener.
    public func hostToken(taskArn: String) -> String { Hex.encode(HMAC.sha256(key: secret, "berth task metadata " + taskArn).prefix(20)) }

    func uuid(_ bytes: [UInt8]) -> String {
        let h = Hex.encode(bytes.prefix(16))
        let c = Array(h)
        return [c[0..<8], c[8..<12], c[12..<16], c[16..<20], c[20..<32]].map { String($0) }.joined(separator: "-")
    }

    /// Where a task's containers find the endpoint.
    public enum Reach: Sendable, Equatable {
        /// Its own namespace: 169.254.170.2:80 is the task's own responder.
        case taskNamespace
        /// The host's namespace: the agent's loopback listener, with the task's token.
        case hostLoopback(port: UInt16)
    }

    /// The variables ECS sets in each container, per container name (a container's own
    /// definition wins over them). Credentials only for a task with a task role.
    public func environment(taskArn: String, taskId: String, containerNames: [String], taskRoleArn: String?,
                            reach: Reach) -> [String: [(name: String, value: String)]] {
        let base: String
        var credentials: [(name: String, value: String)] = []
        switch reach {
        case .taskNamespace:
            base = "http://\(Self.address)"
            if taskRoleArn != nil {
                credentials = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/" + credentialsId(taskArn: taskArn))]
            }
        case .hostLoopback(let port):
            let token = hostToken(taskArn: taskArn)
            base = "http://127.0.0.1:\(port)/\(token)"
            if taskRoleArn != nil {
                credentials = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", base + "/v2/credentials/" + credentialsId(taskArn: taskArn)),
                               ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token)]
            }
        }
        var out: [String: [(name: String, value: String)]] = [:]
        for name in containerNames {
            let id = Self.containerId(taskId: taskId, name: name)
            out[name] = [("ECS_CONTAINER_METADATA_URI_V4", "\(base)/v4/\(id)"), ("ECS_CONTAINER_METADATA_URI", "\(base)/v3/\(id)")] + credentials
        }
        return out
    }
}

import BerthECS
import BerthHTTP
import BerthJSON
import BerthSys
import Foundation

/// The task metadata endpoint (v4, v3) and container credentials (`/v2/credentials/<id>`).
///
/// Which task asks is known from where the request arrives, never from the request: a task with
/// its own network namespace has a listener of its own (its connections carry the tag
/// `task:<arn>`, see `listenerTag`); a host-network task reaches the agent's loopback listener
/// under a path prefix only it was given (`TaskMetadataIdentity.hostToken`), which
/// it must also send as `Authorization`. An id of another task, or of nothing, is a 404.
public final class TaskMetadataResponder: HTTPHandler, @unchecked Sendable {
    public static func listenerTag(taskArn: String) -> String { "task:" + taskArn }

    let source: any TaskMetadataSource
    let identity: TaskMetadataIdentity
    public let roles: RoleCredentialStore
    let address: @Sendable (TaskLaunchPlan) -> String?
    let clock: @Sendable () -> Double
    let log: @Sendable (String) -> Void
    private let lock = NSLock()
    /// Host-network tasks by token.
    private var hostTasks: [String: String] = [:]
    /// The previous stats sample per container id (`precpu_stats`).
    private var samples: [String: TaskMetadataJSON.Sample] = [:]

    public init(source: any TaskMetadataSource, identity: TaskMetadataIdentity, roles: RoleCredentialStore,
                address: @escaping @Sendable (TaskLaunchPlan) -> String? = { _ in nil },
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { printErrLine("berth agent: " + $0) }) {
        self.source = source
        self.identity = identity
        self.roles = roles
        self.address = address
        self.clock = clock
        self.log = log
    }

    /// A host-network task may now use the loopback listener.
    public func registerHostTask(taskArn: String) {
        lock.withLock { hostTasks[identity.hostToken(taskArn: taskArn)] = taskArn }
    }

    /// The task is gone: forget its token and samples.
    public func forget(taskArn: String) {
        lock.withLock {
            hostTasks[identity.hostToken(taskArn: taskArn)] = nil
            let prefix = (taskArn.split(separator: "/").last).map { String($0) + "-" } ?? "\u{0}"
            samples = samples.filter { !$0.key.hasPrefix(prefix) }
        }
    }

    public func protocolError(_ error: HTTPProtocolError) -> HTTPResponse {
        Self.json(error.status, .string(error.message))
    }

    public func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse {
        var path = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let taskArn: String
        if connection.listener.hasPrefix("task:") {
            taskArn = String(connection.listener.dropFirst(5))
        } else if let token = path.first, let arn = lock.withLock({ hostTasks[token] }) {
            // The loopback listener: the path's token names the task; credentials also need it
            // as Authorization (AWS_CONTAINER_AUTHORIZATION_TOKEN), as the SDKs send it.
            taskArn = arn
            path.removeFirst()
            if path.first == "v2", request.header("Authorization") != token {
                return Self.json(401, .obj([("code", "AccessDeniedException"), ("message", "CredentialsV2Request: the Authorization header is missing or wrong"),
                                            ("HTTPErrorCode", .int(401))]))
            }
        } else {
            return Self.json(404, "Unable to find the task for this request")
        }
        guard request.method == "GET" || request.method == "HEAD" else { return Self.json(405, .string("Method not allowed: \(request.method)")) }
        guard let view = source.metadataView(taskArn: taskArn) else { return Self.json(404, "Unable to find the task for this request") }
        switch path.first {
        case "v2" where path.count == 3 && path[1] == "credentials":
            return credentials(view, id: path[2])
        case "v4", "v3":
            return metadata(view, v4: path[0] == "v4", Array(path.dropFirst()))
        default:
            return Self.json(404, "404 page not found")
        }
    }

    func metadata(_ view: TaskMetadataView, v4: Bool, _ rest: [String]) -> HTTPResponse {
        let handler = v4 ? "V4" : "V3"
        guard let id = rest.first, let container = view.task.containers.first(where: {
            TaskMetadataIdentity.containerId(taskId: view.plan.taskId, name: $0.name) == id
        }) else {
            return Self.json(404, .string("\(handler) container metadata handler: unable to get task arn from request: unable to get container id from request: \(rest.first ?? "")"))
        }
        let now = clock()
        let address = self.address(view.plan)
        switch Array(rest.dropFirst()) {
        case []:
            return Self.json(200, TaskMetadataJSON.container(view, container, address: address, v4: v4))
        case ["task"]:
            return Self.json(200, TaskMetadataJSON.task(view, address: address, v4: v4, now: now))
        case ["taskWithTags"] where v4:
            return Self.json(200, TaskMetadataJSON.task(view, address: address, withTags: true, v4: v4, now: now))
        case ["stats"]:
            return stats(view, only: container.name, handler)
        case ["task", "stats"]:
            return stats(view, only: nil, handler)
        default:
            return Self.json(404, "404 page not found")
        }
    }

    func stats(_ view: TaskMetadataView, only: String?, _ handler: String) -> HTTPResponse {
        let s: TaskStats
        do { s = try source.metadataStats(taskArn: view.plan.taskArn) } catch {
            return Self.json(500, .string("\(handler) stats handler: unable to get stats for task \(view.plan.taskArn): \(error)"))
        }
        var out: [(String, JSONValue?)] = []
        for c in s.containers where only == nil || c.name == only {
            let id = TaskMetadataIdentity.containerId(taskId: view.plan.taskId, name: c.name)
            let previous = lock.withLock { samples[id] }
            let (json, sample) = TaskMetadataJSON.stats(id: id, name: "ecs-\(view.plan.family)-\(TaskMetadataJSON.revision(view))-\(c.name)", c,
                                                         task: s, previous: previous)
            lock.withLock { samples[id] = sample }
            out.append((id, json))
        }
        if only != nil { return Self.json(200, out.first?.1 ?? .obj([])) }
        // Containers that are not running have no cgroup: ECS answers null for them.
        for c in view.task.containers where !out.contains(where: { $0.0 == TaskMetadataIdentity.containerId(taskId: view.plan.taskId, name: c.name) }) {
            out.append((TaskMetadataIdentity.containerId(taskId: view.plan.taskId, name: c.name), .null))
        }
        return Self.json(200, .obj(out))
    }

    func credentials(_ view: TaskMetadataView, id: String) -> HTTPResponse {
        func refuse(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
            Self.json(status, .obj([("code", .string(code)), ("message", .string(message)), ("HTTPErrorCode", .int(status))]))
        }
        guard id == identity.credentialsId(taskArn: view.plan.taskArn) else {
            return refuse(400, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
        }
        guard let role = view.plan.overrides?.taskRoleArn ?? view.plan.taskDefinition["taskRoleArn"]?.stringValue else {
            return refuse(400, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
        }
        let credential: RoleCredential?
        do { credential = try roles.credential(roleArn: role) } catch {
            log("task \(view.plan.taskArn): credentials of task role \(role): \(error)")
            return refuse(500, "InternalServerException", "CredentialsV2Request: \(error)")
        }
        guard let credential else {
            log("task \(view.plan.taskArn) asked for credentials of task role \(role), which is not in --task-role-credentials")
            return refuse(400, "InvalidIdInRequest",
                          "CredentialsV2Request: Credentials not found: no credentials are configured for task role \(role) (berth agent --task-role-credentials)")
        }
        let expiration = credential.expiration ?? (clock() + 3600)
        return Self.json(200, .obj([
            ("RoleArn", .string(role)), ("AccessKeyId", .string(credential.accessKeyId)), ("SecretAccessKey", .string(credential.secretAccessKey)),
            ("Token", .string(credential.sessionToken ?? "")), ("Expiration", .string(UTC.rfc3339(floor(expiration)))),
        ]))
    }

    static func json(_ status: Int, _ body: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body.serializedBytes())
    }
}

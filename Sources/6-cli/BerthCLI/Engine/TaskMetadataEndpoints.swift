import BerthAgent
import BerthECS
import BerthHTTP
import BerthRuntime
import BerthSys
import BerthTasks
import Foundation

/// Wiring of the task metadata endpoint (Docs/agent.md, "Task metadata and task role
/// credentials"): one HTTP server for every task's endpoint, whose handler is the agent's
/// `TaskMetadataResponder`. A task with its own network namespace gets a listener made inside
/// it (`TaskMetadataSocket`: 169.254.170.2:80 there); a host-network task uses the loopback
/// listener with its own token. Listeners are opened before a task's containers start and on
/// re-adoption, and closed when the task stops.
public final class TaskMetadataEndpoints: @unchecked Sendable {
    public let responder: TaskMetadataResponder
    public let identity: TaskMetadataIdentity
    let server: HTTPServer
    /// The loopback port host-network tasks reach (nil: none; they get no endpoint).
    public let hostPort: UInt16?
    let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var sockets: [String: TaskMetadataSocket] = [:]
    private var hostTasks: Set<String> = []

    /// `keyFile`: 32 random bytes made on first use (mode 0600): the secret behind every
    /// credentials id and host token, so they survive agent restarts.
    public init(keyFile: String, roles: RoleCredentialStore, hostListen: ListenAddress?, source: LazyMetadataSource,
                log: @escaping @Sendable (String) -> Void = { printErrLine("berth agent: " + $0) }) throws {
        identity = TaskMetadataIdentity(secret: try Self.loadKey(keyFile))
        responder = TaskMetadataResponder(source: source, identity: identity, roles: roles, address: { plan in
            switch plan.taskDefinition["networkMode"]?.stringValue ?? "bridge" {
            case "awsvpc": return TaskHost.awsvpcAddress(taskId: plan.taskId)
            case "host": return nil
            default: return "127.0.0.1"
            }
        }, log: log)
        server = try HTTPServer(handler: responder)
        self.log = log
        if let hostListen, case .tcp = hostListen {
            let bound = try server.listen(hostListen)
            if case .tcp(_, let port) = bound { hostPort = port } else { hostPort = nil }
        } else {
            hostPort = nil
        }
    }

    static func loadKey(_ path: String) throws -> [UInt8] {
        if let bytes = try? Files.readBytes(path), bytes.count == 32 { return bytes }
        var key = [UInt8](repeating: 0, count: 32)
        let fd = try Sys.call("open", detail: "/dev/urandom") { Glibc.open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
        defer { Glibc.close(fd) }
        guard Glibc.read(fd, &key, 32) == 32 else { throw SysError("read", detail: "/dev/urandom") }
        try Files.writeAtomically(path, key, mode: 0o600)
        return key
    }

    /// What ECS sets in each container of the task.
    func environment(_ plan: TaskLaunchPlan, _ registered: TaskDefinitionInput) -> [String: [(name: String, value: String)]] {
        let td = plan.overrides.map(registered.applying) ?? registered  // RunTask may override taskRoleArn
        let reach: TaskMetadataIdentity.Reach
        if td.effectiveNetworkMode == .host {
            guard let hostPort else { return [:] }
            reach = .hostLoopback(port: hostPort)
        } else if td.effectiveNetworkMode == .none {
            return [:]  // no network: nothing could reach an endpoint
        } else {
            reach = .taskNamespace
        }
        if let role = td.taskRoleArn {
            do {
                if try responder.roles.credential(roleArn: role) == nil {
                    log("task \(plan.taskArn): task role \(role) has no credentials in --task-role-credentials; the task's credential requests will be refused")
                }
            } catch {
                log("task \(plan.taskArn): task role \(role): \(error)")
            }
        }
        return identity.environment(taskArn: plan.taskArn, taskId: plan.taskId, containerNames: td.containers.compactMap(\.name),
                                    taskRoleArn: td.taskRoleArn, reach: reach)
    }

    /// The task's network exists: open its endpoint (before its containers start, or again after
    /// an agent restart).
    func open(_ taskArn: String, host: TaskHost) throws {
        switch host.networkMode {
        case .host:
            responder.registerHostTask(taskArn: taskArn)
            lock.withLock { _ = hostTasks.insert(taskArn) }
        case .none:
            return
        default:
            guard lock.withLock({ sockets[taskArn] }) == nil else { return }
            let socket: TaskMetadataSocket
            do { socket = try TaskMetadataSocket.open(netnsPath: host.layout.netnsPath) } catch {
                throw TranslationError("networkMode", "ResourceInitializationError: failed to set up the task metadata endpoint: \(error)",
                                       kind: .resourceInitialization)
            }
            if let why = socket.portSteeringUnavailable {
                log("task \(taskArn): the metadata endpoint listens on 169.254.170.2:80 itself (a container of the task cannot listen on port 80 of every address): \(why)")
            }
            lock.withLock { sockets[taskArn] = socket }
            server.serve(listeningFD: socket.listenFD, info: ConnectionInfo(trusted: false, listener: TaskMetadataResponder.listenerTag(taskArn: taskArn)))
        }
    }

    /// The task stopped: its endpoint goes (idempotent).
    func close(_ taskArn: String) {
        let (socket, wasHost) = lock.withLock { (sockets.removeValue(forKey: taskArn), hostTasks.remove(taskArn) != nil) }
        if let socket {
            socket.closeLink()
            server.closeListener(socket.listenFD)
        }
        if socket != nil || wasHost { responder.forget(taskArn: taskArn) }
    }

    public func stop() { server.stop() }
}

/// The agent's backend, known only once the daemon exists (tasks are adopted while it is made).
public final class LazyMetadataSource: TaskMetadataSource, @unchecked Sendable {
    private let lock = NSLock()
    private var source: (any TaskMetadataSource)?
    public init() {}
    public func attach(_ s: any TaskMetadataSource) { lock.withLock { source = s } }
    public func metadataView(taskArn: String) -> TaskMetadataView? { lock.withLock { source }?.metadataView(taskArn: taskArn) }
    public func metadataStats(taskArn: String) throws -> TaskStats {
        guard let s = lock.withLock({ source }) else { throw EngineError(.internal, "the agent is starting") }
        return try s.metadataStats(taskArn: taskArn)
    }
}

import BerthHTTP
import BerthSecrets
import BerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `berth agent`: the ECS API on a unix socket (trusted) and loopback TCP (SigV4), backed
/// by durable state under `stateDir` and a TaskEngine.
public struct AgentOptions: Sendable {
    public var stateDir = "/var/lib/berth"
    public var socketPath: String? = "/run/berth/agent.sock"
    /// Default 127.0.0.1:8845; nil disables TCP.
    public var listen: ListenAddress? = .tcp(host: "127.0.0.1", port: 8845)
    public var backend = BackendConfig()
    public var limits = HTTPLimits()
    /// How often engine reports are merged.
    public var pollInterval: Double = 0.25
    /// The local Secrets Manager / Parameter Store directory; nil = `<stateDir>/secrets`.
    public var secretsDir: String?
    /// CloudWatch Logs (awslogs output); BerthCLI wires the disk store under the state directory.
    public var logStore: any LogStoring = MemoryLogStore()
    public init() {}

    /// Where the agent keeps secrets and parameters (`berth run --secrets-dir` reads the same).
    public var effectiveSecretsDir: String { secretsDir ?? stateDir + "/secrets" }
}

public final class AgentDaemon: @unchecked Sendable {
    public let options: AgentOptions
    public let backend: ECSBackend
    public let server: HTTPServer
    public let credentials: SigV4Credentials
    /// Elastic Load Balancing v2 (resources, API, target registration of services).
    public let loadBalancers: ELBService
    /// AWS Cloud Map (namespaces, services, instances; ECS service registration).
    public let serviceDiscovery: CloudMapService
    public private(set) var boundTCP: ListenAddress?
    private let lockFD: Int32
    private let stopFlag = NSCondition()
    private var stopped = false

    /// `dataPlane` serves the load balancers' listeners (BerthLB's proxy in production,
    /// `MemoryDataPlane` with the fake engine and in tests). `discovery` receives every
    /// DiscoverySnapshot (the in-task resolver and Service Connect alias listeners).
    public init(options: AgentOptions, engine: any TaskEngine, dataPlane: any LoadBalancerDataPlane = UnavailableDataPlane(),
                discovery: any DiscoveryDataPlane = NoDiscoveryDataPlane(),
                validator: any TaskDefinitionValidator = ECSModelValidator()) throws {
        self.options = options
        let log: @Sendable (String) -> Void = { printErrLine("berth agent: " + $0) }
        try Files.makeDirectories(options.stateDir, mode: 0o700)
        lockFD = try StateLock.acquire(stateDir: options.stateDir)
        credentials = try CredentialStore.loadOrCreate(stateDir: options.stateDir, log: log)
        let store = try StateStore(root: options.stateDir + "/state", log: log)
        let elb = try ELBService(stateDir: options.stateDir + "/state", region: options.backend.region, account: options.backend.accountId,
                                 dataPlane: dataPlane, timeScale: options.backend.controller.timeScale, log: log)
        loadBalancers = elb
        backend = ECSBackend(config: options.backend, store: store, engine: engine, validator: validator, log: log)
        backend.loadBalancing = elb
        let cloudMap = try CloudMapService(stateDir: options.stateDir + "/state", region: options.backend.region,
                                           account: options.backend.accountId, log: log)
        serviceDiscovery = cloudMap
        backend.cloudMap = cloudMap
        backend.discoveryDataPlane = discovery
        let signal = backend.serviceSignal
        cloudMap.onChange = { signal.poke() }
        let creds = credentials
        let verifier = SigV4Verifier(region: options.backend.region, service: APIRouter.signingService) { key in key == creds.accessKeyId ? creds.secretAccessKey : nil }
        // Every AWS service the agent answers; each is routed by target prefix or SigV4 scope.
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        let secretStore = SecretStore(root: options.effectiveSecretsDir, region: options.backend.region, account: options.backend.accountId)
        let apis: [any AgentAPI] = [
            ECSAPI(backend: backend, clock: clock),
            JSONProtocolAPI(SecretsManagerOperations(SecretsManagerService(store: secretStore, clock: clock)), clock: clock),
            JSONProtocolAPI(ParameterStoreOperations(ParameterStoreService(store: secretStore, clock: clock)), clock: clock),
            JSONProtocolAPI(AutoScalingOperations(backend: backend), clock: clock),
            JSONProtocolAPI(CloudWatchOperations(backend: backend), clock: clock),
            JSONProtocolAPI(LogsOperations(store: options.logStore, region: options.backend.region, accountId: options.backend.accountId, clock: clock), clock: clock),
            ELBAPI(elb, clock: clock),
            JSONProtocolAPI(CloudMapOperations(cloudMap), clock: clock),
        ]
        server = try HTTPServer(handler: APIRouter(apis: apis, verifier: verifier, clock: clock), limits: options.limits)
    }

    /// Bind the sockets and start the engine poller. Returns once serving.
    public func start() throws {
        signal(SIGPIPE, SIG_IGN)
        if let path = options.socketPath {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try Files.makeDirectories(dir, mode: 0o755) }
            try server.listen(.unix(path: path))
        }
        if let listen = options.listen { boundTCP = try server.listen(listen) }
        let thread = Thread { [self] in pollLoop() }
        thread.name = "berth-reconcile"
        thread.start()
        let services = Thread { [backend] in backend.runServiceLoop() }
        services.name = "berth-services"
        services.start()
    }

    func pollLoop() {
        var lastPrune = 0.0
        while true {
            stopFlag.lock()
            if stopped { stopFlag.unlock(); return }
            _ = stopFlag.wait(until: Date(timeIntervalSinceNow: options.pollInterval))
            let done = stopped
            stopFlag.unlock()
            if done { return }
            backend.refreshFromEngine()
            if monotonicNow() - lastPrune > 10 {
                backend.pruneStoppedTasks()
                lastPrune = monotonicNow()
            }
        }
    }

    public func stop() {
        stopFlag.lock()
        let first = !stopped
        stopped = true
        stopFlag.signal()
        stopFlag.unlock()
        guard first else { return }
        server.stop()
        backend.serviceSignal.stop()
        backend.close()
        loadBalancers.stop()
        close(lockFD)  // releases the state directory lock
    }

    /// Serve until SIGTERM, SIGINT or SIGHUP. Must be called before other threads exist
    /// so that they inherit the blocked signal mask.
    public static func blockTerminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return set
    }

    public func waitForTermination(_ set: sigset_t) -> Int32 {
        var s = set
        var sig: Int32 = 0
        sigwait(&s, &sig)
        stop()
        return sig
    }
}

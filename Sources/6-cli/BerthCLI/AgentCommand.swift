import BerthImages
import BerthJSON
import BerthAgent
import BerthHTTP
import BerthOCI
import BerthSecrets
import BerthSys
import BerthTasks
#if canImport(Glibc)
import Glibc
#endif

/// `berth agent`: the ECS API daemon; `berth agent credentials`: how to point aws CLI/SDKs at it.
struct AgentCommand: CLICommand {
    static let name = "agent"
    static let summary = "run the ECS API agent (aws CLI / boto3 compatible)"
    static let usage = """
        usage: berth agent [--state-dir DIR] [--socket PATH|none] [--listen HOST:PORT|none]
                           [--region REGION] [--account-id ID] [--stopped-task-retention SECONDS]
                           [--request-timeout SECONDS] [--run-root DIR] [--images DIR]
                           [--time-scale FACTOR] [--controller-config FILE] [--pids-limit N]
                           [--image-pull-behavior default|always|once|prefer-cached|never]
                           [--secrets-dir DIR]
                           [--task-role-credentials FILE] [--metadata-listen HOST:PORT|none]
               berth agent credentials [--state-dir DIR] [--listen HOST:PORT] [--region REGION] [--profile NAME]

        Serves the Amazon ECS JSONValue 1.1 API:
          unix socket  --socket, default /run/berth/agent.sock (mode 0600, trusted: no signature needed)
          TCP          --listen, default 127.0.0.1:8845 (SigV4-signed requests only; loopback by default)
        State (task definitions, clusters, tasks, tags, credentials) lives in --state-dir,
        default /var/lib/berth. Region us-east-1 and account 000000000000 unless given; the
        region must match the one clients sign with. Stopped tasks stay describable for
        --stopped-task-retention seconds (default 3600). A client must send a whole request within
        --request-timeout seconds of its first byte (default 10); requests are limited to 10 MiB.
        --time-scale multiplies every service-controller timer (40 s healthy rule, restart
        back-off, grace periods, 6 h event repeats) and the service tick interval (default 1;
        e.g. 0.02 runs whole deployment stories in seconds, for tests and benchmarks).
        --controller-config FILE sets those timers one by one (JSONValue, every member optional):
        timeScale, healthyAfterRunningSeconds, steadyStateEventIntervalSeconds,
        duplicateEventIntervalSeconds, launchTimeoutSeconds, maxEvents, throttle
        {failuresBeforeThrottle, baseDelaySeconds, multiplier, maxDelaySeconds}.
        Tasks run as real containers: runtime state under --run-root (default /run/berth), logs
        under --state-dir/tasks, images from --images (default
        /var/lib/berth/images, where `berth image import` puts them). Tasks keep
        running when the agent stops or dies; the next agent re-adopts them. --pids-limit N is
        pids.max of every container it starts: processes and threads (default 2048, as Podman;
        -1 or max: no limit).
        Pulls read mirrors and insecure registries from --registries FILE (default
        /etc/berth/registries.json), credentials (`berth image login`, and the names
        repositoryCredentials.credentialsParameter refers to) from --auth-file FILE (default
        /var/lib/berth/auth.json) and extra CA certificates from --certs-dir DIR (default
        /etc/berth/certs.d), as `berth image pull` does.
        --image-pull-behavior (else the environment variable ECS_IMAGE_PULL_BEHAVIOR, else
        prefer-cached) decides when RunTask pulls a container's image from its registry, as the ECS
        agent: default (pull; if that fails use the cached image), always (pull; a failed pull
        fails the task), once (pull unless an earlier task here pulled it), prefer-cached (pull
        only when not in the store), never (the store only). Docker's `missing` means
        prefer-cached. A task stays PENDING while it pulls; pulls of one image are shared.
        Every task gets the task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4): at
        169.254.170.2 inside its own network namespace, or for host networking on
        --metadata-listen (default 127.0.0.1:51679) under a path only it knows. A task with a
        taskRoleArn gets credentials there; --task-role-credentials FILE maps role ARNs to
        {"profile": NAME} or {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}.

        The same endpoint answers AWS Secrets Manager (secretsmanager) and SSM Parameter Store
        (ssm): secrets and parameters live in --secrets-dir (default --state-dir/secrets, owner-only
        files). A task's secrets[].valueFrom and repositoryCredentials resolve against them when
        it starts; one that cannot be resolved stops the task (ResourceInitializationError).

        Every task with a network namespace of its own (awsvpc, bridge) resolves through the
        agent at 127.0.0.11 (its /etc/resolv.conf; a container's dnsServers win): service
        discovery names answer with healthy tasks, whose addresses are relayed into the task,
        other names are forwarded to the nameservers of the host's /etc/resolv.conf
        (Docs/tasks.md, "Service discovery inside tasks").

        `berth agent credentials` prints the access key (created on first start) as environment
        exports and as an aws config profile.
        """

    static let spec = Arguments.Spec(
        flags: [],
        options: ["--state-dir", "--socket", "--listen", "--region", "--account-id", "--stopped-task-retention", "--request-timeout", "--engine", "--profile",
                  "--run-root", "--images", "--time-scale", "--controller-config", "--pids-limit", "--image-pull-behavior",
                  "--registries", "--auth-file", "--certs-dir", "--secrets-dir", "--task-role-credentials", "--metadata-listen"])

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, spec: spec)
        if args.positionals.first == "credentials" { return try credentials(args) }
        guard args.positionals.isEmpty else { throw UsageError("unexpected argument \(args.positionals[0].debugDescription)") }
        let options = try agentOptions(args)
        let engine = try makeEngine(args.value("--engine") ?? "real", args, options: options)
        let signals = AgentDaemon.blockTerminationSignals()
        let metadataSource = LazyMetadataSource()
        let metadata = try (engine as? HostEngineAdapter).map { adapter in
            let endpoints = try metadataEndpoints(args, options: options, source: metadataSource)
            adapter.metadata = endpoints
            return endpoints
        }
        // Service discovery inside tasks: the resolver at 127.0.0.11 and relays in every task's
        // namespace (Docs/tasks.md, "Service discovery inside tasks"); the agent publishes to it.
        let discovery = try (engine as? HostEngineAdapter).map { adapter in
            let network = try TaskDiscoveryNetwork()
            adapter.discovery = network
            return network
        }
        defer { discovery?.stop() }
        // The fake engine runs no containers, so its load balancers proxy nothing either; the
        // real engine's listeners are served by BerthLB's proxy.
        let dataPlane: any LoadBalancerDataPlane = engine is FakeTaskEngine ? MemoryDataPlane() : try LBDataPlaneAdapter()
        defer { dataPlane.stop() }
        // Discovery snapshots (Cloud Map records, Service Connect aliases) go to the in-task side;
        // the fake engine has no task namespaces to serve them in.
        let daemon = try AgentDaemon(options: options, engine: engine, dataPlane: dataPlane,
                                     discovery: discovery.map { $0 as any DiscoveryDataPlane } ?? NoDiscoveryDataPlane())
        metadataSource.attach(daemon.backend)
        defer { metadata?.stop() }
        try daemon.start()
        var where_ = [String]()
        if let s = options.socketPath { where_.append("unix:\(s)") }
        if let tcp = daemon.boundTCP { where_.append(tcp.description) }
        printErr("berth agent: serving the ECS API on \(where_.joined(separator: " and ")) (region \(options.backend.region), account \(options.backend.accountId), state \(options.stateDir))")
        if let tcp = daemon.boundTCP {
            // One parseable line on stdout for scripts and tests (`--listen 127.0.0.1:0`).
            print("listening \(tcp)")
        }
        fflush(nil)
        let sig = daemon.waitForTermination(signals)
        printErr("berth agent: signal \(sig), stopped serving (running tasks keep running)")
        return 0
    }

    /// The task metadata endpoint and task role credentials (`--task-role-credentials FILE`,
    /// `--metadata-listen HOST:PORT|none` for host-network tasks, default 127.0.0.1:51679).
    static func metadataEndpoints(_ args: Arguments, options: AgentOptions, source: LazyMetadataSource) throws -> TaskMetadataEndpoints {
        let roles = RoleCredentialStore(path: args.value("--task-role-credentials"))
        do { try roles.validate() } catch { throw UsageError("option --task-role-credentials: \(error)") }
        var listen: ListenAddress? = .tcp(host: "127.0.0.1", port: 51679)
        if let l = args.value("--metadata-listen") {
            do { listen = l == "none" ? nil : try ListenAddress.parse(l) } catch { throw UsageError("option --metadata-listen: \(error.message)") }
            if let listen, case .unix = listen { throw UsageError("option --metadata-listen: must be HOST:PORT (a loopback TCP address) or none") }
        }
        try Files.makeDirectories(options.stateDir, mode: 0o700)
        do {
            return try TaskMetadataEndpoints(keyFile: options.stateDir + "/metadata.key", roles: roles, hostListen: listen, source: source)
        } catch let e as SysError where e.stage.hasPrefix("bind") || e.errno == EADDRINUSE {
            throw UsageError("option --metadata-listen: \(e) (another agent? give each its own --metadata-listen, or none)")
        }
    }

    static func agentOptions(_ args: Arguments) throws -> AgentOptions {
        var o = AgentOptions()
        if let dir = args.value("--state-dir") { o.stateDir = dir }
        if let dir = args.value("--secrets-dir") {
            guard dir.hasPrefix("/") else { throw UsageError("option --secrets-dir: \(dir.debugDescription) is not an absolute path") }
            o.secretsDir = dir
        }
        // awslogs output: the same directory the task engine writes it to (TaskLayout.awslogsRoot).
        o.logStore = AWSLogStoreAdapter(root: TaskLayout(taskId: "", dataRoot: o.stateDir).awslogsRoot)
        if let s = args.value("--socket") { o.socketPath = s == "none" ? nil : s }
        if let l = args.value("--listen") {
            do { o.listen = l == "none" ? nil : try ListenAddress.parse(l) } catch { throw UsageError("option --listen: \(error.message)") }
        }
        if let r = args.value("--region") {
            guard !r.isEmpty, r.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else { throw UsageError("option --region: \(r.debugDescription) is not a region name like us-east-1") }
            o.backend.region = r
        }
        if let a = args.value("--account-id") {
            guard a.count == 12, a.allSatisfy(\.isNumber) else { throw UsageError("option --account-id: must be 12 digits") }
            o.backend.accountId = a
        }
        if let r = try args.int("--stopped-task-retention", range: 0...(30 * 86400)) { o.backend.stoppedTaskRetention = Double(r) }
        if let t = try args.int("--request-timeout", range: 1...3600) { o.limits.requestTimeout = Double(t) }
        if let file = args.value("--controller-config") {
            o.backend.controller = try ControllerConfigFile.load(file, over: o.backend.controller)
        }
        if let text = args.value("--time-scale") {
            guard let scale = Double(text), scale.isFinite, scale >= 0.0001, scale <= 100 else {
                throw UsageError("option --time-scale: \(text.debugDescription) is not a number between 0.0001 and 100")
            }
            o.backend.controller.timeScale = scale
        }
        return o
    }

    /// `--engine fake` (hidden, for tests) or the real engine that runs containers.
    static func makeEngine(_ kind: String, _ args: Arguments, options: AgentOptions) throws -> any TaskEngine {
        switch kind {
        case "fake": return FakeTaskEngine()
        case "real": return try makeRealEngine(args, options: options)
        default: throw UsageError("option --engine: \(kind.debugDescription) is not real or fake")
        }
    }

    /// The BerthTasks engine (real containers) behind the agent's `TaskEngine` seam.
    static func makeRealEngine(_ args: Arguments, options: AgentOptions) throws -> any TaskEngine {
        guard geteuid() == 0 else {
            throw ClientFailure(message: "berth agent runs containers and must run as root (namespaces, mounts, cgroups); `--engine fake` serves the API with simulated tasks")
        }
        let runRoot = args.value("--run-root") ?? "/run/berth"
        let images = args.value("--images") ?? ImageStore.defaultRoot
        let pidsLimit = try RunCommand.pidsLimit(args)
        let puller = try ImagePulls.makeImagePuller(imagesRoot: images, args: args)
        let policy = try pullPolicy(args, registry: puller != nil)
        let source = ImagePulls.source(imagesRoot: images, dataRoot: options.stateDir, policy: policy, puller: puller)
        do {
            return try HostEngineAdapter.make(runRoot: runRoot, dataRoot: options.stateDir, imagesRoot: images, owner: options.stateDir,
                                              pidsLimit: pidsLimit, imageSource: source,
                                              secrets: SecretResolver(store: SecretStore(root: options.effectiveSecretsDir, region: options.backend.region,
                                                                                         account: options.backend.accountId)),
                                              awslogsRegion: options.backend.region)
        } catch {
            throw ClientFailure(message: "cannot set up the container engine: \(error)")
        }
    }

    /// `--image-pull-behavior`, else `ECS_IMAGE_PULL_BEHAVIOR`, else `ImagePulls.unsetPolicy`.
    static func pullPolicy(_ args: Arguments, registry: Bool) throws(UsageError) -> ImagePullPolicy {
        if let raw = args.value("--image-pull-behavior") {
            return try ImagePulls.policy(raw, option: "option --image-pull-behavior", registry: registry)
        }
        return try ImagePulls.policy(ClientSupport.getenvString("ECS_IMAGE_PULL_BEHAVIOR"), option: "ECS_IMAGE_PULL_BEHAVIOR", registry: registry)
    }

    static func credentials(_ args: Arguments) throws -> Int32 {
        let o = try agentOptions(args)
        let creds: SigV4Credentials
        do {
            creds = try CredentialStore.loadOrCreate(stateDir: o.stateDir) { printErr("berth agent: " + $0) }
        } catch {
            throw ClientFailure(message: "cannot read or create credentials in \(o.stateDir): \(error)")
        }
        let endpoint: String
        if case .tcp(let host, let port)? = o.listen { endpoint = "http://\(host):\(port)" } else { endpoint = "http://127.0.0.1:8845" }
        let profile = args.value("--profile") ?? "berth"
        print("""
            # environment (sh)
            export AWS_ACCESS_KEY_ID=\(creds.accessKeyId)
            export AWS_SECRET_ACCESS_KEY=\(creds.secretAccessKey)
            export AWS_DEFAULT_REGION=\(o.backend.region)
            export AWS_ENDPOINT_URL_ECS=\(endpoint)

            # Or, for a named profile (--profile \(profile)), in ~/.aws/config:
            #   [profile \(profile)]
            #   region = \(o.backend.region)
            #   endpoint_url = \(endpoint)
            # and in ~/.aws/credentials:
            #   [\(profile)]
            #   aws_access_key_id = \(creds.accessKeyId)
            #   aws_secret_access_key = \(creds.secretAccessKey)
            """)
        return 0
    }
}

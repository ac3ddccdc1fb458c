/// The contract between the agent's service discovery (Cloud Map, Service Connect) and the
/// in-task data plane (BerthCLI's `TaskDiscoveryNetwork`): the agent publishes what every task
/// should see, the data plane makes it so inside the tasks' network namespaces.

public struct DiscoveryEndpoint: Sendable, Equatable, Hashable {
    public var ipv4: String
    public var port: Int?
    public init(ipv4: String, port: Int?) {
        self.ipv4 = ipv4
        self.port = port
    }
}

public struct DiscoveryRecordSet: Sendable, Equatable {
    public var name: String
    public var type: String /* "A"|"SRV" */
    public var ttl: Int
    public var endpoints: [DiscoveryEndpoint]
    public init(name: String, type: String, ttl: Int, endpoints: [DiscoveryEndpoint]) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.endpoints = endpoints
    }
}

public struct DiscoveryAlias: Sendable, Equatable {
    public var namespace: String
    public var dnsName: String
    public var port: Int
    public var endpoints: [DiscoveryEndpoint]
    public init(namespace: String, dnsName: String, port: Int, endpoints: [DiscoveryEndpoint]) {
        self.namespace = namespace
        self.dnsName = dnsName
        self.port = port
        self.endpoints = endpoints
    }
}

public struct DiscoveryClient: Sendable, Equatable {
    public var taskArn: String
    public var serviceConnectNamespace: String?
    public init(taskArn: String, serviceConnectNamespace: String?) {
        self.taskArn = taskArn
        self.serviceConnectNamespace = serviceConnectNamespace
    }
}

public struct DiscoverySnapshot: Sendable, Equatable {
    public var records: [DiscoveryRecordSet]
    public var aliases: [DiscoveryAlias]
    public var clients: [DiscoveryClient]
    public init(records: [DiscoveryRecordSet], aliases: [DiscoveryAlias], clients: [DiscoveryClient]) {
        self.records = records
        self.aliases = aliases
        self.clients = clients
    }
}

public protocol DiscoveryDataPlane: Sendable { func publish(_ snapshot: DiscoverySnapshot) }

public struct NoDiscoveryDataPlane: DiscoveryDataPlane { public init() {}; public func publish(_ snapshot: DiscoverySnapshot) {} }

import Foundation

// The contract between the agent's Cloud Map / Service Connect model (this folder) and the
// in-task side (the resolver at 127.0.0.11:53 and the Service Connect alias listeners, built in
// BerthCLI). The agent publishes a complete, fresh snapshot whenever instances or their health
// change, and once at start after re-adoption; an implementation replaces its whole state with
// each snapshot (idempotent desired state, like `LoadBalancerDataPlane.apply`).

/// One address a name resolves to: a task's IPv4 address and, for SRV records and aliases, its port.
public struct DiscoveryEndpoint: Sendable, Equatable, Hashable {
    public var ipv4: String
    public var port: Int?
    public init(ipv4: String, port: Int?) { self.ipv4 = ipv4; self.port = port }
}

/// The records of one Cloud Map service in a DNS namespace, for one record type.
public struct DiscoveryRecordSet: Sendable, Equatable {
    /// FQDN, lowercase, no trailing dot: "web.local".
    public var name: String
    /// "A" or "SRV".
    public var type: String
    public var ttl: Int
    /// Healthy instances only (an empty list when none is healthy).
    public var endpoints: [DiscoveryEndpoint]
    public init(name: String, type: String, ttl: Int, endpoints: [DiscoveryEndpoint]) {
        self.name = name; self.type = type; self.ttl = ttl; self.endpoints = endpoints
    }
}

/// A Service Connect client alias: `dnsName:port` inside tasks of `namespace` reaches `endpoints`.
public struct DiscoveryAlias: Sendable, Equatable {
    /// The namespace's name (not its id).
    public var namespace: String
    public var dnsName: String
    public var port: Int
    /// Healthy instances only, each with the port its container listens on.
    public var endpoints: [DiscoveryEndpoint]
    public init(namespace: String, dnsName: String, port: Int, endpoints: [DiscoveryEndpoint]) {
        self.namespace = namespace; self.dnsName = dnsName; self.port = port; self.endpoints = endpoints
    }
}

/// A running task that may use the Service Connect aliases of its namespace.
public struct DiscoveryClient: Sendable, Equatable {
    public var taskArn: String
    /// The namespace name of the task's service's Service Connect configuration; nil when the
    /// task has none (it still resolves DNS records).
    public var serviceConnectNamespace: String?
    public init(taskArn: String, serviceConnectNamespace: String?) {
        self.taskArn = taskArn; self.serviceConnectNamespace = serviceConnectNamespace
    }
}

public struct DiscoverySnapshot: Sendable, Equatable {
    public var records: [DiscoveryRecordSet]
    public var aliases: [DiscoveryAlias]
    /// Running tasks that may use Service Connect aliases of their namespace.
    public var clients: [DiscoveryClient]
    public init(records: [DiscoveryRecordSet], aliases: [DiscoveryAlias], clients: [DiscoveryClient]) {
        self.records = records; self.aliases = aliases; self.clients = clients
    }
}

/// Where the agent publishes discovery state. The agent depends only on this protocol.
public protocol DiscoveryDataPlane: Sendable {
    func publish(_ snapshot: DiscoverySnapshot)
}

/// Publishes nowhere: names are served by the API only.
public struct NoDiscoveryDataPlane: DiscoveryDataPlane {
    public init() {}
    public func publish(_ snapshot: DiscoverySnapshot) {}
}

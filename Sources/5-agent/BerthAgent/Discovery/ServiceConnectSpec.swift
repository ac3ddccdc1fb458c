import BerthJSON

/// `serviceConnectConfiguration` as Berth honours it (Docs/services.md "Service Connect"):
/// read from the request's JSON by a pure parser that refuses, by name, every member Berth
/// does not implement.
public struct ServiceConnectSpec: Sendable, Equatable {
    public struct Alias: Sendable, Equatable {
        public var port: Int
        public var dnsName: String?
    }
    public struct Entry: Sendable, Equatable {
        public var portName: String
        /// `discoveryName`, or the port name when not given.
        public var discoveryName: String
        public var clientAliases: [Alias]
    }
    public var enabled: Bool
    /// A namespace name or ARN, as given.
    public var namespace: String?
    public var services: [Entry]

    static let members: Set<String> = ["enabled", "namespace", "services", "logConfiguration", "accessLogConfiguration"]
    static let serviceMembers: Set<String> = ["portName", "discoveryName", "clientAliases", "ingressPortOverride", "timeout", "tls"]
    static let aliasMembers: Set<String> = ["port", "dnsName", "testTrafficRules"]
    /// Members that configure the Envoy proxy ECS adds to each task; Berth has none.
    static let proxyOnly: [String: String] = [
        "logConfiguration": "the Service Connect proxy's logs (Berth runs no proxy container)",
        "accessLogConfiguration": "the Service Connect proxy's access logs (Berth runs no proxy container)",
        "ingressPortOverride": "the proxy's listening port (Berth's aliases reach the container port directly)",
        "timeout": "proxy timeouts (Berth's alias listeners relay connections without timeouts)",
        "tls": "TLS between proxies (Berth's alias listeners relay plain TCP)",
        "testTrafficRules": "test traffic routing (Berth implements rolling deployments only)",
    ]

    static func refuse(_ member: String, at path: String) -> APIError {
        APIError("UnsupportedFeatureException", "\(path).\(member) is not supported by Berth: it configures \(proxyOnly[member] ?? member).")
    }

    static func checkMembers(_ p: Params, _ known: Set<String>) throws(APIError) {
        for key in p.json.objectValue?.keys ?? [] {
            guard known.contains(key) else { throw .invalidParameter("\(p.name(key)): unknown parameter, not part of the ECS API for this object.") }
            if proxyOnly[key] != nil, !(p.json[key]?.isNull ?? true) { throw refuse(key, at: p.path) }
        }
    }

    static func isDiscoveryName(_ s: String) -> Bool {
        (1...64).contains(s.count) && s.first != "-" && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Pure: the spec of a `serviceConnectConfiguration` object, or the first problem.
    public static func parse(_ json: JSONValue) throws(APIError) -> ServiceConnectSpec {
        let p = Params(json, path: "serviceConnectConfiguration")
        try checkMembers(p, members)
        guard let enabled = try p.bool("enabled") else { throw .invalidParameter("serviceConnectConfiguration.enabled is required.") }
        let namespace = try p.string("namespace")
        var services: [Entry] = []
        for s in try p.objects("services") ?? [] {
            try checkMembers(s, serviceMembers)
            guard let portName = try s.string("portName"), !portName.isEmpty else { throw .invalidParameter("\(s.path).portName is required.") }
            let discoveryName = try s.string("discoveryName") ?? portName
            guard isDiscoveryName(discoveryName) else {
                throw .invalidParameter("\(s.path).discoveryName '\(discoveryName.prefix(80))' must be 1-64 letters, digits, hyphens and underscores, not starting with a hyphen.")
            }
            var aliases: [Alias] = []
            for a in try s.objects("clientAliases") ?? [] {
                try checkMembers(a, aliasMembers)
                guard let port = try a.int("port") else { throw .invalidParameter("\(a.path).port is required.") }
                guard (1...65535).contains(port) else { throw .invalidParameter("\(a.path).port must be between 1 and 65535, got \(port).") }
                let dnsName = try a.string("dnsName")
                if let d = dnsName, !(1...255).contains(d.count) || d.contains(" ") {
                    throw .invalidParameter("\(a.path).dnsName '\(d.prefix(80))' must be 1-255 characters without spaces.")
                }
                aliases.append(Alias(port: port, dnsName: dnsName))
            }
            guard aliases.count <= 1 else { throw .invalidParameter("\(s.path).clientAliases can have at most 1 alias, got \(aliases.count).") }
            guard !services.contains(where: { $0.discoveryName == discoveryName }) else {
                throw .invalidParameter("\(s.path).discoveryName \(discoveryName) is used by another entry of serviceConnectConfiguration.services.")
            }
            services.append(Entry(portName: portName, discoveryName: discoveryName, clientAliases: aliases))
        }
        return ServiceConnectSpec(enabled: enabled, namespace: namespace, services: services)
    }

    /// The alias clients reach: `dnsName`, or `discoveryName.namespace` (ECS's default).
    public static func aliasName(_ a: Alias, entry: Entry, namespaceName: String) -> String {
        a.dnsName ?? "\(entry.discoveryName).\(namespaceName)"
    }
}

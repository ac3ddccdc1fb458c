import BerthSys
/// ECS ARNs in the long format, for one region and account.
public struct ARNFormat: Sendable {
    public var region: String
    public var account: String

    public init(region: String, account: String) {
        self.region = region
        self.account = account
    }

    var prefix: String { "arn:aws:ecs:\(region):\(account):" }

    public func cluster(_ name: String) -> String { prefix + "cluster/\(name)" }
    public func taskDefinition(_ family: String, _ revision: Int) -> String { prefix + "task-definition/\(family):\(revision)" }
    public func task(cluster: String, id: String) -> String { prefix + "task/\(cluster)/\(id)" }
    public func container(cluster: String, taskId: String, uuid: String) -> String { prefix + "container/\(cluster)/\(taskId)/\(uuid)" }

    /// The resource part (`cluster/x`, `task/c/id`) of an ARN of this agent's partition/region/account.
    public func resource(of arn: String) -> (type: String, path: [String])? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "ecs" else { return nil }
        let res = parts[5].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let type = res.first, res.count >= 2 else { return nil }
        return (type, Array(res.dropFirst()))
    }

    /// A cluster parameter: short name or ARN. nil for something that is neither.
    public func clusterName(_ value: String) -> String? {
        if value.hasPrefix("arn:") {
            guard let r = resource(of: value), r.type == "cluster", r.path.count == 1 else { return nil }
            return r.path[0]
        }
        return value
    }

    /// `family`, `family:rev` or a task definition ARN. Revision nil means latest ACTIVE.
    public func taskDefinitionRef(_ value: String) -> (family: String, revision: Int?)? {
        var text = value
        if value.hasPrefix("arn:") {
            guard let r = resource(of: value), r.type == "task-definition", r.path.count == 1 else { return nil }
            text = r.path[0]
            guard text.contains(":") else { return nil }
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1 { return (String(parts[0]), nil) }
        guard parts.count == 2, let rev = Int(parts[1]), rev > 0 else { return nil }
        return (String(parts[0]), rev)
    }

    /// A task parameter: id or ARN (long `task/<cluster>/<id>` or legacy `task/<id>`).
    public func taskId(_ value: String) -> (cluster: String?, id: String)? {
        if value.hasPrefix("arn:") {
            guard let r = resource(of: value), r.type == "task" else { return nil }
            if r.path.count == 2 { return (r.path[0], r.path[1]) }
            if r.path.count == 1 { return (nil, r.path[0]) }
            return nil
        }
        return (nil, value)
    }
}

/// Random identifiers from /dev/urandom via the system generator.
enum Ident {
    static func hex(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// Task ids: 32 lowercase hex characters.
    static func taskId() -> String { hex(16) }

    static func uuid() -> String {
        var b = Array(Hex.decode(hex(16))!)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Hex.encode(b)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

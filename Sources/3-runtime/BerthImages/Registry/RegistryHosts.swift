import BerthJSON
import BerthHTTP
import BerthSys

/// Registry host configuration (`/etc/berth/registries.json`), a small JSON form of containerd's
/// hosts.toml:
///
///     { "registries": [
///         { "host": "*.dkr.ecr.*.amazonaws.com", "mirror": "http://127.0.0.1:5000" },
///         { "host": "docker.io", "mirror": "https://mirror.example.com" },
///         { "host": "registry.lan:5000", "insecure": true } ] }
///
/// `host` is a registry name where `*` stands for any run of characters without a dot; the first
/// rule that matches applies. `mirror` replaces the endpoint (`host[:port]`, optionally with a
/// scheme that forces http or https); `insecure` allows plain HTTP to it. Without a rule, a
/// registry is reached over HTTPS, and plain HTTP is tried only for loopback hosts.
public struct RegistryHosts: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var host: String
        public var mirror: String?
        public var insecure: Bool
        public init(host: String, mirror: String? = nil, insecure: Bool = false) {
            self.host = host
            self.mirror = mirror
            self.insecure = insecure
        }
    }

    public static let defaultPath = "/etc/berth/registries.json"
    public var rules: [Rule]

    public init(rules: [Rule] = []) { self.rules = rules }

    /// The file at `path`; none there is no rule. Unknown keys are refused, naming them.
    public static func load(_ path: String = defaultPath) throws(PullError) -> RegistryHosts {
        guard Files.exists(path) else { return RegistryHosts() }
        do {
            return try parse(try Files.readBytes(path), file: path)
        } catch let e as PullError { throw e } catch {
            throw PullError(.other, "\(path): \(error)")
        }
    }

    static func parse(_ bytes: [UInt8], file: String) throws -> RegistryHosts {
        let json = try JSONValue.parse(bytes: bytes)
        let top = try JSONObjectReader(json, path: .root)
        for key in top.object.keys where key != "registries" { throw PullError(.other, "\(file): unknown key \(key.debugDescription) (known: registries)") }
        var rules: [Rule] = []
        for (i, item) in (json["registries"]?.arrayValue ?? []).enumerated() {
            let o = try JSONObjectReader(item, path: .root)
            let known = ["host", "mirror", "insecure"]
            for key in o.object.keys where !known.contains(key) {
                throw PullError(.other, "\(file): registries[\(i)]: unknown key \(key.debugDescription) (known: \(known.joined(separator: ", ")))")
            }
            let rule = Rule(host: try o.required("host"), mirror: try o.optional("mirror"), insecure: try o.optional("insecure") ?? false)
            if let mirror = rule.mirror, RegistryEndpoint.split(mirror) == nil {
                throw PullError(.other, "\(file): registries[\(i)].mirror \(mirror.debugDescription) is not [http://|https://]host[:port]")
            }
            rules.append(rule)
        }
        return RegistryHosts(rules: rules)
    }

    /// The rule for a registry name, if any.
    public func rule(for registry: String) -> Rule? {
        rules.first { Self.matches(pattern: $0.host, registry) }
    }

    /// `*` matches any run of characters other than `.`; everything else literally (case-insensitive).
    static func matches(pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.lowercased()), s = Array(name.lowercased())
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == s.count }
            if p[i] == "*" {
                var k = j
                while true {
                    if match(i + 1, k) { return true }
                    if k == s.count || s[k] == "." { return false }
                    k += 1
                }
            }
            return j < s.count && p[i] == s[j] && match(i + 1, j + 1)
        }
        return match(0, 0)
    }

    /// Where to send a registry's API requests: the schemes to try in order, and the host[:port].
    public func endpoint(for name: RegistryName) -> RegistryEndpoint {
        let rule = rule(for: name.registry)
        if let mirror = rule?.mirror, let (scheme, host) = RegistryEndpoint.split(mirror) {
            let schemes = scheme.map { [$0] } ?? ((rule?.insecure == true || isLoopback(host)) ? ["https", "http"] : ["https"])
            return RegistryEndpoint(host: host, schemes: schemes, mirrored: true)
        }
        let host = name.endpointHost
        let plainAllowed = rule?.insecure == true || isLoopback(host)
        return RegistryEndpoint(host: host, schemes: plainAllowed ? ["https", "http"] : ["https"], mirrored: false)
    }
}

/// The host a registry's API is reached at and how.
public struct RegistryEndpoint: Sendable, Equatable {
    /// `host` or `host:port`.
    public var host: String
    /// `https`, then `http` when plain HTTP is allowed (loopback or insecure).
    public var schemes: [String]
    /// True when a mirror rule replaced the registry's own host.
    public var mirrored: Bool

    /// `http://h:1` → ("http", "h:1"); `h:1` → (nil, "h:1").
    static func split(_ text: String) -> (String?, String)? {
        var scheme: String?, rest = text
        for s in ["http", "https"] where text.hasPrefix(s + "://") {
            scheme = s
            rest = String(text.dropFirst(s.count + 3))
        }
        if rest.hasSuffix("/") { rest.removeLast() }
        guard !rest.isEmpty, !rest.contains("/"), HTTPURL(string: "http://" + rest) != nil else { return nil }
        return (scheme, rest)
    }
}

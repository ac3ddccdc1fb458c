/// Where an image lives: its registry host (`docker.io`, `ghcr.io`, `reg.local:5000`) and the
/// repository in it (`library/nginx`), by Docker's rules: the first component of a name is a
/// registry if it has a `.` or a `:` or is `localhost`; otherwise the image is on Docker Hub,
/// under `library/` when the name has one component.
public struct RegistryName: Sendable, Equatable, CustomStringConvertible {
    public var registry: String
    public var repository: String

    public static let dockerHub = "docker.io"
    /// The host that serves Docker Hub's registry API.
    public static let dockerHubEndpoint = "registry-1.docker.io"

    public init(registry: String, repository: String) {
        self.registry = registry
        self.repository = repository
    }

    /// From a store name (`nginx`, `myorg/app`, `ghcr.io/o/a`, `127.0.0.1:5000/app`).
    public init(_ name: String) {
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost" {
            self.init(registry: parts[0], repository: parts[1])
        } else {
            self.init(registry: Self.dockerHub, repository: parts.count == 1 ? "library/" + name : name)
        }
    }

    /// The host:port the registry API is asked at, before mirrors are applied.
    public var endpointHost: String { registry == Self.dockerHub ? Self.dockerHubEndpoint : registry }

    public var description: String { "\(registry)/\(repository)" }
}

/// True for a host that can only be this machine: `localhost`, 127.0.0.0/8, `::1`.
func isLoopback(_ hostPort: String) -> Bool {
    let host = hostPort.hasPrefix("[") ? String(hostPort.dropFirst().prefix { $0 != "]" })
        : String(hostPort.split(separator: ":", maxSplits: 1).first ?? "")
    return host == "localhost" || host == "::1" || host.hasPrefix("127.")
}

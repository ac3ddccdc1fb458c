/// Entry points of the `berth` binary that people do not type: they run in freshly exec'd,
/// single-threaded processes started by the runtime itself. Container setup is not one of them:
/// it has its own small executable, `berth-init` (Sources/7-bin/berth-init).
public enum HiddenEntry: String, Sendable {
    /// Create a network namespace with loopback up, pinned at a path (see `Netns`).
    case netnsCreate = "netns-create"
    /// Publish a task's TCP ports on the host (see `PortProxy`).
    case portProxy = "port-proxy"

    public func run(_ args: [String]) -> Int32 {
        switch self {
        case .netnsCreate:
            return Netns.createMain(args)
        case .portProxy:
            return PortProxy.main(args)
        }
    }
}

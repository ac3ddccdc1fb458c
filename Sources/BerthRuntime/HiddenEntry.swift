/// Entry points of the `berth` binary that people do not type: they run in freshly exec'd,
/// single-threaded processes started by the runtime itself.
public enum HiddenEntry: String, Sendable {
    /// Container setup: join/create namespaces, set up the rootfs, exec the container process.
    case initContainer = "init"
    /// Create a network namespace with loopback up, pinned at a path (see `Netns`).
    case netnsCreate = "netns-create"
    /// Publish a task's TCP ports on the host (see `PortProxy`).
    case portProxy = "port-proxy"

    public func run(_ args: [String]) -> Int32 {
        switch self {
        case .initContainer:
            return InitMain.run(args)
        case .netnsCreate:
            return Netns.createMain(args)
        case .portProxy:
            return PortProxy.main(args)
        }
    }
}

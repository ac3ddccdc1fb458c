import CBerth

/// Namespace kinds of `linux.namespaces[].type`, with their clone flag and /proc/<pid>/ns name.
public enum NamespaceKind: String, CaseIterable, Sendable {
    case pid, network, mount, ipc, uts, user, cgroup, time

    public var cloneFlag: Int32 {
        switch self {
        case .pid: BERTH_CLONE_NEWPID
        case .network: BERTH_CLONE_NEWNET
        case .mount: BERTH_CLONE_NEWNS
        case .ipc: BERTH_CLONE_NEWIPC
        case .uts: BERTH_CLONE_NEWUTS
        case .user: BERTH_CLONE_NEWUSER
        case .cgroup: BERTH_CLONE_NEWCGROUP
        case .time: BERTH_CLONE_NEWTIME
        }
    }

    /// File name under /proc/<pid>/ns.
    public var procName: String {
        switch self {
        case .network: "net"
        case .mount: "mnt"
        default: rawValue
        }
    }
}

/// What init does with namespaces: which to join by path, which to create.
public struct NamespacePlan: Equatable, Sendable {
    public var join: [(kind: NamespaceKind, path: String)]
    public var create: [NamespaceKind]

    public static func == (a: NamespacePlan, b: NamespacePlan) -> Bool {
        a.create == b.create && a.join.map { $0.kind } == b.join.map { $0.kind } && a.join.map { $0.path } == b.join.map { $0.path }
    }

    /// Validate `linux.namespaces`: known types, no duplicates.
    public init(_ list: [Spec.Namespace]?) throws(InitError) {
        join = []
        create = []
        for (i, ns) in (list ?? []).enumerated() {
            let field = "linux.namespaces[\(i)]"
            guard let kind = NamespaceKind(rawValue: ns.type) else {
                throw InitError("namespaces", "\(field).type: unknown namespace type \(ns.type.debugDescription)")
            }
            guard !contains(kind) else {
                throw InitError("namespaces", "\(field).type: \(kind.rawValue) namespace listed twice")
            }
            if let path = ns.path, !path.isEmpty {
                guard path.hasPrefix("/") else {
                    throw InitError("namespaces", "\(field).path: must be absolute, got \(path.debugDescription)")
                }
                join.append((kind, path))
            } else {
                create.append(kind)
            }
        }
    }

    public func contains(_ kind: NamespaceKind) -> Bool {
        create.contains(kind) || join.contains { $0.kind == kind }
    }

    /// True if the container does not share this namespace with the host.
    public func isolates(_ kind: NamespaceKind) -> Bool { contains(kind) }

    public func creates(_ kind: NamespaceKind) -> Bool { create.contains(kind) }

    /// Flags for the single unshare(2) call.
    public var unshareFlags: Int32 { create.reduce(0) { $0 | $1.cloneFlag } }

    /// Join order (runc's): the others while init has the host's capabilities, then user (a join
    /// refused with EPERM before it is retried after it, `Namespaces.enter`), mount last, so
    /// earlier joins still see the host's /proc and paths.
    public var joinOrder: [(kind: NamespaceKind, path: String)] {
        join.filter { $0.kind != .mount && $0.kind != .user } + join.filter { $0.kind == .user }
            + join.filter { $0.kind == .mount }
    }

    /// Namespaces created by the one unshare after the user namespace (which, created, comes
    /// first in its own step so that it owns them).
    public var createAfterUser: [NamespaceKind] { create.filter { $0 != .user } }
}

import BerthCgroups
import BerthSys

/// Why a lifecycle operation failed. Messages name the container and, for user input, the field.
public enum RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidID(String)
    case exists(String)
    case notFound(String)
    /// The operation is not allowed in the container's current status.
    case invalidState(id: String, status: ContainerStatus, action: String)
    case invalidSpec([SpecIssue])
    /// `berth-init` (or the monitor) reported an error while setting the container up.
    case setupFailed(id: String, message: String)
    case sys(SysError)
    case cgroup(CgroupError)
    case timeout(String)
    /// The monitor is gone and left no exit.json (it was killed): the exit code is unknown.
    case exitUnknown(String)

    public var description: String {
        switch self {
        case .invalidID(let id):
            return "invalid container id \(id.debugDescription): use 1-128 characters [A-Za-z0-9_.-], starting with a letter or digit"
        case .exists(let id): return "container \(id.debugDescription) already exists"
        case .notFound(let id): return "container \(id.debugDescription) does not exist"
        case .invalidState(let id, let status, let action):
            let hint = action == "delete" ? " (stop it first or use --force)" : ""
            return "cannot \(action) container \(id.debugDescription): it is \(status.rawValue)\(hint)"
        case .invalidSpec(let issues): return issues.map { $0.description }.joined(separator: "\n")
        case .setupFailed(let id, let message): return "container \(id.debugDescription) failed to start: \(message)"
        case .sys(let e): return e.description
        case .cgroup(let e): return e.description
        case .timeout(let what): return "timed out: \(what)"
        case .exitUnknown(let id):
            return "container \(id.debugDescription) stopped but its monitor left no exit record (it was killed); exit code unknown"
        }
    }
}

/// One problem in a spec: the JSON path of the field and what is wrong with it.
public struct SpecIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    /// From a message already in `path: problem` form (as the init's checks phrase them).
    public init(message: String) {
        let parts = message.split(separator: ": ", maxSplits: 1)
        if parts.count == 2 {
            self.init(String(parts[0]), String(parts[1]))
        } else {
            self.init("", message)
        }
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Container ids: `[A-Za-z0-9][A-Za-z0-9_.-]{0,127}` (safe as a directory and cgroup name).
public enum ContainerID {
    public static func validate(_ id: String) throws(RuntimeError) {
        let bytes = Array(id.utf8)
        guard (1...128).contains(bytes.count), isAlnum(bytes[0]),
              bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { throw .invalidID(id) }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}

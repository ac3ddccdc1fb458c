import BerthSys
import Synchronization

/// Which references a task on this host pulled successfully (the `once` pull behavior).
public protocol PullHistory: Sendable {
    func contains(_ reference: String) -> Bool
    func record(_ reference: String)
}

/// The history in a file, one reference a line, appended to; kept in memory after the first
/// read. A file that cannot be read or written only makes `once` pull again.
public final class FilePullHistory: PullHistory {
    public let path: String
    let seen: Mutex<Set<String>?> = Mutex(nil)

    public init(path: String) { self.path = path }

    public func contains(_ reference: String) -> Bool {
        seen.withLock { set in
            if set == nil { set = load() }
            return set?.contains(reference) ?? false
        }
    }

    public func record(_ reference: String) {
        seen.withLock { set in
            if set == nil { set = load() }
            guard set?.insert(reference).inserted == true else { return }
            let all = (set ?? []).sorted().joined(separator: "\n") + "\n"
            try? Files.writeAtomically(path, Array(all.utf8))
        }
    }

    func load() -> Set<String> {
        guard let bytes = try? Files.readBytes(path) else { return [] }
        return Set(String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}

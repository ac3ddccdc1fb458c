/// The host's bound on processes (and threads) per container: `pids.max` on every container's
/// cgroup (Docs/tasks.md, "Process limit"). ECS task definitions have no such field and `ulimits`
/// nproc does not bind root, so without it a fork loop in one task could use up the host's pids.
public enum PidsLimit {
    /// Podman's default (containers.conf `pids_limit`).
    public static let defaultLimit: Int64 = 2048
    /// -1: no limit (`pids.max` "max").
    public static let unlimited: Int64 = -1

    /// `--pids-limit` values: a positive number, or -1 / "max" for no limit.
    public static func parse(_ text: String) -> Result<Int64, TranslationError> {
        if text == "max" || text == "-1" { return .success(unlimited) }
        guard let n = Int64(text), n >= 1 else {
            return .failure(TranslationError("--pids-limit", "\(text.debugDescription) is not a positive number of processes, or -1 / max for no limit"))
        }
        return .success(n)
    }

    /// The container's reason when it hit its limit (the kernel's pids.events `max` counter moved).
    public static func reason(limit: Int64?, hits: UInt64) -> String {
        let shown = limit.map { $0 == unlimited ? "max" : String($0) } ?? "max"
        return "pids limit (\(shown)) reached: fork failed \(hits) time\(hits == 1 ? "" : "s")"
    }
}

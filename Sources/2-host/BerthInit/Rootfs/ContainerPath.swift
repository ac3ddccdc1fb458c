/// Lexical checks of container paths (mount destinations, masked and read-only paths).
/// The real resolution happens in the kernel with RESOLVE_IN_ROOT (see `RootedPath`);
/// this only rejects malformed input early with the field that holds it.
public enum ContainerPath {
    /// Clean an absolute container path: collapse `//` and `.`, clamp `..` at `/` (as the kernel
    /// does inside a root). Returns the components; [] is the root itself.
    public static func components(_ path: String, field: String) throws(InitError) -> [String] {
        guard path.hasPrefix("/") else {
            throw InitError("mount", "\(field): container path must be absolute, got \(path.debugDescription)")
        }
        guard !path.utf8.contains(0) else {
            throw InitError("mount", "\(field): container path contains a NUL byte")
        }
        var out: [String] = []
        for comp in path.split(separator: "/") {
            switch comp {
            case ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default: out.append(String(comp))
            }
        }
        return out
    }

    public static func clean(_ path: String, field: String) throws(InitError) -> String {
        "/" + (try components(path, field: field)).joined(separator: "/")
    }

    /// Files under /proc that may be mount destinations (lxcfs-style overrides), as runc allows.
    static let procAllowList: Set<String> = [
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
        "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
        "/proc/sys/crypto/fips_enabled",
    ]

    /// Refuse mounts that would hide or redirect procfs: /proc itself must be a real proc
    /// mount, and nothing may be mounted below /proc except the allow-list.
    public static func checkProcDestination(_ cleaned: String, type: String, field: String) throws(InitError) {
        if cleaned == "/proc" {
            guard type == "proc" else {
                throw InitError("mount", "\(field).destination: /proc must be a mount of type proc, not \(type.debugDescription)")
            }
        } else if cleaned.hasPrefix("/proc/") && !procAllowList.contains(cleaned) {
            throw InitError("mount", "\(field).destination: \(cleaned) is inside /proc and not an allowed override")
        }
    }
}

/// A host volume's `sourcePath` as the bind mount uses it. ECS stores the string as given and
/// its agent hands it to Docker, which cleans it lexically (Docs/tasks.md, "Volumes"): empty and
/// `.` components go, `..` removes the component before it and stops at `/`. Symlinks are not
/// resolved here; the kernel follows them when it mounts the cleaned path.
public enum HostPath {
    /// `/srv/app/../data/./x/` -> `/srv/data/x`. Only for absolute paths (validation refuses others).
    public static func clean(_ path: String) -> String {
        var out: [Substring] = []
        for comp in path.split(separator: "/") {
            switch comp {
            case ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default: out.append(comp)
            }
        }
        return "/" + out.joined(separator: "/")
    }

    /// True when cleaning changes which directory the path names as written: it has `.` or `..`
    /// components (repeated or trailing slashes only change its spelling).
    public static func hasDotComponents(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0 == "." || $0 == ".." }
    }
}

import BerthCgroups

/// `linux.cgroupsPath` as the runtime spec reads it (pure):
/// - unset or empty: `berth/<id>`;
/// - absolute `/a/b`: `a/b` below the cgroup root (of each v1 hierarchy, or the unified root);
/// - relative `a/b`: below Berth's default parent, `berth/a/b` (one that already starts with
///   `berth/`, as Berth's own tasks write it, is taken as it is);
/// - systemd's `slice:prefix:name`: refused (Berth has no systemd cgroup driver).
enum CgroupsPathRule {
    enum Resolved: Equatable {
        case path(CgroupPath)
        case refused(SpecIssue)
    }

    static func resolve(_ path: String?, id: String) -> Resolved {
        let field = "linux.cgroupsPath"
        guard let raw = path, !raw.isEmpty else { return wrap(try CgroupPath("berth/\(id)"), raw: "berth/\(id)") }
        if raw.contains(":") {
            return .refused(SpecIssue(field, "\(raw.debugDescription) looks like systemd's slice:prefix:name form, which needs a systemd cgroup driver; Berth writes cgroupfs directly: give a path such as /mygroup/\(id) or mygroup/\(id)"))
        }
        let parts = raw.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains(where: { $0 == "." || $0 == ".." }) {
            return .refused(SpecIssue(field, "\(raw.debugDescription) has a . or .. component"))
        }
        if parts.isEmpty { return .refused(SpecIssue(field, "\(raw.debugDescription) is the cgroup root itself")) }
        if parts == ["berth"] {
            return .refused(SpecIssue(field, "\(raw.debugDescription) is Berth's top-level group; use berth/<name>"))
        }
        if raw.hasPrefix("/") || parts.first == "berth" { return wrap(try CgroupPath(spec: raw), raw: raw) }
        return wrap(try CgroupPath(spec: "berth/" + raw), raw: raw)
    }

    private static func wrap(_ make: @autoclosure () throws(CgroupError) -> CgroupPath, raw: String) -> Resolved {
        do { return .path(try make()) } catch {
            return .refused(SpecIssue("linux.cgroupsPath", "\(raw.debugDescription): \(error)"))
        }
    }
}

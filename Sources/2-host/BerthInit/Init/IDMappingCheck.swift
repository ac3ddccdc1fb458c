/// Checks of `linux.uidMappings` / `gidMappings` for a new user namespace (pure; used by the
/// runtime's validator and again by init).
public enum IDMappingCheck {
    public struct Problem: Equatable, Sendable {
        public var field: String
        public var message: String
    }

    /// The kernel takes at most 340 lines per map (Linux >= 4.15).
    public static let maxLines = 340

    public static func problems(uid: [Spec.IDMapping], gid: [Spec.IDMapping]) -> [Problem] {
        check(uid, field: "linux.uidMappings") + check(gid, field: "linux.gidMappings")
    }

    static func check(_ maps: [Spec.IDMapping], field: String) -> [Problem] {
        guard !maps.isEmpty else {
            return [Problem(field: field, message: "a new user namespace needs at least one mapping")]
        }
        var out: [Problem] = []
        if maps.count > maxLines {
            out.append(Problem(field: field, message: "\(maps.count) mappings; the kernel takes at most \(maxLines)"))
        }
        for (i, m) in maps.enumerated() {
            if m.size == 0 {
                out.append(Problem(field: "\(field)[\(i)].size", message: "is 0; a mapping needs at least one id"))
                continue
            }
            if UInt64(m.containerID) + UInt64(m.size) > UInt64(UInt32.max) || UInt64(m.hostID) + UInt64(m.size) > UInt64(UInt32.max) {
                out.append(Problem(field: "\(field)[\(i)]", message: "range runs past id 4294967294"))
                continue
            }
            for j in 0..<i where maps[j].size > 0 {
                let o = maps[j]
                if overlaps(m.containerID, m.size, o.containerID, o.size) {
                    out.append(Problem(field: "\(field)[\(i)]", message: "container ids \(m.containerID)-\(UInt64(m.containerID) + UInt64(m.size) - 1) overlap \(field)[\(j)]"))
                }
                if overlaps(m.hostID, m.size, o.hostID, o.size) {
                    out.append(Problem(field: "\(field)[\(i)]", message: "host ids \(m.hostID)-\(UInt64(m.hostID) + UInt64(m.size) - 1) overlap \(field)[\(j)]"))
                }
            }
        }
        return out
    }

    static func overlaps(_ a: UInt32, _ n: UInt32, _ b: UInt32, _ m: UInt32) -> Bool {
        UInt64(a) < UInt64(b) + UInt64(m) && UInt64(b) < UInt64(a) + UInt64(n)
    }
}

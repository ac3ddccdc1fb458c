/// OCI rlimit names (`RLIMIT_NOFILE`; also `nofile`, as ECS `ulimits` spell them) and numbers.
public enum Rlimits {
    /// Index = resource number (asm-generic/resource.h).
    public static let names: [String] = [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ]

    public static func resource(_ name: String) -> Int32? {
        var upper = name.uppercased()
        if !upper.hasPrefix("RLIMIT_") { upper = "RLIMIT_" + upper }
        return names.firstIndex(of: upper).map(Int32.init)
    }

    public struct Limit: Equatable, Sendable {
        public var resource: Int32
        public var name: String
        public var soft: UInt64
        public var hard: UInt64
    }

    /// Validate `process.rlimits`: known names, soft <= hard, no duplicates.
    public static func parse(_ list: [Spec.Rlimit]?) throws(InitError) -> [Limit] {
        var out: [Limit] = []
        for (i, r) in (list ?? []).enumerated() {
            let field = "process.rlimits[\(i)]"
            guard let res = resource(r.type) else {
                throw InitError("rlimits", "\(field).type: unknown rlimit \(r.type.debugDescription)")
            }
            guard r.soft <= r.hard else {
                throw InitError("rlimits", "\(field): soft limit \(r.soft) is above hard limit \(r.hard)")
            }
            guard !out.contains(where: { $0.resource == res }) else {
                throw InitError("rlimits", "\(field).type: \(names[Int(res)]) given twice")
            }
            out.append(Limit(resource: res, name: names[Int(res)], soft: r.soft, hard: r.hard))
        }
        return out
    }
}

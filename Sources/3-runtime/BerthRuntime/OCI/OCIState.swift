import BerthJSON
import BerthSys

/// `state <id>` output in runc's form (runtime-spec state plus runc's `rootfs`, `created`, `owner`)
/// and Berth's extension `exit` (exit code, signal, OOM flag, times) once stopped.
public struct OCIStateOutput: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    public var pid: Int32
    public var status: String
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?
    public var exit: ExitInfo?

    public init(_ state: ContainerState) {
        ociVersion = state.ociVersion
        id = state.id
        pid = state.pid
        status = state.status.rawValue
        bundle = state.bundle
        rootfs = state.rootfs ?? ""
        created = state.createdAtNanos.map { UTC.rfc3339(nanos: $0) } ?? ""
        owner = ""
        annotations = state.annotations
        exit = state.exit
    }
}

/// `berth oci state` and `list --format json` print it with sorted keys, as runc does.
extension OCIStateOutput: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectWriter()
        o.set("ociVersion", ociVersion); o.set("id", id); o.set("pid", pid); o.set("status", status); o.set("bundle", bundle)
        o.set("rootfs", rootfs); o.set("created", created); o.set("owner", owner); o.set("annotations", annotations); o.set("exit", exit)
        return o.value
    }
}

/// Signal names as `kill` takes them: `TERM`, `SIGTERM`, `term`, `15`.
public enum SignalNames {
    public static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8,
        "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
        "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22,
        "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29,
        "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return (1...64).contains(n) ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 34 + k }
        return table[name]
    }

    /// `SIGTERM` for 15; `signal N` for numbers without a name.
    public static func name(_ n: Int32) -> String {
        table.filter { $0.value == n }.map { $0.key }.min().map { "SIG" + $0 } ?? "signal \(n)"
    }
}

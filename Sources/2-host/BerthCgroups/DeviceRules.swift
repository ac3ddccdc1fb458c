/// One rule of a container's device allow list (OCI `linux.resources.devices[]`): which device
/// nodes the container may create (`m`), read (`r`) and write (`w`). The list is applied in
/// order over a default of "deny everything", and the last matching rule wins
/// (Docs/init.md "Devices"). v1 writes it to devices.deny / devices.allow, v2 compiles it into an
/// eBPF program (`DeviceFilter`).
public struct DeviceRule: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case all = "a", char = "c", block = "b"
    }

    public var allow: Bool
    public var type: Kind
    /// nil: any major / minor.
    public var major: Int64?
    public var minor: Int64?
    /// A non-empty combination of `r`, `w`, `m`.
    public var access: String

    public init(allow: Bool, type: Kind = .all, major: Int64? = nil, minor: Int64? = nil, access: String = "rwm") {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// `c 1:3 rwm`, `b *:* m`, `a *:* rwm`: the kernel's v1 syntax.
    public var description: String {
        "\(type.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// Deny everything: the start of every list.
    public static let denyAll = DeviceRule(allow: false)

    /// What every container gets after its own rules (runc's `AllowedDevices`, which Docker and
    /// containerd rely on; tun 10:200 is no longer in it): mknod of any node (the node is useless
    /// without r/w), and the runtime-spec default devices, /dev/console, /dev/ptmx and /dev/pts/*.
    public static let defaults: [DeviceRule] = [
        DeviceRule(allow: true, type: .char, access: "m"),
        DeviceRule(allow: true, type: .block, access: "m"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 3),    // /dev/null
        DeviceRule(allow: true, type: .char, major: 1, minor: 5),    // /dev/zero
        DeviceRule(allow: true, type: .char, major: 1, minor: 7),    // /dev/full
        DeviceRule(allow: true, type: .char, major: 1, minor: 8),    // /dev/random
        DeviceRule(allow: true, type: .char, major: 1, minor: 9),    // /dev/urandom
        DeviceRule(allow: true, type: .char, major: 5, minor: 0),    // /dev/tty
        DeviceRule(allow: true, type: .char, major: 5, minor: 1),    // /dev/console
        DeviceRule(allow: true, type: .char, major: 5, minor: 2),    // /dev/ptmx
        DeviceRule(allow: true, type: .char, major: 136, minor: nil), // /dev/pts/*
    ]

    /// Docker's effective list for a container without `--device`: deny all, then `defaults`.
    public static let dockerDefault: [DeviceRule] = [denyAll] + defaults

    /// A container's full list, as runc builds it: deny all, the spec's own rules, then
    /// `defaults` (which a spec cannot take away). A spec that already starts with deny-all and
    /// ends with the defaults (a task container's, `dockerDefault`) gets neither twice.
    /// `nodes`: the rules for the spec's own device nodes (`linux.devices`), right after the
    /// deny-all, so the spec's rules can still narrow them.
    public static func effective(_ rules: [DeviceRule], nodes: [DeviceRule] = []) -> [DeviceRule] {
        let own = rules.first == denyAll ? Array(rules.dropFirst()) : rules
        let tail = own.count >= defaults.count && Array(own.suffix(defaults.count)) == defaults
        return [denyAll] + nodes + own + (tail ? [] : defaults)
    }

    /// Largest major/minor the rules accept: the kernel's dev_t has 12 bits of major and 20 of
    /// minor; anything up to Int32.max fits an eBPF immediate unchanged.
    public static let maxNumber: Int64 = Int64(Int32.max)

    /// Problems with the rule, e.g. `access "rx" may only contain r, w and m`; empty when valid.
    public func problems() -> [(field: String, message: String)] {
        var out: [(String, String)] = []
        if access.isEmpty || !access.allSatisfy({ "rwm".contains($0) }) || Set(access).count != access.count {
            out.append(("access", "\(access.debugDescription) must be a combination of r, w and m (each at most once)"))
        }
        for (field, value) in [("major", major), ("minor", minor)] {
            if let v = value, !(0...Self.maxNumber).contains(v) {
                out.append((field, "\(v) is out of range 0...\(Self.maxNumber) (null: any)"))
            }
        }
        return out
    }

    // MARK: cgroup v1

    /// The (file, line) writes that put `rules` into a v1 devices cgroup: "a" to devices.deny
    /// first, then each rule to devices.allow or devices.deny, as runc does. A rule for every
    /// type with limited access is written once for `c` and once for `b` (the kernel's `a` ignores
    /// the access and major:minor).
    /// `v1Writes` with consecutive writes to the same file grouped, in order: each group is
    /// written through one descriptor, one write(2) per line.
    public static func v1WriteRuns(_ rules: [DeviceRule]) -> [(file: String, lines: [String])] {
        var runs: [(file: String, lines: [String])] = []
        for (file, line) in v1Writes(rules) {
            if let last = runs.last, last.file == file {
                runs[runs.count - 1].lines.append(line)
            } else {
                runs.append((file, [line]))
            }
        }
        return runs
    }

    public static func v1Writes(_ rules: [DeviceRule]) -> [(file: String, line: String)] {
        var out: [(String, String)] = [("devices.deny", "a")]
        for rule in rules {
            let file = rule.allow ? "devices.allow" : "devices.deny"
            if rule.type != .all {
                out.append((file, rule.description))
            } else if rule.major == nil && rule.minor == nil && Set(rule.access) == Set("rwm") {
                if !(out.count == 1 && !rule.allow) { out.append((file, "a")) }
            } else {
                for kind in [Kind.char, .block] {
                    var r = rule
                    r.type = kind
                    out.append((file, r.description))
                }
            }
        }
        return out
    }
}

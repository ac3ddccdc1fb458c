import BerthCgroups
import BerthInit

/// `linux.resources.devices[]` to and from the cgroup drivers' `DeviceRule`.
extension SpecValidator {
    /// The container's full device list: deny all, the spec's rules, the runtime defaults
    /// (`DeviceRule.effective`). Always set, so a container without rules still cannot use
    /// (e.g. mknod and open) a host device it was not given.
    static func checkDevices(_ rules: [Spec.DeviceCgroup]?, _ issues: inout [SpecIssue]) -> [DeviceRule] {
        var out: [DeviceRule] = []
        for (i, d) in (rules ?? []).enumerated() {
            let field = "linux.resources.devices[\(i)]"
            guard let kind = DeviceRule.Kind(rawValue: d.type ?? "a") else {
                issues.append(SpecIssue("\(field).type", "\((d.type ?? "").debugDescription) is not a device type (a, c or b)"))
                continue
            }
            let rule = DeviceRule(allow: d.allow, type: kind, major: d.major, minor: d.minor, access: d.access ?? "rwm")
            let problems = rule.problems()
            for p in problems { issues.append(SpecIssue("\(field).\(p.field)", p.message)) }
            if problems.isEmpty { out.append(rule) }
        }
        return DeviceRule.effective(out)
    }
}

extension Spec.DeviceCgroup {
    public init(_ rule: DeviceRule) {
        self.init(allow: rule.allow, type: rule.type.rawValue, major: rule.major, minor: rule.minor, access: rule.access)
    }
}

extension Spec.DeviceCgroup {
    /// Docker's list for a container without `--device` (`DeviceRule.dockerDefault`).
    public static var dockerDefaults: [Spec.DeviceCgroup] { DeviceRule.dockerDefault.map(Spec.DeviceCgroup.init) }
}

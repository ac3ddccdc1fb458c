import BerthCgroups
import BerthInit

/// `linux.devices[]`: nodes init creates in the container (Docs/init.md "Devices"), and the
/// device cgroup rules that let the container use them.
extension SpecValidator {
    /// Checks every entry and returns one allow rule (`rwm`, as runc gives its device nodes) per
    /// character or block device; fifos need no rule. Problems name `linux.devices[i].field`.
    static func checkLinuxDevices(_ devices: [Spec.Device]?, mounts: [Spec.Mount]?, _ issues: inout [SpecIssue]) -> [DeviceRule] {
        guard let devices, !devices.isEmpty else { return [] }
        if let i = (mounts ?? []).firstIndex(where: bindsDev) {
            issues.append(SpecIssue("linux.devices", "cannot create device nodes: mounts[\(i)] bind-mounts /dev from the host (use a tmpfs on /dev)"))
        }
        var rules: [DeviceRule] = []
        var seen: [String: Int] = [:]
        for (i, d) in devices.enumerated() {
            let field = "linux.devices[\(i)]"
            if let path = checkDevicePath(d.path, field: field, &issues) {
                if let first = seen[path] {
                    issues.append(SpecIssue("\(field).path", "\(path.debugDescription) is already linux.devices[\(first)].path"))
                }
                seen[path] = seen[path] ?? i
            }
            let kind: DeviceRule.Kind?
            switch d.type {
            case "c", "u": kind = .char
            case "b": kind = .block
            case "p": kind = nil
            default:
                issues.append(SpecIssue("\(field).type", "\(d.type.debugDescription) is not a device type (c, u, b or p)"))
                continue
            }
            for (name, value) in [("major", d.major), ("minor", d.minor)] {
                if kind != nil, value == nil {
                    issues.append(SpecIssue("\(field).\(name)", "is required for type \(d.type.debugDescription)"))
                } else if let v = value, kind == nil, v != 0 {
                    issues.append(SpecIssue("\(field).\(name)", "\(v) is meaningless for a fifo (type \"p\"); omit it"))
                } else if let v = value, !(0...maxDeviceNumber(name)).contains(v) {
                    issues.append(SpecIssue("\(field).\(name)", "\(v) is out of range 0...\(maxDeviceNumber(name))"))
                }
            }
            if let mode = d.fileMode, mode > 0o777 {
                issues.append(SpecIssue("\(field).fileMode", "\(mode) (0o\(String(mode, radix: 8))) has bits beyond the permissions 0o777"))
            }
            if let kind, let major = d.major, let minor = d.minor {
                rules.append(DeviceRule(allow: true, type: kind, major: major, minor: minor, access: "rwm"))
            }
        }
        return rules
    }

    /// The kernel's dev_t: 12 bits of major, 20 of minor.
    static func maxDeviceNumber(_ field: String) -> Int64 { field == "major" ? 0xfff : 0xfffff }

    /// The cleaned absolute path, or nil after reporting why it is not one.
    static func checkDevicePath(_ path: String, field: String, _ issues: inout [SpecIssue]) -> String? {
        guard path.hasPrefix("/") else {
            issues.append(SpecIssue("\(field).path", "\(path.debugDescription) is not an absolute path"))
            return nil
        }
        let comps = path.split(separator: "/")
        guard !comps.contains("..") else {
            issues.append(SpecIssue("\(field).path", "\(path.debugDescription) must not contain .."))
            return nil
        }
        guard !path.utf8.contains(0) else {
            issues.append(SpecIssue("\(field).path", "contains a NUL byte"))
            return nil
        }
        let clean = comps.filter { $0 != "." }
        guard !clean.isEmpty else {
            issues.append(SpecIssue("\(field).path", "\(path.debugDescription) must name a file below the root"))
            return nil
        }
        return "/" + clean.joined(separator: "/")
    }

    static func bindsDev(_ m: Spec.Mount) -> Bool {
        let dest = "/" + m.destination.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        let opts = m.options ?? []
        return dest == "/dev" && (m.type == "bind" || opts.contains("bind") || opts.contains("rbind"))
    }
}

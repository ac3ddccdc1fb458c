import BerthSys

/// `dockerSecurityOptions` of a container definition. ECS documents four forms:
/// `no-new-privileges`, `apparmor:PROFILE`, `label:value` and `credentialspec:...`, and has no
/// seccomp option (aws/amazon-ecs-agent#896, aws/containers-roadmap#356): every ECS container runs
/// under Docker's default seccomp profile. Berth honours `no-new-privileges` (also Docker's
/// `no-new-privileges:true|false` / `=true|false`) and refuses everything else with the entry
/// named: there is no AppArmor, SELinux or Active Directory here, and no seccomp switch in ECS.
/// Pure.
enum SecurityOptions {
    /// Whether the options ask for no_new_privs; throws naming the first entry Berth cannot honour.
    static func noNewPrivileges(_ options: [String]?, _ path: String) throws(TranslationError) -> Bool {
        var noNewPrivileges = false
        for (i, raw) in (options ?? []).enumerated() {
            let field = "\(path)[\(i)]"
            let option = raw.trimmingCharacters(in: " ")
            if let value = Self.noNewPrivilegesValue(option) {
                guard let flag = value else {
                    throw TranslationError(field, "\(raw.debugDescription): no-new-privileges takes true or false")
                }
                noNewPrivileges = flag
                continue
            }
            throw TranslationError(field, refusal(option, raw))
        }
        return noNewPrivileges
    }

    /// nil: not a no-new-privileges option; .some(nil): one with a bad value.
    static func noNewPrivilegesValue(_ option: String) -> Bool?? {
        let key = "no-new-privileges"
        guard option.hasPrefix(key) else { return nil }
        let rest = option.dropFirst(key.count)
        if rest.isEmpty { return .some(true) }
        guard let sep = rest.first, sep == ":" || sep == "=" else { return nil }
        switch rest.dropFirst() {
        case "true": return .some(true)
        case "false": return .some(false)
        default: return .some(nil)
        }
    }

    static func refusal(_ option: String, _ raw: String) -> String {
        let kind = option.split(whereSeparator: { $0 == ":" || $0 == "=" }).first.map(String.init) ?? option
        switch kind {
        case "seccomp":
            return "\(raw.debugDescription) is not one of the security options ECS documents (\"no-new-privileges\", \"apparmor:PROFILE\", "
                + "\"label:value\", \"credentialspec:CredentialSpecFilePath\"); ECS has no seccomp setting, so every container runs "
                + "under Docker's default seccomp profile, widened by linuxParameters.capabilities.add as Docker does"
        case "apparmor":
            return "\(raw.debugDescription): AppArmor profiles are not supported by Berth (this host has no AppArmor); "
                + "Docker's default seccomp profile, capabilities and no-new-privileges are what Berth applies"
        case "label":
            return "\(raw.debugDescription): SELinux labels are not supported by Berth (no SELinux here); "
                + "Docker's default seccomp profile, capabilities and no-new-privileges are what Berth applies"
        case "credentialspec":
            return "\(raw.debugDescription): credential specs (Active Directory gMSA) are not supported by Berth"
        default:
            return "\(raw.debugDescription) is not one of the security options ECS documents (\"no-new-privileges\", \"apparmor:PROFILE\", "
                + "\"label:value\", \"credentialspec:CredentialSpecFilePath\")"
        }
    }
}

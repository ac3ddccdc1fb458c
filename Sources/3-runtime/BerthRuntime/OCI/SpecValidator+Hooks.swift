import BerthInit

extension SpecValidator {
    /// `hooks.<kind>[i]`: `path` absolute (runtime-spec config.md), `timeout` above zero.
    static func checkHooks(_ hooks: Spec.Hooks?, _ issues: inout [SpecIssue]) {
        guard let hooks else { return }
        let kinds: [(String, [Spec.Hook]?)] = [
            ("prestart", hooks.prestart), ("createRuntime", hooks.createRuntime), ("createContainer", hooks.createContainer),
            ("startContainer", hooks.startContainer), ("poststart", hooks.poststart), ("poststop", hooks.poststop),
        ]
        for (kind, list) in kinds {
            for (i, hook) in (list ?? []).enumerated() {
                let field = "hooks.\(kind)[\(i)]"
                if !hook.path.hasPrefix("/") {
                    issues.append(SpecIssue("\(field).path", "\(hook.path.debugDescription) is not an absolute path"))
                }
                if let timeout = hook.timeout, timeout <= 0 {
                    issues.append(SpecIssue("\(field).timeout", "\(timeout) must be greater than zero (seconds)"))
                }
            }
        }
    }
}

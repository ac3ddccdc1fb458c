/// Filesystems the kernel mounts in a user namespace only when the namespace they show belongs to
/// it: sysfs needs the container's own network namespace, mqueue its own IPC namespace. Created
/// after the user namespace they are its own; shared with the host (or joined by path) they are
/// not, and the host's instance is bound instead, as runc does.
enum UserNamespaceMounts {
    /// The host path to bind in place of a mount of `type`, or nil to mount it normally (pure).
    static func hostSource(type: String, plan: NamespacePlan) -> String? {
        guard plan.contains(.user) else { return nil }
        switch type {
        case "sysfs" where !plan.creates(.network): return "/sys"
        case "mqueue" where !plan.creates(.ipc): return "/dev/mqueue"
        default: return nil
        }
    }
}

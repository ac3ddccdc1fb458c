import BerthCgroups
import BerthECS
import BerthInit
import BerthRuntime
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A device node on the host, as `linuxParameters.devices[].hostPath` names it.
public struct HostNode: Sendable, Equatable {
    /// "c" or "b" (anything else is refused before this is built).
    public var type: String
    public var major: Int64
    public var minor: Int64
    /// Permission bits, uid and gid of the host node (Docker gives the container node the same).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(type: String, major: Int64, minor: Int64, mode: UInt32 = 0o666, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.type = type
        self.major = major
        self.minor = minor
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }

    /// stat(2) of `path` (following symlinks, as Docker does for /dev/disk/by-id/... names).
    /// nil: it exists but is not a character or block device.
    public static func lookup(_ path: String) throws(SysError) -> HostNode? {
        var st = stat()
        try Sys.call("stat", detail: path) { stat(path, &st) }
        let type: String
        switch st.st_mode & S_IFMT {
        case S_IFCHR: type = "c"
        case S_IFBLK: type = "b"
        default: return nil
        }
        return HostNode(type: type, major: Int64(berth_major(st.st_rdev)), minor: Int64(berth_minor(st.st_rdev)),
                        mode: UInt32(st.st_mode & 0o777), uid: st.st_uid, gid: st.st_gid)
    }
}

/// `linuxParameters.devices` → `linux.devices` (the node, made in the container's /dev from the
/// host node's type and major:minor, with its mode and owner, as Docker's `--device`) and device
/// cgroup rules with the definition's permissions (default read, write, mknod).
extension SpecBuilder {
    public struct DeviceMapping: Equatable {
        public var nodes: [Spec.Device] = []
        /// Per device: deny rwm, then allow the permissions (so the runtime's rwm rule for the
        /// node, `DeviceRule.effective(nodes:)`, is narrowed to exactly these).
        public var rules: [Spec.DeviceCgroup] = []
    }

    func devices(_ c: ContainerDefinition, _ path: String) throws(TranslationError) -> DeviceMapping {
        var out = DeviceMapping()
        var seen: Set<String> = []
        for (i, d) in (c.linuxParameters?.devices ?? []).enumerated() {
            let field = "\(path).linuxParameters.devices[\(i)]"
            guard let host = d.hostPath, host.hasPrefix("/") else {
                throw TranslationError("\(field).hostPath", "must be an absolute path to a device on this host")
            }
            let target = d.containerPath ?? host
            guard target.hasPrefix("/dev/"), !target.split(separator: "/").contains("..") else {
                throw TranslationError(d.containerPath == nil ? "\(field).hostPath" : "\(field).containerPath",
                                       "\(target.debugDescription) must be a path under /dev/ without ..: the rest of a task's root filesystem is mounted nodev")
            }
            guard seen.insert(target).inserted else {
                throw TranslationError("\(field).containerPath", "\(target.debugDescription) is already the path of another device of this container")
            }
            let node: HostNode?
            do { node = try statHost(host) } catch {
                throw TranslationError("\(field).hostPath", "\(host): \(error)")
            }
            guard let node else {
                throw TranslationError("\(field).hostPath", "\(host) is not a character or block device")
            }
            out.nodes.append(Spec.Device(path: target, type: node.type, major: node.major, minor: node.minor,
                                         fileMode: node.mode, uid: node.uid, gid: node.gid))
            let access = Self.access(d.permissions)
            out.rules.append(Spec.DeviceCgroup(allow: false, type: node.type, major: node.major, minor: node.minor, access: "rwm"))
            out.rules.append(Spec.DeviceCgroup(allow: true, type: node.type, major: node.major, minor: node.minor, access: access))
        }
        return out
    }

    /// read/write/mknod → "rwm" letters in that order; none given: all three (ECS agent and Docker).
    static func access(_ permissions: [DeviceCgroupPermission]?) -> String {
        let p = Set(permissions ?? [])
        if p.isEmpty { return "rwm" }
        return (p.contains(.read) ? "r" : "") + (p.contains(.write) ? "w" : "") + (p.contains(.mknod) ? "m" : "")
    }
}

import BerthSys
import CBerth

/// The one mount(2) wrapper of the init: every call is traced and its failure names `what`.
enum Mounts {
    static func mount(_ source: String?, on target: String, type: String?, flags: UInt, data: String? = nil,
                      what: String) throws(SysError) {
        Trace.step("mount", "\(what): source=\(source ?? "none") type=\(type ?? "none") flags=\(MountOptions.describe(flags))"
                   + (data.map { $0.isEmpty ? "" : " data=\($0)" } ?? ""))
        let d = (data?.isEmpty ?? true) ? nil : data
        try Sys.call("mount", detail: what) { berth_mount(source, target, type, flags, d) }
    }

    static func umount(_ target: String, flags: Int32, what: String) throws(SysError) {
        Trace.step("mount", "umount \(what)")
        try Sys.call("umount", detail: what) { berth_umount2(target, flags) }
    }
}

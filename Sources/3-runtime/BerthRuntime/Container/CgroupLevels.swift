import BerthCgroups
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Which levels of a container's cgroup Berth creates, so delete removes exactly those
/// (`ContainerState.cgroupCreated`) and never a parent that was there before.
enum CgroupLevels {
    /// The levels of `path` that do not exist yet, top down; Berth's own `berth` never counts.
    static func missing(_ path: CgroupPath, _ cgroups: any CgroupDriver) -> [String] {
        path.levels.filter { level in
            guard level != "berth", let p = try? CgroupPath(spec: level) else { return false }
            return !cgroups.exists(p)
        }
    }

    /// After the leaf is gone: rmdir the parents Berth created, deepest first, in every hierarchy.
    /// A parent that is not empty (another group was made under it since) stays, with a note.
    static func removeCreatedParents(_ created: [String], of leaf: CgroupPath, _ cgroups: any CgroupDriver) {
        for level in created.reversed() where level != leaf.relative {
            guard let p = try? CgroupPath(spec: level) else { continue }
            for dir in cgroups.directories(p) where Files.isDirectory(dir) {
                if rmdir(dir) == 0 {
                    Trace.step("cgroup", "removed created parent \(dir)")
                } else {
                    Trace.step("cgroup", "left created parent \(dir): \(String(cString: strerror(errno)))")
                }
            }
        }
    }
}

import BerthInit
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// What Docker (and therefore the ECS agent) gives every container unless told otherwise.
public enum DockerDefaults {
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// The device cgroup list: deny all, then mknod of any node and rw of the default devices,
    /// /dev/console, /dev/ptmx and /dev/pts/* (`DeviceRule.dockerDefault`).
    public static var devices: [Spec.DeviceCgroup] { Spec.DeviceCgroup.dockerDefaults }

    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// /proc, /dev, /dev/pts, /dev/shm (64 MiB unless sharedMemorySize), /dev/mqueue, /sys.
    public static func mounts(shmMiB: Int?, readonlySys: Bool = true) -> [Spec.Mount] {
        [
            Spec.Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            Spec.Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Spec.Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                       options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Spec.Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
                       options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(shmMiB.map { $0 * 1024 } ?? 65536)k"]),
            Spec.Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            Spec.Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        ]
    }

    /// ECS `ulimits[].name` → RLIMIT_*.
    public static func rlimitName(_ ecs: String) -> String { "RLIMIT_" + ecs.uppercased() }

    /// Fargate's default `nofile` (soft = hard = 65535) when the task definition sets none, lowered
    /// to this host's hard limit (raising it would need CAP_SYS_RESOURCE on the host).
    public static var nofile: Spec.Rlimit {
        var rl = rlimit()
        let hostHard = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl) == 0 ? UInt64(rl.rlim_max) : 65535
        let n = min(65535, hostHard)
        return Spec.Rlimit(type: "RLIMIT_NOFILE", soft: n, hard: n)
    }
}

import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// What Docker (and therefore the ECS agent) gives every container unless told otherwise.
public enum DockerDefaults {
    /// Docker's default capability set (moby oci/caps/defaults.go), 14 capabilities.
    /// Defined here until the runtime exports its own list.
    public static let capabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability name Linux knows (for "ALL" and for validating add/drop).
    public static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

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

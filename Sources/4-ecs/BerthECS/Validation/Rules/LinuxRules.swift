import BerthJSON

/// linuxParameters, ulimits and systemControls.
enum LinuxRules {
    /// The capability names ECS accepts in `linuxParameters.capabilities` ([M:KernelCapabilities]).
    static let capabilityNames: Set<String> = [
        "ALL", "AUDIT_CONTROL", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH",
        "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
        "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE",
        "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG",
        "WAKE_ALARM",
    ]

    /// Mount options ECS accepts for tmpfs ([M:Tmpfs.mountOptions]); `mode`, `uid`, `gid`,
    /// `nr_inodes`, `nr_blocks` and `mpol` take `=value`.
    static let tmpfsOptions: Set<String> = [
        "defaults", "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async", "dirsync",
        "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "bind", "rbind", "unbindable",
        "runbindable", "private", "rprivate", "shared", "rshared", "slave", "rslave", "relatime", "norelatime",
        "strictatime", "nostrictatime", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol",
    ]

    static func check(_ c: ContainerContext) {
        checkUlimits(c)
        checkSysctls(c)
        guard let lin = c.container.linuxParameters else { return }
        let p = c.path("linuxParameters")
        for key in ["add", "drop"] {
            let list = (key == "add" ? lin.capabilities?.add : lin.capabilities?.drop) ?? []
            for (i, cap) in list.enumerated() where !capabilityNames.contains(cap) {
                var message = "Unknown capability \(quoted(cap))."
                if cap.hasPrefix("CAP_"), capabilityNames.contains(String(cap.dropFirst(4))) {
                    message += " Write it without the CAP_ prefix: \(quoted(String(cap.dropFirst(4))))."
                } else if capabilityNames.contains(cap.uppercased()) {
                    message += " Capability names are upper case: \(quoted(cap.uppercased()))."
                }
                c.error(p / "capabilities" / key / i, message)
            }
        }
        for (i, t) in (lin.tmpfs ?? []).enumerated() {
            let tp = p / "tmpfs" / i
            if let path = t.containerPath, !path.hasPrefix("/") {
                c.error(tp / "containerPath", "tmpfs containerPath must be an absolute path, got \(quoted(path)).")
            }
            if let size = t.size, size <= 0 { c.error(tp / "size", "tmpfs size must be a positive number of MiB, got \(size).") }
            for (j, option) in (t.mountOptions ?? []).enumerated() {
                let name = String(option.split(separator: "=", maxSplits: 1).first ?? "")
                if !tmpfsOptions.contains(name) { c.error(tp / "mountOptions" / j, "Unsupported tmpfs mount option \(quoted(option)).") }
            }
        }
        for (i, dev) in (lin.devices ?? []).enumerated() {
            if let host = dev.hostPath, !host.hasPrefix("/") {
                c.error(p / "devices" / i / "hostPath", "Device hostPath must be an absolute path, got \(quoted(host)).")
            }
            if let target = dev.containerPath, !target.hasPrefix("/") {
                c.error(p / "devices" / i / "containerPath", "Device containerPath must be an absolute path, got \(quoted(target)).")
            }
        }
        if let shm = lin.sharedMemorySize, shm <= 0 {
            c.error(p / "sharedMemorySize", "sharedMemorySize must be a positive number of MiB, got \(shm).")
        }
        if let swap = lin.maxSwap, swap < 0 { c.error(p / "maxSwap", "maxSwap must be 0 or more MiB, got \(swap).") }
        if let s = lin.swappiness, !(0...100).contains(s) {
            c.error(p / "swappiness", "swappiness must be between 0 and 100, got \(s).")
        }
    }

    private static func checkUlimits(_ c: ContainerContext) {
        var names: Set<UlimitName> = []
        for (i, u) in (c.container.ulimits ?? []).enumerated() {
            let p = c.path("ulimits") / i
            if let soft = u.softLimit, soft < 0 { c.error(p / "softLimit", "softLimit must not be negative, got \(soft).") }
            if let hard = u.hardLimit, hard < 0 { c.error(p / "hardLimit", "hardLimit must not be negative, got \(hard).") }
            if let soft = u.softLimit, let hard = u.hardLimit, soft > hard {
                c.error(p / "softLimit", "softLimit (\(soft)) must not be greater than hardLimit (\(hard)).")
            }
            if let name = u.name, !names.insert(name).inserted {
                c.error(p / "name", "ulimit \(quoted(name.rawValue)) is set more than once in container \(c.label).")
            }
        }
    }

    /// Namespaced sysctls only: net.* (task network namespace) and the IPC ones.
    private static func checkSysctls(_ c: ContainerContext) {
        for (i, s) in (c.container.systemControls ?? []).enumerated() {
            let p = c.path("systemControls") / i
            guard let key = s.namespace, !key.isEmpty else {
                c.error(p / "namespace", "systemControls namespace should not be null or empty.")
                continue
            }
            if s.value == nil { c.error(p / "value", "systemControls value for \(quoted(key)) should not be null.") }
            let isNet = key.hasPrefix("net.")
            let isIPC = key.hasPrefix("fs.mqueue.") || ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"].contains(key)
            if !isNet && !isIPC {
                c.error(p / "namespace", "\(quoted(key)) is not a namespaced kernel parameter; only net.* and the IPC ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) can be set per task.")
            } else if isNet, c.task.networkMode == .host {
                c.error(p / "namespace", "\(quoted(key)) cannot be set when networkMode=host: it would change the host's network settings.")
            } else if isIPC, c.task.input.ipcMode == .host {
                c.error(p / "namespace", "\(quoted(key)) cannot be set when ipcMode=host: it would change the host's IPC settings.")
            }
        }
    }
}

#!/usr/bin/env python3
"""Write the OCI bundle configs the container checks (Scripts/vm/checks/7*-oci-*.sh) run.

    oci-bundles.py BASE_CONFIG OUT_DIR ROOTFS

Each variant is BASE_CONFIG (the busybox bundle's config.json) with its own process args, hostname,
linux.resources and extra capabilities, and root.path set to ROOTFS (shared, read-only) unless the variant
names its own. Written to OUT_DIR/<name>/config.json.
"""
import copy
import json
import os
import sys

MIB = 1024 * 1024

# Each open in a subshell: a failed redirection on `:` would end the shell.
DEVICE_PROBE = ('mknod /dev/k c 1 11 && echo mknod=ok;'
                ' if err=$( (: > /dev/k) 2>&1 ); then echo kmsg=opened; else echo "kmsg=refused $err"; fi;'
                ' echo x > /dev/null && echo null=ok; [ "$(head -c 8 /dev/urandom | wc -c)" = 8 ] && echo urandom=ok')

VARIANTS = {
    # PID 1 is the shell (kept alive past ps by the trailing echo); ps sees only the container's
    # own processes; the UTS name is ours; the network namespace has only lo; the root is read-only;
    # the process is in its own cgroup.
    "isolation": {
        "args": ["/bin/sh", "-c",
                 'echo "pid=$$ hostname=$(hostname)"; echo "net=$(ls /sys/class/net | tr \'\\n\' \' \')";'
                 ' touch /probe 2>/dev/null && echo rootfs=rw || echo rootfs=ro; cat /proc/self/cgroup;'
                 ' ps -o pid,comm; echo end'],
        "hostname": "vm-iso",
    },
    # dd's 200 MiB buffer under a 64 MiB limit: the kernel OOM-kills it.
    "mem-oom": {
        "args": ["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"],
        "resources": {"memory": {"limit": 64 * MIB}},
    },
    # The same limit, but the process only sleeps (killed with SIGKILL by `berth oci kill`).
    "mem-sleep": {
        "args": ["/bin/sleep", "1000"],
        "resources": {"memory": {"limit": 64 * MIB}},
    },
    # A busy loop under cpu.max "50000 100000".
    "cpu-half": {
        "args": ["/bin/sh", "-c", "while :; do :; done"],
        "resources": {"cpu": {"quota": 50000, "period": 100000}},
    },
    # A fork bomb under pids.max 20.
    "pids-bomb": {
        "args": ["/bin/sh", "-c", "b() { b | b & }; b; exec sleep 1000"],
        "resources": {"pids": {"limit": 20}},
    },
    # A long-running process to `berth oci exec` into.
    "sleeper": {
        "args": ["/bin/sleep", "1000"],
        "hostname": "vm-exec",
    },
    # CVE-2019-5736: the attacker (Tests/Fixtures/exe-attacker.c) in a rootfs whose /bin/sh is
    # `#!/proc/self/exe` (made by build-initramfs.sh); 76-oci-exe-escape.sh execs sh meanwhile.
    "exe-attacker": {
        "args": ["/exe-attacker", "20"],
        "root": "/exe-escape-rootfs",
    },
    # With CAP_MKNOD: make kmsg (c 1:11), open it for writing (no capability needed, so only
    # the device filter can refuse it), then use the default devices.
    "devices": {
        "args": ["/bin/sh", "-c", DEVICE_PROBE],
        "caps": ["CAP_MKNOD"],
    },
    # The same, with a spec rule that allows writing c 1:11.
    "devices-allowed": {
        "args": ["/bin/sh", "-c", DEVICE_PROBE],
        "caps": ["CAP_MKNOD"],
        "resources": {"devices": [{"allow": False, "access": "rwm"},
                                  {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}]},
    },
    # linux.devices: a node the device filter then allows (kmsg c 1:11, write-open needs no
    # capability, refused under the default list: see "devices"), a node with its own mode and
    # owner, a fifo; a mknod'ed tty1 (c 4:1) that is in no rule stays refused.
    "linux-devices": {
        "args": ["/bin/sh", "-c",
                 "stat -c 'stat=%n %F %t:%T %a %u:%g' /dev/kmsg2 /dev/mynull /dev/fifo;"
                 ' if err=$( (: > /dev/kmsg2) 2>&1 ); then echo kmsg2=opened; else echo "kmsg2=refused $err"; fi;'
                 ' mknod /dev/t c 4 1 && echo mknod=ok;'
                 ' if err=$( (: > /dev/t) 2>&1 ); then echo tty1=opened; else echo "tty1=refused $err"; fi;'
                 ' (echo via-fifo > /dev/fifo &); read line < /dev/fifo; echo "fifo=$line"'],
        "caps": ["CAP_MKNOD"],
        "devices": [{"path": "/dev/kmsg2", "type": "c", "major": 1, "minor": 11},
                    {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 1000, "gid": 5},
                    {"path": "/dev/fifo", "type": "p"}],
    },
    # linux.seccomp: mkdir/mkdirat fail with errno 122 (EDQUOT), everything else works.
    "seccomp": {
        "args": ["/bin/sh", "-c",
                 "grep Seccomp: /proc/self/status | tr -d '\\t'; mkdir /dev/d 2>&1; echo \"mkdir=$?\"; echo x > /dev/f && echo write=ok"],
        "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]},
    },
    # A double-forked daemon (re-parented away from the shell) next to the main process.
    "daemon": {
        "args": ["/bin/sh", "-c", "(sleep 1234 &); exec sleep 1236"],
    },
}


def main():
    base_path, out, rootfs = sys.argv[1:4]
    with open(base_path) as f:
        base = json.load(f)
    for name, v in VARIANTS.items():
        config = copy.deepcopy(base)
        config["process"]["args"] = v["args"]
        config["root"] = {"path": v.get("root", rootfs), "readonly": True}
        config["hostname"] = v.get("hostname", "vm-" + name)
        for cap_set in ("bounding", "effective", "permitted"):
            config["process"]["capabilities"][cap_set] += v.get("caps", [])
        if "resources" in v:
            config["linux"]["resources"] = v["resources"]
        if "devices" in v:
            config["linux"]["devices"] = v["devices"]
        if "seccomp" in v:
            config["linux"]["seccomp"] = v["seccomp"]
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "config.json"), "w") as f:
            json.dump(config, f, indent=2)


if __name__ == "__main__":
    main()

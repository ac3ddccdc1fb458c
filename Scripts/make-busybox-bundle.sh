#!/usr/bin/env bash
# Build a busybox root filesystem (from Debian's busybox-static) and, optionally, an OCI bundle
# whose config.json runs under berth, crun and runc alike.
#   Scripts/make-busybox-bundle.sh ROOTFS_DIR            # rootfs only
#   Scripts/make-busybox-bundle.sh --bundle BUNDLE_DIR   # BUNDLE_DIR/rootfs + BUNDLE_DIR/config.json
# Idempotent; safe to run again.
set -euo pipefail

bundle=""
if [ "${1:-}" = "--bundle" ]; then bundle="${2:?bundle dir}"; rootfs="$bundle/rootfs"; else rootfs="${1:?rootfs dir}"; fi

is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
bb=""
for cand in /bin/busybox /usr/bin/busybox; do
    if is_static "$cand"; then bb=$cand; break; fi
done
if [ -z "$bb" ]; then
    echo "make-busybox-bundle: need a static busybox (apt-get install busybox-static)" >&2
    exit 1
fi

mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,var/www,run}
chmod 1777 "$rootfs/tmp"
install -m 0755 "$bb" "$rootfs/bin/busybox"
for applet in $("$bb" --list); do
    case "$applet" in busybox) continue ;; esac
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
cat > "$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
P
cat > "$rootfs/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
staff:x:50:app
app:x:1000:
nogroup:x:65534:
G
echo "busybox" > "$rootfs/etc/hostname"
: > "$rootfs/etc/hosts"
: > "$rootfs/etc/resolv.conf"
mkdir -p "$rootfs/home/app" && chown 1000:1000 "$rootfs/home/app"
echo '<h1>hello from berth</h1>' > "$rootfs/var/www/index.html"

if [ -n "$bundle" ]; then
cat > "$bundle/config.json" <<'J'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/true"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "berth",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
J
fi
echo "$rootfs"

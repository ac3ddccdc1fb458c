#!/usr/bin/env bash
# Time from spawning `berth-init <state-dir>` to its `ready` line (the pipeline ends when both the
# intermediate process and the container process have closed the sync pipe, i.e. at `ready`),
# for a busybox container running /bin/true with Docker-like mounts, masks and capabilities.
#   Scripts/bench-init.sh [debug|release] [runs]
# Needs root and hyperfine. Builds berth-init in that configuration first and runs that one.
set -euo pipefail
cfg="${1:-debug}"
runs="${2:-100}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
(cd "$repo" && swift build -c "$cfg" --product berth-init >/dev/null)
init="$(cd "$repo" && swift build -c "$cfg" --show-bin-path)/berth-init"
work="$(mktemp -d /tmp/berth-init-bench-XXXXXX)"
trap 'rm -rf --one-file-system "$work"' EXIT
[ -n "${BENCH_KEEP:-}" ] && trap - EXIT && echo "$work"
"$repo/Scripts/make-busybox-bundle.sh" --bundle "$work/bundle" >/dev/null
mkdir -p "$work/state"
caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
cat > "$work/state/init.json" <<J
{"mode":"create","id":"bench","bundle":"$work/bundle","cgroupProcsFiles":[],"explain":false,
 "spec":{"ociVersion":"1.0.2",
  "process":{"user":{"uid":0,"gid":0},"args":["/bin/true"],"env":["PATH=/bin"],"cwd":"/",
    "capabilities":{"bounding":$caps,"effective":$caps,"permitted":$caps},
    "rlimits":[{"type":"RLIMIT_NOFILE","soft":1024,"hard":1024}],"noNewPrivileges":true},
  "root":{"path":"$work/bundle/rootfs","readonly":true},"hostname":"bench",
  "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
    {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
    {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
    {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
    {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
    {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}],
  "linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],
    "maskedPaths":["/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/sched_debug","/sys/firmware","/proc/scsi"],
    "readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}}
J
hyperfine -N --warmup 5 --runs "$runs" \
    "sh -c '$init $work/state 3>&1 >/dev/null 2>&1 | cat >/dev/null'" \
    "sh -c 'true 3>&1 | cat >/dev/null'"

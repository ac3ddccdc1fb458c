#!/usr/bin/env bash
# Start latency of `berth-oci` against crun and runc on a pure cgroup v2 kernel: the same VM as
# Scripts/vm-test-v2.sh (qemu TCG, Debian's cloud kernel), with crun and runc from this host added
# to the initramfs and Scripts/vm/bench-guest.sh as the guest's stage 2. On v2 crun creates its
# process inside the cgroup (clone3 CLONE_INTO_CGROUP) and so pays no cgroup migration, as
# berth does; this is the comparison most users' machines would see.
#
#   Scripts/vm-bench-v2.sh [-n RUNS] [--timeout SECONDS] [--seccomp default]
# (--seccomp default: Docker's default profile in the bundle for all three, as Scripts/bench-oci.sh.)
# Berth runs as `berth-oci`, the executable a container engine would be given as its runtime.
#
# TCG emulates every instruction, so absolute times are several times those on hardware; the
# runs alternate (berth, crun, runc, berth, ...) and the paired ratios are the figure to read.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=30 timeout_s=900 seccomp=""
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs=$2; shift 2 ;;
        --seccomp) seccomp=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "vm-bench-v2: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "vm-bench-v2: run as root" >&2; exit 1; }
kernel=$(ls /boot/vmlinuz-*cloud-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || { echo "vm-bench-v2: no /boot/vmlinuz-*cloud-amd64 (apt-get install linux-image-cloud-amd64)" >&2; exit 2; }
for tool in qemu-system-x86_64 crun runc cpio; do
    command -v "$tool" >/dev/null || { echo "vm-bench-v2: $tool not installed" >&2; exit 2; }
done

export PATH="/opt/swift/usr/bin:$PATH"
echo "vm-bench-v2: swift build -c release" >&2
(cd "$repo" && swift build -c release 2>&1 | grep -E 'error|Build complete' >&2)
bin="$(cd "$repo" && swift build -c release --show-bin-path)"

work=$(mktemp -d /tmp/berth-vmbench.XXXXXX)
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill "$qemu_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

"$here/vm/build-initramfs.sh" --berth "$bin/berth" --monitor "$bin/berth-monitor" --init "$bin/berth-init" --out "$work/initramfs.cpio.gz" >&2

# A second cpio archive, appended: the kernel unpacks concatenated archives in order, so these
# files are added to (or replace) the test guest's.
overlay="$work/overlay"
mkdir -p "$overlay/opt/bench/bin"
# In a directory of their own: entries of a later archive replace same-named ones, and the test
# guest's /usr/bin holds busybox applet links.
copy_with_libs() {
    install -m 0755 "$1" "$overlay/opt/bench/bin/$(basename "$1")"
    { ldd "$1" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$overlay$(dirname "$lib")"
        cp -L "$lib" "$overlay$lib"
    done
}
# coreutils date: busybox's has no %N.
for tool in crun runc date; do copy_with_libs "$(command -v "$tool")"; done
# overlayfs, a module in Debian's cloud kernel, which the test guest (no modules) cannot load:
# real hosts have it (Docker and Podman need it), and without it berth's monitor falls back from
# the sealed overlay view of berth-init to a sealed copy of it on every start (Docs/security.md).
module="/lib/modules/$(basename "$kernel" | sed 's/^vmlinuz-//')/kernel/fs/overlayfs/overlay.ko"
if [ -f "$module" ]; then install -m 0644 "$module" "$overlay/opt/bench/overlay.ko"; fi
# berth-oci (static) beside the test guest's berth-monitor and berth-init, where it looks for them.
mkdir -p "$overlay/usr/local/bin"
install -m 0755 "$bin/berth-oci" "$overlay/usr/local/bin/berth-oci"
install -m 0755 "$here/vm/bench-guest.sh" "$overlay/guest-init.sh"
# The bundle of Scripts/bench-oci.sh: /bin/true, namespaces pid/net/ipc/uts/mount, memory, cpu
# and pids limits, on the test guest's busybox rootfs.
"$repo/Scripts/make-busybox-bundle.sh" --bundle "$work/bundle" >/dev/null
mkdir -p "$overlay/benchbundle"
python3 - "$work/bundle/config.json" "$overlay/benchbundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": "/bundle/rootfs", "readonly": True}
c["linux"]["resources"] = {
    "memory": {"limit": 128 * 1024 * 1024},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000},
    "pids": {"limit": 64},
}
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
case "$seccomp" in
    "") ;;
    default)
        "$bin/berth-oci" seccomp-default > "$work/seccomp.json"
        "$repo/Scripts/seccomp-to-spec.py" "$work/seccomp.json" "$overlay/benchbundle/config.json" ;;
    *) echo "vm-bench-v2: --seccomp default is the only profile" >&2; exit 2 ;;
esac
(cd "$overlay" && find . | cpio -o -H newc --quiet | gzip -1) >> "$work/initramfs.cpio.gz"

echo "vm-bench-v2: booting ($runs runs per runtime and case)" >&2
timeout --signal=KILL "$timeout_s" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet panic=-1 bench.runs=$runs" </dev/null >"$work/serial.log" 2>&1 &
qemu_pid=$!
set +e
wait "$qemu_pid"
set -e
qemu_pid=""

tr -d '\r' < "$work/serial.log" | sed -n 's/.*\(BENCH .*\)/\1/p' > "$work/bench.txt"
if ! grep -qx 'BENCH DONE' "$work/bench.txt"; then
    echo "vm-bench-v2: FAIL: the guest did not finish; serial output before the end:" >&2
    tr -d '\r' < "$work/serial.log" | grep -v '^\[' | tail -30 >&2
    exit 1
fi
if grep -q '^BENCH FAIL' "$work/bench.txt"; then
    grep '^BENCH FAIL' "$work/bench.txt" | head -5 >&2
    exit 1
fi
# BENCH <case> <runtime> <i> <start ns> <end ns> -> <case> <runtime> <i> <microseconds>
awk '$2 == "run" || $2 == "lifecycle" { printf "%s %s %s %d\n", $2, $3, $4, ($6 - $5) / 1000 }' \
    "$work/bench.txt" > "$work/results.txt"
"$repo/Scripts/bench-table.py" "$work/results.txt" \
    "cgroup v2 guest (qemu TCG): $(sed -n 's/^BENCH START //p' "$work/bench.txt"); wall time in ms"

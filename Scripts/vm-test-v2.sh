#!/usr/bin/env bash
# Run Berth's cgroup v2 checks in a VM (this build host is cgroup v1/hybrid, so v2 is only testable
# in a guest). Boots the host's cloud kernel under qemu TCG emulation (KVM hangs on this host) with
# an initramfs from Scripts/vm/build-initramfs.sh; the guest runs Scripts/vm/checks/*.sh and prints
# `VMTEST <name> PASS|FAIL <detail>` lines on the serial console.
#
#   Scripts/vm-test-v2.sh [--berth PATH] [--monitor PATH] [--init PATH] [--timeout SECONDS] [--keep-log]
# (berth-monitor and berth-init default to the ones beside berth.)
#
# Exits 0 only if every check passed and the guest reached `VMTEST DONE`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
berth="" monitor="" init="" timeout_s=300 keep_log=0
while [ $# -gt 0 ]; do
    case "$1" in
        --berth) berth=$2; shift 2 ;;
        --monitor) monitor=$2; shift 2 ;;
        --init) init=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --keep-log) keep_log=1; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "vm-test-v2: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ -z "$berth" ]; then
    # Always (re)build: incremental, so cheap when up to date, and never tests a stale binary.
    # The release `berth` links the Swift runtime and Foundation statically (Package.swift), so
    # the guest needs only libc, libm, libstdc++ and libgcc_s next to it.
    export PATH="/opt/swift/usr/bin:$PATH"
    echo "vm-test-v2: swift build -c release" >&2
    (cd "$repo" && swift build -c release 2>&1 | grep -E 'error|Build complete' >&2)
    bin="$(cd "$repo" && swift build -c release --show-bin-path)"
    berth="$bin/berth"
    monitor=${monitor:-$bin/berth-monitor}
    init=${init:-$bin/berth-init}
fi
if [ -z "$monitor" ] && [ -x "$(dirname "$berth")/berth-monitor" ]; then monitor="$(dirname "$berth")/berth-monitor"; fi
if [ -z "$init" ] && [ -x "$(dirname "$berth")/berth-init" ]; then init="$(dirname "$berth")/berth-init"; fi

kernel=$(ls /boot/vmlinuz-*cloud-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || { echo "vm-test-v2: no /boot/vmlinuz-*cloud-amd64 (apt-get install linux-image-cloud-amd64)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "vm-test-v2: qemu-system-x86_64 not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-vmtest.XXXXXX)
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill "$qemu_pid" 2>/dev/null || true; fi
    if [ "$keep_log" = 1 ]; then echo "vm-test-v2: serial log kept at $work/serial.log" >&2; rm -f "$work/initramfs.cpio.gz"
    else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start=$(date +%s.%N)
args=(--berth "$berth" --out "$work/initramfs.cpio.gz")
[ -n "$monitor" ] && args+=(--monitor "$monitor")
[ -n "$init" ] && args+=(--init "$init")
"$here/vm/build-initramfs.sh" "${args[@]}" >&2
built=$(date +%s.%N)

# -no-reboot + panic=-1: a guest panic ends qemu at once instead of looping.
timeout --signal=KILL "$timeout_s" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
    -append 'console=ttyS0 quiet panic=-1' </dev/null >"$work/serial.log" 2>&1 &
qemu_pid=$!
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
qemu_pid=""
end=$(date +%s.%N)

# VMTEST lines, without the carriage returns and terminal escapes the console puts before them.
vmtest_lines() { tr -d '\r' < "$work/serial.log" | sed -n 's/.*\(VMTEST .*\)/\1/p'; }
vmtest_lines
total=0 failed=0
while read -r _ name verdict _; do
    [ "$name" = DONE ] && continue
    total=$((total + 1))
    [ "$verdict" = PASS ] || failed=$((failed + 1))
done < <(vmtest_lines)
done_seen=0
vmtest_lines | grep -qx 'VMTEST DONE' && done_seen=1

awk -v t="$total" -v f="$failed" -v s="$start" -v b="$built" -v e="$end" 'BEGIN {
    printf "vm-test-v2: %d checks, %d failed; initramfs %.1f s, VM %.1f s, total %.1f s\n", t, f, b - s, e - b, e - s }'
if [ "$done_seen" != 1 ]; then
    if [ "$qemu_rc" = 137 ]; then echo "vm-test-v2: FAIL: timed out after ${timeout_s}s" >&2
    else echo "vm-test-v2: FAIL: guest did not finish (qemu exit $qemu_rc)" >&2; fi
    echo "--- last serial output ---" >&2
    tr -d '\r' < "$work/serial.log" | tail -30 >&2
    exit 1
fi
if [ "$failed" -gt 0 ] || [ "$total" = 0 ]; then exit 1; fi
echo "vm-test-v2: PASS"

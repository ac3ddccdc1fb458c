#!/bin/sh
# Stage 2 of the VM test guest (PID 1 on a tmpfs root): mount the API filesystems and a pure
# cgroup v2 hierarchy, enable controllers at the root (we are the init system here), run every
# check in /checks/*.sh in name order and print `VMTEST <name> PASS|FAIL <detail>` lines, then
# `VMTEST DONE`, and power off.
#
# A check file is sourced with these helpers:  pass NAME DETAIL | fail NAME DETAIL | check NAME CMD...
export PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
. /guest-setup.sh
hostname vmguest

pass() { n=$1; shift; echo "VMTEST $n PASS $*"; }
fail() { n=$1; shift; echo "VMTEST $n FAIL $*"; }
# check NAME CMD...: PASS if CMD exits 0.
check() { n=$1; shift; if out=$("$@" 2>&1); then pass "$n" "$(echo "$out" | tail -1)"; else fail "$n" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi; }
# A number from "key: value" in a berth report, e.g. field "OOM killed" < file.
field() { sed -n "s/^berth: $1: \([^ ]*\).*/\1/p" "$2" | head -1; }
# Container checks: `oci ARGS...` is `berth oci --root /run/berth ARGS...`; `json KEY < state.json`
# prints the (scalar) value of "KEY" in the one-line JSON `berth oci state` prints;
# `oci_wait ID STATUS [TENTHS]` polls `berth oci state` until status is STATUS (default 10 s).
oci() { berth oci --root /run/berth "$@"; }
json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
# Fails at once if the container does not exist.
oci_wait() {
    _i=0
    while _s=$(oci state "$1" 2>/dev/null) && [ "$(echo "$_s" | json status)" != "$2" ]; do
        [ $_i -ge "${3:-100}" ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
    [ -n "$_s" ]
}

echo "VMTEST BOOT PASS kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
for f in /checks/*.sh; do
    [ -f "$f" ] || continue
    . "$f"
done
echo "VMTEST DONE"
sync
poweroff -f

#!/bin/sh
# Stage 2 of the cgroup v2 benchmark guest (Scripts/vm-bench-v2.sh puts it over the test guest's
# /guest-init.sh): the same API filesystems and pure cgroup v2 hierarchy as the test guest, then
# `berth-oci`, crun and runc run /bin/true on one bundle (/benchbundle), alternating, and every
# run prints `BENCH <case> <runtime> <i> <start ns> <end ns>`; `BENCH DONE` ends the list.
# (coreutils date by path: busybox ash runs its own applets first, and its date has no %N;
# the host subtracts.)
# The number of runs per runtime comes from the kernel command line (`bench.runs=N`).
export PATH=/opt/bench/bin:/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
. /guest-setup.sh
hostname vmbench

runs=$(sed -n 's/.*bench\.runs=\([0-9]*\).*/\1/p' /proc/cmdline)
runs=${runs:-30}
bundle=/benchbundle
# overlayfs as on a real host (Scripts/vm-bench-v2.sh copies the module in when the host has it).
[ -f /opt/bench/overlay.ko ] && insmod /opt/bench/overlay.ko 2>/dev/null
overlayfs=$(grep -qw overlay /proc/filesystems && echo "overlayfs loaded" || echo "no overlayfs")
echo "BENCH START kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, $runs runs, $overlayfs; $(crun --version | head -1); $(runc --version | head -1)"

# rt_exe RUNTIME: the command line of a runtime, each with its own state root on /run.
rt_exe() {
    case "$1" in
        berth) echo "berth-oci --root /run/state-berth" ;;
        *) echo "$1 --root /run/state-$1" ;;
    esac
}
run_case() { $(rt_exe "$1") run --bundle "$bundle" "$2" </dev/null >/dev/null 2>/tmp/err.$1; }
lifecycle_case() {
    exe=$(rt_exe "$1")
    $exe create --bundle "$bundle" "$2" </dev/null >/dev/null 2>/tmp/err.$1 && $exe start "$2" 2>>/tmp/err.$1 &&
        $exe delete --force "$2" 2>>/tmp/err.$1
}

for kind in run lifecycle; do
    for rt in berth crun runc; do
        if ! "${kind}_case" "$rt" "warm-$kind-$rt"; then
            echo "BENCH FAIL $kind $rt: $(tr '\n' ' ' < /tmp/err.$rt)"
        fi
    done
    for i in $(seq 1 "$runs"); do
        for rt in berth crun runc; do
            t0=$(/opt/bench/bin/date +%s%N)
            "${kind}_case" "$rt" "b$i-$kind-$rt" || echo "BENCH FAIL $kind $rt $i: $(tr '\n' ' ' < /tmp/err.$rt)"
            t1=$(/opt/bench/bin/date +%s%N)
            echo "BENCH $kind $rt $i $t0 $t1"
        done
    done
done
echo "BENCH DONE"
sync
poweroff -f

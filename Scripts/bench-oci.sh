#!/usr/bin/env bash
# Start latency of `berth oci` against crun and runc on the same busybox /bin/true bundle
# (namespaces pid, net, ipc, uts, mount; memory, cpu and pids limits).
#   Scripts/bench-oci.sh [-n RUNS] [--no-build]      (BERTH_BIN=PATH: bench that berth binary)
# Release build; runs alternate berth, crun, runc (A B C A B C ...) so drift in host load hits all
# three alike. Every runtime is wrapped the same way: crun refuses this hybrid host's non-empty
# cgroup2 mount, so each run happens in `unshare -m sh -c 'umount /sys/fs/cgroup/unified; exec RT ...'`
# (runtime-notes §4). Reports medians, the paired median ratio berth/crun and the monitor's RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

runs=30
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: $0 [-n RUNS] [--no-build]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench-oci: run as root" >&2; exit 1; }

if [ "$build" = 1 ]; then
    swift build -c release --product berth-monitor >/dev/null
    swift build -c release --product berth-init >/dev/null
    swift build -c release --product berth >/dev/null
fi
# BERTH_BIN=/path/to/berth (berth-monitor and berth-init beside it) compares another build, e.g. a
# saved baseline.
berth="${BERTH_BIN:-$(swift build -c release --show-bin-path)/berth}"
for exe in "$berth" "$(dirname "$berth")/berth-monitor" "$(dirname "$berth")/berth-init"; do
    [ -x "$exe" ] || { echo "bench-oci: $exe is missing: build first (berth, berth-monitor and berth-init side by side)" >&2; exit 1; }
done

# State roots on tmpfs under /run, where runc, crun and berth keep them by default.
work=$(mktemp -d /run/berth-bench-oci.XXXXXX)
cleanup() {
    for rt in berth crun runc; do
        for id in $(ls "$work/state-$rt" 2>/dev/null); do
            case $rt in
                berth) "$berth" oci --root "$work/state-berth" delete --force "$id" >/dev/null 2>&1 || true ;;
                *) wrap $rt --root "$work/state-$rt" delete --force "$id" >/dev/null 2>&1 || true ;;
            esac
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT

Scripts/make-busybox-bundle.sh --bundle "$work/bundle" >/dev/null
bundle="$work/bundle"
# The same cgroup limits for all three: each runtime creates the groups and writes the limits.
python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["resources"] = {
    "memory": {"limit": 128 * 1024 * 1024},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000},
    "pids": {"limit": 64},
}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY

# wrap RUNTIME ARGS...: the same private mount namespace for every runtime.
wrap() {
    local rt="$1"; shift
    local exe
    case "$rt" in berth) exe="$berth oci" ;; *) exe="$rt" ;; esac
    unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; exec $exe $*"
}

run_case() {   # run_case RUNTIME ID
    wrap "$1" --root "$work/state-$1" run --bundle "$bundle" "$2" </dev/null >/dev/null
}
lifecycle_case() {   # create + start + delete -f, in one wrapper
    local rt="$1" id="$2" exe
    case "$rt" in berth) exe="$berth oci" ;; *) exe="$rt" ;; esac
    unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null
        $exe --root $work/state-$rt create --bundle $bundle $id </dev/null >/dev/null &&
        $exe --root $work/state-$rt start $id &&
        $exe --root $work/state-$rt delete --force $id"
}

now() { date +%s%N; }
results="$work/results.tsv"
: > "$results"
for case in run lifecycle; do
    for rt in berth crun runc; do "${case}_case" "$rt" "warm-$case-$rt" || { echo "bench-oci: $rt $case failed" >&2; exit 1; }; done
    for i in $(seq 1 "$runs"); do
        for rt in berth crun runc; do
            t0=$(now)
            "${case}_case" "$rt" "b$i-$case-$rt"
            t1=$(now)
            printf '%s\t%s\t%s\t%s\n' "$case" "$rt" "$i" "$(( (t1 - t0) / 1000 ))" >> "$results"
        done
    done
done

# Resident memory of one monitor (a container sleeping in the background).
"$berth" oci --root "$work/state-berth" run --detach --bundle "$bundle" rss >/dev/null 2>&1 </dev/null || true
"$berth" oci --root "$work/state-berth" delete --force rss >/dev/null 2>&1 || true
python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["sleep", "30"]
json.dump(c, open(sys.argv[1], "w"))
PY
"$berth" oci --root "$work/state-berth" run --detach --bundle "$bundle" rss </dev/null >/dev/null
monitor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitorPid"])' "$work/state-berth/rss/state.json")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$monitor/status")
"$berth" oci --root "$work/state-berth" delete --force rss

Scripts/bench-table.py "$results" \
    "n=$runs alternating runs per runtime; wall time in ms; $(crun --version | head -1); $(runc --version | head -1)"
echo
echo "berth-monitor resident memory with one container running: $rss kB"

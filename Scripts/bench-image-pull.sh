#!/usr/bin/env bash
# Pull-and-unpack speed: `berth image pull` against `skopeo copy docker://... oci:...` followed by
# `umoci unpack`, from the same loopback registry (Debian's docker-registry, plain HTTP), alternating
# berth, skopeo+umoci, berth, ... with a fresh store / layout each time so every run downloads and
# unpacks everything. Then the incremental case: an image that shares all but its last layer with
# one already in the store, pulled by berth (time proportional to that one layer?).
#
# The test image is made here with umoci: a busybox layer and 5 layers of ~45 MB each (30 MB that
# does not compress and 15 MB of text in 300 files), ~230 MB in all, pushed with skopeo.
#
# Usage (root): Scripts/bench-image-pull.sh [-n RUNS] [--no-build]   (default 5 runs each)
# Prints each run, the medians, the median of the paired ratios berth/(skopeo+umoci) and the
# incremental figures. Everything lives in a temp directory removed at the end.
set -euo pipefail
runs=5
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: $0 [-n RUNS] [--no-build]" >&2; exit 2 ;;
    esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "bench-image-pull: must run as root" >&2; exit 1; }
for t in docker-registry skopeo umoci busybox; do
    command -v "$t" >/dev/null || { echo "bench-image-pull: $t missing (Scripts/setup.sh --test installs it)" >&2; exit 1; }
done
export PATH="/opt/swift/usr/bin:$PATH"
if [ "$build" = 1 ]; then (cd "$repo" && swift build -c release --product berth >/dev/null); fi
berth="${BERTH_BIN:-$(cd "$repo" && swift build -c release --show-bin-path)/berth}"

work="$(mktemp -d /tmp/berth-pull-bench-XXXXXX)"
registry_pid=""
cleanup() {
    if [ -n "$registry_pid" ]; then kill -9 "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- a registry on a free loopback port -----------------------------------------------------------
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$work/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
reg="127.0.0.1:$port"

# --- the test image ---------------------------------------------------------------------------------
layout="$work/layout"
umoci init --layout "$layout"
umoci new --image "$layout:bench"
umoci unpack --image "$layout:bench" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"
mkdir -p "$root/bin"
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh ls cat true; do ln -sf busybox "$root/bin/$a"; done
umoci repack --refresh-bundle --image "$layout:bench" "$work/bundle"
add_layer() {  # add_layer N MB_RANDOM
    local d="$root/data$1"
    mkdir -p "$d/text"
    head -c "${2}M" /dev/urandom > "$d/random.bin"
    for f in $(seq 300); do head -c 38400 /dev/urandom | base64 -w 76 > "$d/text/f$f.txt"; done
    umoci repack --refresh-bundle --image "$layout:bench" "$work/bundle"
}
for i in 1 2 3 4 5; do add_layer "$i" 30; done
umoci config --image "$layout:bench" --config.cmd /bin/sh
skopeo copy -q --dest-tls-verify=false "oci:$layout:bench" "docker://$reg/bench:v1"
add_layer 6 20
skopeo copy -q --dest-tls-verify=false "oci:$layout:bench" "docker://$reg/bench:v2"
size_mb=$(du -sm "$root" | cut -f1)
echo "image: $reg/bench:v1, $(skopeo inspect --tls-verify=false "docker://$reg/bench:v1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))') layers, v2 adds one of ~35 MB; unpacked v2 ${size_mb} MB"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
berth_pull() {  # berth_pull STORE REF
    "$berth" image pull --quiet --images "$1" "$2" >/dev/null
}
skopeo_pull() {  # skopeo_pull DIR REF
    skopeo copy -q --src-tls-verify=false "docker://$2" "oci:$1/layout:img" >/dev/null
    umoci unpack --image "$1/layout:img" "$1/bundle" >/dev/null
}

b_times=(); s_times=(); ratios=()
for r in $(seq "$runs"); do
    sync; t0=$(now_ms); berth_pull "$work/store-$r" "$reg/bench:v1"; t1=$(now_ms)
    b=$((t1 - t0))
    mkdir -p "$work/skopeo-$r"
    sync; t0=$(now_ms); skopeo_pull "$work/skopeo-$r" "$reg/bench:v1"; t1=$(now_ms)
    s=$((t1 - t0))
    b_times+=("$b"); s_times+=("$s"); ratios+=("$(python3 -c "print(round($b/$s, 3))")")
    echo "run $r: berth ${b} ms, skopeo+umoci ${s} ms, ratio ${ratios[-1]}"
    # the incremental pull, into the store that now holds v1 (after a sync, as the full pulls:
    # otherwise it pays for writing back the previous pull's 230 MB)
    sync; t0=$(now_ms); berth_pull "$work/store-$r" "$reg/bench:v2"; t1=$(now_ms)
    inc+=("$((t1 - t0))")
    echo "run $r: berth pull of v2 over v1 (one new layer): $((t1 - t0)) ms"
    # and once more with everything present: what any pull costs (process, manifest, index)
    t0=$(now_ms); berth_pull "$work/store-$r" "$reg/bench:v2"; t1=$(now_ms)
    noop+=("$((t1 - t0))")
    echo "run $r: berth pull of v2 already present: $((t1 - t0)) ms"
    rm -rf --one-file-system "$work/store-$r" "$work/skopeo-$r"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mb=$(median "${b_times[@]}"); ms=$(median "${s_times[@]}"); mr=$(median "${ratios[@]}"); mi=$(median "${inc[@]}"); mn=$(median "${noop[@]}")
echo "median: berth ${mb} ms, skopeo+umoci ${ms} ms; median paired ratio ${mr} (goal <= 0.7)"
echo "incremental: v2 over v1 ${mi} ms = $(python3 -c "print(round($mi/$mb, 3))") of a full pull (the new layer is ~$(python3 -c "print(round(35/$size_mb, 3))") of the image)"
echo "a pull with nothing to fetch: ${mn} ms; beyond that, the new layer took $(python3 -c "print(round(($mi-$mn)/max(1,$mb-$mn), 3))") of what a full pull took beyond it"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

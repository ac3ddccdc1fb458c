#!/usr/bin/env bash
# Pull-and-unpack time of `berth image pull` against `skopeo copy docker://... oci:...` followed by
# `umoci unpack`, from Debian's docker-registry on loopback, on the same image: LAYERS layers of
# MB megabytes each of random data (gzip'd by umoci), plus a second image sharing all but one
# layer (berth's second pull should cost about that one layer).
#   Scripts/bench-image-pull.sh [-n RUNS] [--layers N] [--mb MB] [--no-build]
# Release build; runs alternate berth, skopeo+umoci, so drift in host load hits both alike; each
# run starts from an empty store / empty directories. Reports medians and the paired median
# ratio berth / (skopeo+umoci).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

runs=5 layers=5 mb=40 build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        --layers) layers="$2"; shift 2 ;;
        --mb) mb="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: $0 [-n RUNS] [--layers N] [--mb MB] [--no-build]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench-image-pull: run as root" >&2; exit 1; }
for tool in docker-registry skopeo umoci python3; do
    command -v "$tool" >/dev/null || { echo "bench-image-pull: $tool is missing: Scripts/setup.sh --test installs it" >&2; exit 1; }
done
[ "$build" = 1 ] && swift build -c release --product berth >/dev/null
berth="${BERTH_BIN:-$(swift build -c release --show-bin-path)/berth}"

work=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
registry_pid=
cleanup() {
    [ -n "$registry_pid" ] && kill -9 "$registry_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The image: LAYERS layers of random files; `second` = the same plus one more small layer.
cd "$work"
umoci init --layout lay >/dev/null
umoci new --image lay:first
for i in $(seq "$layers"); do
    umoci unpack --image lay:first b >/dev/null
    head -c $((mb * 1000000)) /dev/urandom > "b/rootfs/file$i"
    umoci repack --image lay:first b && rm -rf b
done
umoci unpack --image lay:first b >/dev/null && head -c 1000000 /dev/urandom > b/rootfs/extra
umoci repack --image lay:second b && rm -rf b

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' "$work" "$port" > registry.yml
docker-registry serve registry.yml >registry.log 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
for tag in first second; do skopeo copy -q --dest-tls-verify=false oci:lay:$tag docker://127.0.0.1:$port/bench/app:$tag; done
image=127.0.0.1:$port/bench/app
pull() { "$berth" image pull -q --store "$work/store" --auth-file "$work/auth.json" --registries "$work/none.json" "$@" >/dev/null; }
now() { date +%s.%N; }

b=() s=() second=()
for r in $(seq "$runs"); do
    rm -rf store o u
    t0=$(now); pull "$image:first"; t1=$(now)
    pull "$image:second"; t2=$(now)
    skopeo copy -q --src-tls-verify=false "docker://$image:first" oci:o:first && umoci unpack --image o:first u >/dev/null; t3=$(now)
    b+=("$(echo "$t1 - $t0" | bc)") second+=("$(echo "$t2 - $t1" | bc)") s+=("$(echo "$t3 - $t2" | bc)")
    echo "run $r: berth ${b[-1]} s (second image ${second[-1]} s), skopeo+umoci ${s[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratios=()
for i in "${!b[@]}"; do ratios+=("$(echo "${b[$i]} / ${s[$i]}" | bc -l)"); done
size=$(du -sh "$work/data" | cut -f1)
echo "image: $layers layers x $mb MB random (registry holds $size)"
printf 'berth pull+unpack       median %.2f s\n' "$(median "${b[@]}")"
printf 'skopeo copy + umoci     median %.2f s\n' "$(median "${s[@]}")"
printf 'berth / skopeo+umoci    median %.2f\n' "$(median "${ratios[@]}")"
printf 'berth second image (1 new 1 MB layer)  median %.2f s\n' "$(median "${second[@]}")"

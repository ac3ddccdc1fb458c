#!/usr/bin/env bash
# `berth image save` (tar + gzip of the stored layer trees, digests, OCI layout, archive) against
# the same work done by GNU tar, gzip and sha256sum: `tar --sort=name --xattrs -c` of each layer
# tree, its sha256 (diff_id), `gzip -6`, the sha256 of that (blob digest), then `tar -c` of the
# blobs, on one multi-layer image.
#   Scripts/bench-image-save.sh [-n RUNS] [--no-build]      (BERTH_BIN=PATH: bench that binary)
# The image: /usr/lib/python3* and /usr/share/perl* of this host (text and binaries, many small
# files) split in three layers, plus busybox; imported once. Runs alternate berth, reference
# (A B A B ...); prints the medians and the median of the per-pair ratios berth/reference.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

runs=7
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: $0 [-n RUNS] [--no-build]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench-image-save: run as root (the store keeps owners and device nodes)" >&2; exit 1; }
[ "$build" = 1 ] && swift build -c release --product berth >/dev/null
berth="${BERTH_BIN:-$(swift build -c release --show-bin-path)/berth}"

work=$(mktemp -d /var/tmp/berth-bench-save.XXXXXX)
trap 'rm -rf "$work"' EXIT
store="$work/store"

# Three layers in an OCI layout made with umoci, imported into Berth's store.
umoci init --layout "$work/lay" >/dev/null
umoci new --image "$work/lay:t"
step=0
for src in /bin/busybox "$(ls -d /usr/lib/python3* | head -1)" "$(ls -d /usr/share/perl* /usr/lib/x86_64-linux-gnu/perl* 2>/dev/null | head -1)"; do
    umoci unpack --image "$work/lay:t" "$work/b" >/dev/null
    mkdir -p "$work/b/rootfs/l$step" && cp -a "$src" "$work/b/rootfs/l$step/"
    umoci repack --image "$work/lay:t" "$work/b" && rm -rf "$work/b"
    step=$((step + 1))
done
"$berth" image import --images "$store" bench:1 "$work/lay" >/dev/null
layers=$(ls "$store/layers")
echo "image: $(echo "$layers" | wc -l) layers, $(du -sh "$store/layers" | cut -f1) unpacked, $(find "$store/layers" | wc -l) entries"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
reference() {
    mkdir -p "$work/ref/blobs"
    for l in $layers; do
        tar --sort=name --xattrs --numeric-owner --mtime=@0 -C "$store/layers/$l" -cf - . \
            | tee >(sha256sum >"$work/ref/diff-$l") | gzip -6 | tee >(sha256sum >"$work/ref/digest-$l") > "$work/ref/blobs/$l"
    done
    tar -C "$work/ref" -cf "$work/ref.tar" blobs && sync -f "$work/ref.tar"
    rm -rf "$work/ref" "$work/ref.tar"
}
save() { "$berth" image save --images "$store" bench:1 -o "$work/out.tar" && rm -f "$work/out.tar"; }

b=(); r=()
for i in $(seq "$runs"); do
    b+=("$(ms save)")
    r+=("$(ms reference)")
done
python3 - "${b[*]}" "${r[*]}" <<'PY'
import statistics, sys
b = [int(x) for x in sys.argv[1].split()]; r = [int(x) for x in sys.argv[2].split()]
print(f"berth image save   median {statistics.median(b)} ms  {b}")
print(f"tar|sha|gzip|sha   median {statistics.median(r)} ms  {r}")
print(f"ratio berth/reference (median of pairs) {statistics.median(x / y for x, y in zip(b, r)):.2f}")
PY

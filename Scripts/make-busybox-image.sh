#!/usr/bin/env bash
# Register busybox:latest in Berth's image store from Debian's static busybox.
#   Scripts/make-busybox-image.sh [--store DIR]     (default store /var/lib/berth/images)
# Runs $BERTH if set, else builds the release berth and runs that.
# Idempotent: importing the same tree again reuses the same content-addressed layer.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BERTH:-}" ]; then
    berth="$BERTH"
else
    # No BERTH given: build the release berth (the README's) and use that one.
    export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --product berth >/dev/null
    berth="$(swift build -c release --show-bin-path)/berth"
fi
store_args=()
if [ "${1:-}" = "--store" ]; then store_args=(--store "${2:?store dir}"); fi
tmp="$(mktemp -d /tmp/berth-busybox-image.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
Scripts/make-busybox-bundle.sh "$tmp/rootfs" >/dev/null
"$berth" image import "${store_args[@]}" --cmd /bin/sh busybox:latest "$tmp/rootfs"

#!/usr/bin/env bash
# Register busybox:latest in Berth's image store from Debian's static busybox.
#   Scripts/make-busybox-image.sh [--images DIR]    (default store /var/lib/berth/images; --store: same)
# Builds nothing: runs $BERTH, which callers set to the berth they just built; without it the
# debug build (the one `swift build` and the tests use).
# Idempotent: importing the same tree again reuses the same content-addressed layer.
set -euo pipefail
cd "$(dirname "$0")/.."
berth="${BERTH:-.build/debug/berth}"
store_args=()
if [ "${1:-}" = "--store" ] || [ "${1:-}" = "--images" ]; then store_args=(--images "${2:?store dir}"); fi
tmp="$(mktemp -d /tmp/berth-busybox-image.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
Scripts/make-busybox-bundle.sh "$tmp/rootfs" >/dev/null
"$berth" image import "${store_args[@]}" --cmd /bin/sh busybox:latest "$tmp/rootfs"

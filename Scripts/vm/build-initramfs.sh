#!/usr/bin/env bash
# Build the initramfs for the cgroup v2 VM test (Scripts/vm-test-v2.sh):
#   static busybox (as /bin/*), the given berth, berth-monitor and berth-init binaries in /usr/local/bin with
#   the shared libraries `ldd` says they need (and the dynamic loader), a busybox OCI bundle at
#   /bundle (for container checks) and per-check configs in /bundles/<name> (Scripts/vm/oci-bundles.py), /init (stage 1: copy to a tmpfs and switch_root, so that
#   pivot_root works for containers), /guest-init.sh (stage 2, sourcing /guest-setup.sh) and /checks/*.sh.
#
#   Scripts/vm/build-initramfs.sh --berth PATH --monitor PATH --init PATH --out FILE.cpio.gz
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
berth="" monitor="" init="" out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --berth) berth=$2; shift 2 ;;
        --monitor) monitor=$2; shift 2 ;;
        --init) init=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "build-initramfs: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$berth" ] && [ -x "$berth" ] || { echo "build-initramfs: --berth PATH (an executable) is required" >&2; exit 2; }
[ -n "$out" ] || { echo "build-initramfs: --out FILE is required" >&2; exit 2; }

stage=$(mktemp -d /tmp/berth-initramfs.XXXXXX)
trap 'rm -rf "$stage"' EXIT

# Root filesystem: busybox and its applets, /etc files (the same script makes container rootfs).
"$repo/Scripts/make-busybox-bundle.sh" "$stage" >/dev/null
mkdir -p "$stage"/{usr/local/bin,lib64,run,tmp,newroot,checks}
"$repo/Scripts/make-busybox-bundle.sh" --bundle "$stage/bundle" >/dev/null
# Per-check variants of its config.json for the container checks, all on /bundle/rootfs.
python3 "$here/oci-bundles.py" "$stage/bundle/config.json" "$stage/bundles" /bundle/rootfs
# 76-oci-exe-escape.sh's rootfs: busybox whose /bin/sh is `#!/proc/self/exe`, and the attacker,
# built statically with the toolchain's clang (or cc).
cp -a "$stage/bundle/rootfs" "$stage/exe-escape-rootfs"
rm "$stage/exe-escape-rootfs/bin/sh"
printf '#!/proc/self/exe\n' > "$stage/exe-escape-rootfs/bin/sh"
chmod 0755 "$stage/exe-escape-rootfs/bin/sh"
cc=$(command -v clang || command -v cc) || { echo "build-initramfs: need clang or cc for the exe-escape check" >&2; exit 2; }
"$cc" -static -O2 -o "$stage/exe-escape-rootfs/exe-attacker" "$repo/Tests/Fixtures/exe-attacker.c"

# Berth binaries and every library they load (paths kept as ldd reports them; the release
# binaries are static executables, for which ldd lists nothing and fails).
copy_with_libs() {
    install -m 0755 "$1" "$stage/usr/local/bin/$2"
    { ldd "$1" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib"
    done
}
copy_with_libs "$berth" berth
if [ -n "$monitor" ]; then copy_with_libs "$monitor" berth-monitor; fi
if [ -n "$init" ]; then copy_with_libs "$init" berth-init; fi

install -m 0755 "$here/guest-init.sh" "$stage/guest-init.sh"
install -m 0644 "$here/guest-setup.sh" "$stage/guest-setup.sh"
cp "$here"/checks/*.sh "$stage/checks/"
cat > "$stage/init" <<'INIT'
#!/bin/sh
# Stage 1: the initramfs root cannot be pivot_root'ed away from, so copy it to a tmpfs and switch.
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /newroot
for d in /*; do
    case "$d" in /newroot|/proc|/sys|/dev) continue ;; esac
    /bin/busybox cp -a "$d" /newroot/
done
/bin/busybox mkdir -p /newroot/proc /newroot/sys /newroot/dev
exec /bin/busybox switch_root /newroot /guest-init.sh
INIT
chmod 0755 "$stage/init"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$out"
echo "build-initramfs: $(du -h "$out" | cut -f1) $out"

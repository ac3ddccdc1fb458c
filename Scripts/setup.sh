#!/usr/bin/env bash
# Install what Berth needs on Debian 12 (run as root). Idempotent.
#   Scripts/setup.sh          runtime needs: busybox-static (the built-in image), iproute2;
#                             build needs: libzstd-dev and zlib1g-dev (zstd layers, gzip on save),
#                             libssl-dev (TLS, SHA-256), libseccomp-dev (linux.seccomp compiler)
#   Scripts/setup.sh --test   also what the tests and benchmarks use: crun and runc (reference
#                             runtimes), qemu + Debian's cloud kernel (cgroup v2 VM test),
#                             skopeo, umoci, docker-registry, apache2-utils (htpasswd) and openssl
#                             (image archives and registry tests),
#                             awscli, boto3 and pytest from PyPI (API compatibility tests),
#                             Debian's awscli (aws CLI v2 as /usr/bin/aws: `aws logs tail`, AWSLogsTests)
#                             haproxy and wrk (Scripts/bench-lb.sh: the load balancer against HAProxy)
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ "$(id -u)" != 0 ]; then
    echo "setup: run as root (Berth creates namespaces, mounts and cgroups)" >&2
    exit 1
fi

pkgs=(busybox-static iproute2 procps file cpio ca-certificates libzstd-dev zlib1g-dev libssl-dev libseccomp-dev)
if [ "$want_test" = 1 ]; then
    pkgs+=(crun runc qemu-system-x86 linux-image-cloud-amd64 hyperfine psmisc python3-pip strace skopeo umoci docker-registry zstd apache2-utils openssl gcc libc6-dev curl awscli haproxy wrk)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_test" = 1 ]; then
    # Debian 12's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise;
    # pip then installs to /usr/local, ahead of Debian's packages on sys.path and PATH.
    pip_install() { python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"; }
    # The PyPI aws CLI (v1, `aws` first on PATH) is what the API tests drive; Debian's awscli
    # package (v2, /usr/bin/aws) only serves `aws logs tail`. Its module must not count as v1.
    python3 -c 'import awscli, sys; sys.exit(awscli.__version__.split(".")[0] != "1")' 2>/dev/null || pip_install 'awscli<2'
    for mod in boto3 pytest; do
        python3 -c "import ${mod}" 2>/dev/null || pip_install "$mod"
    done
fi

# Swift 6.3: Berth needs the toolchain on PATH (this project's machines have it in /opt/swift).
if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "setup: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "setup: Swift 6.3 is required (https://www.swift.org/install/linux/debian/12/)" >&2
        exit 1
    fi
fi
echo "setup: ok"

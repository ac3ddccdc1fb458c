#!/usr/bin/env bash
# Run every Berth test: unit tests, root integration tests with real containers on this kernel,
# the ECS API tests with the real aws CLI and boto3, and the cgroup v2 tests in a qemu VM.
# Usage (as root, from anywhere): Scripts/test.sh [--no-vm]
# Suites run one at a time (--no-parallel): many of them measure or change host-wide state
# (cgroup CPU usage, mounts, network namespaces), so parallel suites would disturb each other.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

run_vm=1
[ "${1:-}" = "--no-vm" ] && run_vm=0

Scripts/setup.sh --test

if [ "$(id -u)" != 0 ]; then
    echo "test: the integration tests need root; run as root" >&2
    exit 1
fi

status=0
step() { echo; echo "=== $* ==="; }

step "module layering (Scripts/check-layers.py)"
python3 Scripts/check-layers.py || status=1

step "build (debug)"
swift build 2>&1 | grep -E 'error|warning: unre|Compiling|Build complete' | grep -v '^\[' || true
swift build >/dev/null

step "swift test (unit + root integration)"
set +e
swift test --no-parallel 2>&1 | tee /tmp/berth-swift-test.log | grep --line-buffered -E '✘|error:|failed after|Test run with|recorded an issue' | cut -c1-400
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then echo "swift test: FAILED (exit $rc; full log /tmp/berth-swift-test.log)"; status=1; fi

if [ -d Tests/aws ]; then
    step "ECS API with aws CLI and boto3"
    python3 -m pytest Tests/aws -q || status=1
fi

if [ "$run_vm" = 1 ] && [ -x Scripts/vm-test-v2.sh ]; then
    step "cgroup v2 in a qemu VM"
    Scripts/vm-test-v2.sh || status=1
fi

echo
if [ "$status" = 0 ]; then echo "test: all passed"; else echo "test: FAILED"; fi
exit "$status"

#!/usr/bin/env bash
# The main job: install what Berth needs, build it, register the built-in busybox image and run
# an example task definition (a web server and a sidecar that reaches it on localhost).
# Usage (as root): Scripts/demo.sh [TASK_DEFINITION.json]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

Scripts/setup.sh
echo "demo: building berth (release)"
swift build -c release --product berth 2>&1 | grep -E 'error|Build complete' || true
swift build -c release --product berth-monitor 2>&1 | grep -E 'error|Build complete' || true
berth=.build/release/berth
Scripts/make-busybox-image.sh "$berth"
task="${1:-TaskDefinitions/web-sidecar.json}"
echo "demo: berth run $task"
exec "$berth" run "$task"

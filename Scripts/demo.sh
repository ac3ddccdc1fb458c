#!/usr/bin/env bash
# The main job: install what Berth needs, build it, register the built-in busybox image and run
# an example task definition: a web server and an essential tester container that waits for the
# server's health check, fetches from it on localhost three times, and ends the task.
# Usage (as root): Scripts/demo.sh [TASK_DEFINITION.json]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

Scripts/setup.sh
echo "demo: swift build -c release"
swift build -c release 2>&1 | grep -E 'error|Compiling|Build complete' | grep -v '^\[' || true
swift build -c release >/dev/null
BERTH="$(swift build -c release --show-bin-path)/berth"
export BERTH
Scripts/make-busybox-image.sh
task="${1:-TaskDefinitions/smoke-test.json}"
echo "demo: berth run $task"
exec "$BERTH" run "$task"

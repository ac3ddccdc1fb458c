#!/usr/bin/env bash
# Wall time of a whole one-container task with `berth run` (validate, overlay + netns + cgroups,
# create, start, exit, stop sequence, cleanup), measured with hyperfine.
#   Scripts/bench-task-run.sh [debug|release]   (as root; builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
config="${1:-release}"
for b in berth berth-monitor berth-init berth-reaper; do swift build -c "$config" --product "$b" >/dev/null; done
berth="$(swift build -c "$config" --show-bin-path)/berth"
store="$(mktemp -d /tmp/berth-bench.XXXXXX)"
trap 'rm -rf "$store"' EXIT
BERTH="$berth" Scripts/make-busybox-image.sh --store "$store/images" >/dev/null
cat > "$store/td.json" <<'J'
{"family": "bench", "networkMode": "awsvpc", "containerDefinitions": [
  {"name": "app", "image": "busybox", "memory": 64, "command": ["true"]}]}
J
hyperfine --warmup 2 --runs 20 \
    "$berth run --quiet --images $store/images --data-dir $store/data $store/td.json"

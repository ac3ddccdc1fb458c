#!/usr/bin/env bash
# Service controller + real engine benchmark (release build, root):
#   1. scale a service of busybox tasks from 0 to N (default 50): time from UpdateService until
#      every task is RUNNING (runningCount == N and all N tasks' lastStatus RUNNING);
#   2. rolling update of 10 tasks whose health check runs every INTERVAL s (default 5, the
#      minimum ECS accepts): time from UpdateService until the service has one deployment,
#      COMPLETED, with 10 RUNNING tasks of the new revision, compared with the minimum those
#      health-check timings allow (see Docs/performance.md "Services").
#   Scripts/bench-services.sh [N] [INTERVAL]
# Runs in a private world under /tmp (own state dir, runtime root, image store) and removes
# every task and the agent on exit. Builds berth, berth-monitor, berth-init and berth-reaper
# (release) first and runs those.
set -euo pipefail
n="${1:-50}"
interval="${2:-5}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
[ "$(id -u)" = 0 ] || { echo "bench-services: run as root (real containers)" >&2; exit 1; }
export PATH="/opt/swift/usr/bin:$PATH"
for b in berth berth-monitor berth-init berth-reaper; do swift build -c release --product "$b" >/dev/null; done
berth="$(swift build -c release --show-bin-path)/berth"
work="$(mktemp -d /tmp/berth-svc-bench-XXXXXX)"
sock="$work/agent.sock"
agent_pid=""

b() { "$berth" "$1" "$2" --socket "$sock" "${@:3}"; }
now() { date +%s.%N; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

cleanup() {
    set +e
    if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
        for s in scale roll; do b service rm "$s" --force --wait --timeout 120 >/dev/null 2>&1; done
        kill "$agent_pid"; wait "$agent_pid" 2>/dev/null
    fi
    grep -q " $work" /proc/self/mounts && awk -v w="$work" '$2 ~ "^"w {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

BERTH="$berth" Scripts/make-busybox-image.sh --store "$work/images" >/dev/null
"$berth" agent --state-dir "$work/state" --socket "$sock" --listen none --run-root "$work/run" --images "$work/images" \
    2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

cat > "$work/sleep.json" <<'J'
{"family":"bench-sleep","memory":"16","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
 "stopTimeout":2,"command":["sh","-c","trap 'exit 0' TERM; while true; do sleep 1; done"]}]}
J
hc() {
    cat <<J
{"family":"bench-roll","memory":"16","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
 "stopTimeout":2,"command":["sh","-c","trap 'exit 0' TERM; echo $1; while true; do sleep 1; done"],
 "healthCheck":{"command":["CMD-SHELL","true"],"interval":$interval,"timeout":2,"retries":1,"startPeriod":0}}]}
J
}
hc v1 > "$work/v1.json"
hc v2 > "$work/v2.json"
for f in sleep v1 v2; do b taskdef register "$work/$f.json" >/dev/null; done

# 1. scale 0 -> N
b service create scale --task-definition bench-sleep --desired-count 0 --wait >/dev/null
t0=$(now)
b service update scale --desired-count "$n" >/dev/null
while true; do
    out=$(b service describe scale --output json)
    running=$(echo "$out" | json 'd["services"][0]["runningCount"]')
    [ "$running" = "$n" ] && break
    sleep 0.05
done
t1=$(now)
all=$(b task ls --output json | json 'sum(1 for t in d["tasks"] if t.get("group")=="service:scale" and t["lastStatus"]=="RUNNING")')
scale_s=$(echo "$t1 - $t0" | bc -l)
printf 'scale 0 -> %d: %.2f s until all %s tasks RUNNING (%.0f ms per task)\n' "$n" "$scale_s" "$all" "$(echo "$scale_s * 1000 / $n" | bc -l)"
b service rm scale --force --wait --timeout 300 >/dev/null

# 2. rolling update of 10 tasks (defaults: minimumHealthyPercent 100, maximumPercent 200)
b service create roll --task-definition bench-roll:1 --desired-count 10 >/dev/null
while true; do
    out=$(b service describe roll --output json)
    done_=$(echo "$out" | json 'len(d["services"][0]["deployments"])==1 and d["services"][0]["deployments"][0]["rolloutState"]=="COMPLETED" and d["services"][0]["runningCount"]==10')
    [ "$done_" = True ] && break
    sleep 0.1
done
t0=$(now)
b service update roll --task-definition bench-roll:2 >/dev/null
while true; do
    out=$(b service describe roll --output json)
    done_=$(echo "$out" | json 'len(d["services"][0]["deployments"])==1 and d["services"][0]["deployments"][0]["rolloutState"]=="COMPLETED" and d["services"][0]["runningCount"]==10 and d["services"][0]["taskDefinition"].endswith(":2")')
    [ "$done_" = True ] && break
    sleep 0.05
done
t1=$(now)
roll_s=$(echo "$t1 - $t0" | bc -l)
printf 'rolling update of 10 tasks (health check every %s s): %.2f s; minimum allowed by the health check: %s s (overhead %.2f s)\n' \
    "$interval" "$roll_s" "$interval" "$(echo "$roll_s - $interval" | bc -l)"

#!/usr/bin/env bash
# `berth task exec` latency on one running busybox task, alternating in the same run:
#   agent   berth task exec TASK -- true        (the agent runs it, answers the output at the end)
#   -i      berth task exec -i TASK -- true     (the CLI asks the agent where the container is and
#                                                runs it itself: pipes streamed)
#   -t      berth task exec -t TASK -- true     (the same with a pty from the container's devpts)
# Prints the median and p90 wall time of each and the ratios against `agent` (the reference).
# Usage (root): Scripts/bench-task-exec.sh [N=30]
# Runs .build/debug/berth (build first) or BERTH_BIN (berth-monitor, berth-init beside it).
# Everything lives in a temp world (state dir, socket, runtime root, image store) removed at the end.
set -euo pipefail
n="${1:-30}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "bench-task-exec: must run as root" >&2; exit 1; }
berth="${BERTH_BIN:-$repo/.build/debug/berth}"
for exe in "$berth" "$(dirname "$berth")/berth-monitor" "$(dirname "$berth")/berth-init"; do
    [ -x "$exe" ] || { echo "bench-task-exec: $exe is missing: build first" >&2; exit 1; }
done
work="$(mktemp -d /tmp/berth-exec-bench-XXXXXX)"
agent_pid=""
task=""
cleanup() {
    [ -n "$task" ] && "$berth" task stop --socket "$work/agent.sock" "$task" >/dev/null 2>&1 || true
    for _ in $(seq 300); do
        [ -z "$task" ] && break
        "$berth" task describe --socket "$work/agent.sock" "$task" 2>/dev/null | grep -q "last STOPPED" && break
        sleep 0.1
    done
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
    # Whatever is still running in this world: SIGKILL through its cgroups, then remove them.
    id="${task##*/}"
    if [ -n "$id" ]; then
        for f in /sys/fs/cgroup/*/berth/task-"$id"/*/cgroup.procs; do [ -f "$f" ] && xargs -r kill -9 < "$f" 2>/dev/null || true; done
        sleep 0.5
    fi
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    if [ -n "$id" ]; then
        for h in /sys/fs/cgroup/*/berth/task-"$id"; do [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

BERTH="$berth" "$repo/Scripts/make-busybox-image.sh" --images "$work/images" >/dev/null
"$berth" agent --state-dir "$work/state" --socket "$work/agent.sock" --listen none --run-root "$work/run" \
    --images "$work/images" --image-pull-behavior prefer-cached > "$work/agent.out" 2> "$work/agent.err" &
agent_pid=$!
for _ in $(seq 100); do [ -S "$work/agent.sock" ] && break; sleep 0.05; done
cat > "$work/td.json" <<'TD'
{"family":"bench-exec","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,"stopTimeout":2,"command":["sleep","100000"]}]}
TD
"$berth" taskdef register --socket "$work/agent.sock" "$work/td.json" >/dev/null
task="$("$berth" task run --socket "$work/agent.sock" bench-exec --wait)"

python3 - "$berth" "$work/agent.sock" "$task" "$n" <<'PY'
import statistics, subprocess, sys, time
berth, sock, task, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
modes = {"agent": [], "-i": [], "-t": []}
def run(mode):
    flags = [] if mode == "agent" else [mode]
    t = time.perf_counter()
    subprocess.run([berth, "task", "exec", "--socket", sock] + flags + [task, "--", "true"], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
for m in modes: run(m)  # warm up
for _ in range(n):
    for m in modes: modes[m].append(run(m))  # alternating
ref = statistics.median(modes["agent"])
for m, xs in modes.items():
    xs.sort()
    med = statistics.median(xs)
    print(f"{m:6} median {med:7.1f} ms  p90 {xs[int(len(xs) * 0.9) - 1]:7.1f} ms  ratio to agent {med / ref:5.2f}")
PY

#!/usr/bin/env bash
# Benchmarks `berth agent` with the real engine (release build), one-container busybox tasks:
#   1. RunTask -> RUNNING latency, p50/p99 over N sequential tasks (DescribeTasks polled every 5 ms)
#   2. time to start 100 tasks at once (10 parallel RunTask count=10) until all are RUNNING
#      (and for 1 and 2 the agent's own CPU time: utime+stime from /proc/<pid>/stat)
#   3. with those 100 tasks running and the agent idle: its RSS, threads and CPU % (from
#      /proc/<pid>/stat over 10 s), and the total RSS of the 100 berth-monitor processes
# Usage (root): Scripts/bench-agent.sh [N=30]
# Builds berth, berth-monitor, berth-init and berth-reaper (release) first and runs those.
# BERTH_BIN=/path/to/berth (berth-monitor, berth-init and berth-reaper beside it) builds nothing
# and benches that build instead, e.g. a saved copy or an older commit's, with this same script.
# Everything lives in a temp world (state dir, socket, runtime root, image store) removed at the end.
set -euo pipefail
n="${1:-30}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "bench-agent: must run as root" >&2; exit 1; }
export PATH="/opt/swift/usr/bin:$PATH"
if [ -n "${BERTH_BIN:-}" ]; then
    berth="$BERTH_BIN"
else
    for b in berth berth-monitor berth-init berth-reaper; do (cd "$repo" && swift build -c release --product "$b" >/dev/null); done
    berth="$(cd "$repo" && swift build -c release --show-bin-path)/berth"
fi
for exe in "$berth" "$(dirname "$berth")/berth-monitor" "$(dirname "$berth")/berth-init"; do
    [ -x "$exe" ] || { echo "bench-agent: $exe is missing: build first (berth, berth-monitor and berth-init side by side)" >&2; exit 1; }
done
work="$(mktemp -d /tmp/berth-agent-bench-XXXXXX)"
agent_pid=""
cleanup() {
    [ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null || true
    # Anything still running in this world: SIGKILL via its cgroup, unmount, remove.
    for st in "$work"/run/*/state.json; do
        [ -f "$st" ] || continue
        cg="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("cgroupPath") or "")' "$st")"
        for h in memory pids; do
            f="/sys/fs/cgroup/$h/$cg/cgroup.procs"
            [ -n "$cg" ] && [ -f "$f" ] && xargs -r kill -9 < "$f" 2>/dev/null || true
        done
    done
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    for t in "$work"/run/tasks/*; do
        id="$(basename "$t")"
        for h in /sys/fs/cgroup/*/berth/task-"$id"; do [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null; done
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

BERTH="$berth" "$repo/Scripts/make-busybox-image.sh" --store "$work/images" >/dev/null
"$berth" agent --state-dir "$work/state" --socket "$work/agent.sock" --listen none --run-root "$work/run" \
    --images "$work/images" > "$work/agent.out" 2> "$work/agent.err" &
agent_pid=$!
for _ in $(seq 100); do [ -S "$work/agent.sock" ] && break; sleep 0.05; done

python3 - "$work" "$agent_pid" "$n" <<'PY'
import http.client, json, os, socket, statistics, sys, threading, time

work, agent_pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TARGET = "AmazonEC2ContainerServiceV20141113."

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

local = threading.local()
def call(op, body):
    if not hasattr(local, "conn"):
        local.conn = UnixHTTP(os.path.join(work, "agent.sock"))
    local.conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + op})
    r = local.conn.getresponse()
    data = json.loads(r.read() or b"{}")
    if r.status != 200:
        raise RuntimeError(f"{op}: {r.status} {data}")
    return data

def statuses(arns):
    out = {}
    for i in range(0, len(arns), 100):
        for t in call("DescribeTasks", {"tasks": arns[i:i + 100]})["tasks"]:
            out[t["taskArn"]] = t["lastStatus"]
    return out

def wait_all(arns, status, timeout=300, delay=0.005):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = statuses(arns)
        if any(v == "STOPPED" for v in s.values()) and status != "STOPPED":
            raise RuntimeError(f"a task stopped: {s}")
        if len(s) == len(arns) and all(v == status for v in s.values()):
            return
        time.sleep(delay)
    raise RuntimeError(f"timed out waiting for {status}")

call("RegisterTaskDefinition", {"family": "bench", "containerDefinitions": [
    {"name": "app", "image": "busybox:latest", "memory": 32, "essential": True, "stopTimeout": 2, "command": ["sleep", "86400"]}]})

def stop_all(arns):
    for a in arns:
        call("StopTask", {"task": a})
    wait_all(arns, "STOPPED", delay=0.2)

hz = os.sysconf("SC_CLK_TCK")
def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])

# 1. sequential RunTask -> RUNNING
lat, seq = [], []
cpu_seq = cpu_ticks(agent_pid)
for _ in range(n):
    t0 = time.perf_counter()
    arn = call("RunTask", {"taskDefinition": "bench"})["tasks"][0]["taskArn"]
    wait_all([arn], "RUNNING")
    lat.append((time.perf_counter() - t0) * 1000)
    seq.append(arn)
cpu_seq = cpu_ticks(agent_pid) - cpu_seq
stop_all(seq)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))]
print(f"runtask_to_running_ms n={n} p50={p(0.50):.1f} p99={p(0.99):.1f} min={lat[0]:.1f} max={lat[-1]:.1f} mean={statistics.mean(lat):.1f}")
# The agent's own CPU (utime+stime) over those n RunTasks and the DescribeTasks polls between them.
print(f"agent_cpu_ms_per_runtask {cpu_seq / hz * 1000 / n:.1f}")

# 2. 100 at once: 10 parallel RunTask calls with count=10
arns, lock = [], threading.Lock()
def batch():
    got = [t["taskArn"] for t in call("RunTask", {"taskDefinition": "bench", "count": 10})["tasks"]]
    with lock:
        arns.extend(got)
t0, cpu_100 = time.perf_counter(), cpu_ticks(agent_pid)
threads = [threading.Thread(target=batch) for _ in range(10)]
for t in threads: t.start()
for t in threads: t.join()
accepted = time.perf_counter() - t0
wait_all(arns, "RUNNING", delay=0.05)
print(f"start_100_tasks_s accepted={accepted:.2f} all_running={time.perf_counter() - t0:.2f} agent_cpu_s={(cpu_ticks(agent_pid) - cpu_100) / hz:.2f}")

# 3. idle with 100 running tasks
time.sleep(5)
def status_field(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0
c0, w0 = cpu_ticks(agent_pid), time.time()
time.sleep(10)
c1, w1 = cpu_ticks(agent_pid), time.time()
cpu = (c1 - c0) / hz / (w1 - w0) * 100
monitors = []
for name in os.listdir(os.path.join(work, "run")):
    st = os.path.join(work, "run", name, "state.json")
    if os.path.exists(st):
        monitors.append(json.load(open(st)).get("monitorPid"))
mon_rss = sum(status_field(m, "VmRSS") for m in monitors if m and os.path.exists(f"/proc/{m}"))
print(f"idle_100_tasks agent_cpu_percent={cpu:.2f} agent_rss_mib={status_field(agent_pid, 'VmRSS') / 1024:.1f} "
      f"agent_threads={status_field(agent_pid, 'Threads')} monitors={len(monitors)} monitors_rss_total_mib={mon_rss / 1024:.1f} "
      f"per_monitor_kib={mon_rss / max(1, len(monitors)):.0f}")
t0 = time.perf_counter()
stop_all(arns)
print(f"stop_100_tasks_s {time.perf_counter() - t0:.2f} (stopTimeout 2 s: sleep as PID 1 ignores SIGTERM)")
PY

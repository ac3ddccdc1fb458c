#!/usr/bin/env bash
# Benchmark of the ECS API agent with the fake engine (no root, no containers): request latency
# through the aws SDK (SigV4, keep-alive), durable writes, RunTask, DescribeTasks with many
# tasks, and CLI round trips over the unix socket.
# Usage: Scripts/bench-agent-api.sh [debug|release]   (default debug; builds the product first)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
config="${1:-debug}"
swift build -c "$config" --product berth >/dev/null
berth="$(swift build -c "$config" --show-bin-path)/berth"
dir="$(mktemp -d /tmp/berth-bench-agent.XXXXXX)"
"$berth" agent --engine fake --state-dir "$dir/state" --socket "$dir/sock" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/^listening 127.0.0.1://p' "$dir/out")"

python3 - "$port" "$dir/state/credentials.json" <<'PY'
import json, sys, time
import boto3
port, creds = sys.argv[1], json.load(open(sys.argv[2]))
ecs = boto3.client("ecs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                   aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"])
td = {"family": "bench", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 32, "command": ["sleep", "1000"]}]}

def bench(label, n, fn):
    fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    d = (time.perf_counter() - t) / n
    print(f"{label:<52} {d * 1000:8.2f} ms")

bench("ListClusters (SigV4, keep-alive)", 300, ecs.list_clusters)
bench("RegisterTaskDefinition (on disk before the answer)", 100, lambda: ecs.register_task_definition(**td))
arns = []
bench("RunTask count=10", 50, lambda: arns.extend(t["taskArn"] for t in ecs.run_task(taskDefinition="bench", count=10)["tasks"]))
time.sleep(1)
bench(f"DescribeTasks 100 tasks ({len(arns)} live)", 20, lambda: ecs.describe_tasks(tasks=arns[:100]))
bench(f"ListTasks page of 100 ({len(arns)} live)", 20, lambda: ecs.list_tasks(maxResults=100))
t = time.perf_counter()
arn = ecs.run_task(taskDefinition="bench")["tasks"][0]["taskArn"]
while ecs.describe_tasks(tasks=[arn])["tasks"][0]["lastStatus"] != "RUNNING":
    time.sleep(0.01)  # DescribeTasks polled every 10 ms
print(f"{'RunTask to RUNNING (fake engine start delay 0.2 s)':<52} {(time.perf_counter() - t) * 1000:8.2f} ms")
PY
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 -r 20 "$berth cluster ls --socket $dir/sock" "$berth taskdef describe bench --socket $dir/sock"
fi

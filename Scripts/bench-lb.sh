#!/usr/bin/env bash
# The load balancer data plane (berth-lb, BerthLB) against HAProxy from Debian, on the same two
# backends, with wrk on loopback: HTTP keep-alive (ALB) and TCP (NLB).
#   Scripts/bench-lb.sh [-n ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--threads N] [--no-build]
# Backends: two HAProxy frontends answering a fixed 200 with `http-request return` (keep-alive,
# nothing else on the path). Both proxies: one thread (berth-lb runs one event loop; HAProxy gets
# `nbthread N`, 1 by default), round robin, health checks every 5 s, X-Forwarded-For added.
# Each round runs wrk against HAProxy HTTP, berth HTTP, HAProxy TCP, berth TCP in turn (the order
# alternates between rounds), so drift in host load hits both alike. Reports medians of
# requests/s and p99 latency, the paired ratios berth/HAProxy, wrk's error counts and the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

rounds=5
duration=5
conns=50
threads=1
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) rounds="$2"; shift 2 ;;
        -d) duration="$2"; shift 2 ;;
        -c) conns="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: $0 [-n ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--threads N] [--no-build]" >&2; exit 2 ;;
    esac
done
for tool in haproxy wrk; do
    command -v "$tool" >/dev/null || { echo "bench-lb: $tool is missing (Scripts/setup.sh --test installs it)" >&2; exit 1; }
done
if [ "$build" = 1 ]; then swift build -c release --product berth-lb >/dev/null; fi
bin="$(swift build -c release --show-bin-path)/berth-lb"

tmp="$(mktemp -d /tmp/berth-bench-lb.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# Below the ephemeral range (32768-60999), so no outgoing connection holds one of them.
base=$((20000 + RANDOM % 12000))
b1=$base b2=$((base + 1)) hh=$((base + 2)) ht=$((base + 3)) lh=$((base + 4)) lt=$((base + 5))

cat > "$tmp/backends.cfg" <<CFG
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout client 60s
    timeout server 60s
    timeout connect 5s
frontend backend1
    bind 127.0.0.1:$b1
    http-request return status 200 content-type text/plain string "hello from backend 1"
frontend backend2
    bind 127.0.0.1:$b2
    http-request return status 200 content-type text/plain string "hello from backend 2"
CFG
cat > "$tmp/haproxy.cfg" <<CFG
global
    nbthread $threads
    maxconn 4000
defaults
    timeout client 60s
    timeout server 60s
    timeout connect 5s
frontend alb
    mode http
    bind 127.0.0.1:$hh
    option forwardfor
    default_backend alb_targets
backend alb_targets
    mode http
    balance roundrobin
    http-reuse always
    option httpchk GET /
    server t1 127.0.0.1:$b1 check inter 5s
    server t2 127.0.0.1:$b2 check inter 5s
frontend nlb
    mode tcp
    bind 127.0.0.1:$ht
    default_backend nlb_targets
backend nlb_targets
    mode tcp
    balance source
    server t1 127.0.0.1:$b1 check inter 5s
    server t2 127.0.0.1:$b2 check inter 5s
CFG
haproxy -f "$tmp/backends.cfg" >"$tmp/backends.log" 2>&1 & pids+=($!)
haproxy -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 & pids+=($!)
"$bin" --listen 127.0.0.1:$lh --kind http --target 127.0.0.1:$b1 --target 127.0.0.1:$b2 >/dev/null & pids+=($!)
"$bin" --listen 127.0.0.1:$lt --kind tcp --target 127.0.0.1:$b1 --target 127.0.0.1:$b2 >/dev/null & pids+=($!)
for port in $b1 $b2 $hh $ht $lh $lt; do
    up=0
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && { up=1; break; }; sleep 0.1; done
    [ "$up" = 1 ] || { echo "bench-lb: nothing listens on 127.0.0.1:$port" >&2; cat "$tmp"/*.log >&2; exit 1; }
done
sleep 0.5  # first health checks

run() {  # run NAME PORT
    wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$2/" > "$tmp/wrk.out" 2>&1 || true
    python3 - "$1" "$tmp/wrk.out" >> "$tmp/results" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
print(name, rps, p99, errors, non2xx)
PY
}

for port in $hh $lh $ht $lt; do wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true; done
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
        run haproxy-http $hh; run berth-http $lh; run haproxy-tcp $ht; run berth-tcp $lt
    else
        run berth-http $lh; run haproxy-http $hh; run berth-tcp $lt; run haproxy-tcp $ht
    fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$tmp/results" "$rounds" "$duration" "$conns" "$threads" "$load_before" "$load_after" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
rounds, duration, conns, threads, before, after = sys.argv[2:8]
by = {}
for name, rps, p99, err, non2xx in rows:
    by.setdefault(name, []).append((float(rps), float(p99), int(err), int(non2xx)))
print(f"bench-lb: {rounds} rounds x {duration} s, wrk -t1 -c{conns}, HAProxy nbthread {threads}, berth-lb one event loop")
print(f"load average before {before}, after {after}")
print(f"{'':14} {'req/s (median)':>15} {'p99 ms (median)':>16} {'errors':>7} {'non-2xx':>8}")
for name in ["haproxy-http", "berth-http", "haproxy-tcp", "berth-tcp"]:
    v = by[name]
    print(f"{name:14} {statistics.median(x[0] for x in v):15.0f} {statistics.median(x[1] for x in v):16.2f} {sum(x[2] for x in v):7} {sum(x[3] for x in v):8}")
for kind in ["http", "tcp"]:
    b, h = by[f"berth-{kind}"], by[f"haproxy-{kind}"]
    rps = statistics.median(x[0] / y[0] for x, y in zip(b, h))
    p99 = statistics.median(x[1] / y[1] for x, y in zip(b, h))
    ok = "meets" if rps >= 0.8 and p99 <= 1.25 else "MISSES"
    print(f"{kind}: berth/HAProxy requests/s {rps:.2f} (goal >= 0.80), p99 {p99:.2f} (goal <= 1.25): {ok} the goal")
PY

#!/usr/bin/env python3
"""A bounded fixed-rate HTTP load client for the load balancer tests (wrk2 is not in Debian).

    load_client.py PORT --rate N --keepalive K --fresh F --slow-fraction X --slow-path P --stop-file S --max-seconds T

K workers each keep one HTTP/1.1 keep-alive connection (reopened when the server closes it
cleanly after a response), F workers open a new connection per request (Connection: close).
Together they send N requests per second on a fixed schedule (a worker that falls behind sends at
once and the lateness is counted; requests are never skipped). A fraction X of the requests goes
to the slow path, the others to "/". Runs until the stop file exists (or T seconds), then prints
one JSON object: requests, ok, failures by kind (connect: refused or reset before an answer,
reset: the connection dropped while a request was out, timeout, 5xx, other status), the bodies
seen with their counts, and a few failure samples with their time.
"""
import argparse
import collections
import http.client
import json
import os
import random
import socket
import threading
import time

lock = threading.Lock()
stats = collections.Counter()
bodies = collections.Counter()
samples = []
start = time.monotonic()


def record(kind, detail=""):
    with lock:
        stats[kind] += 1
        if kind != "ok" and len(samples) < 20:
            samples.append({"t": round(time.monotonic() - start, 3), "kind": kind, "detail": detail[:200]})


def classify(exc):
    if isinstance(exc, socket.timeout) or isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connect"
    return "reset"


def one(conn, path, fresh):
    headers = {"Connection": "close"} if fresh else {}
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read().decode(errors="replace").strip()
    if r.will_close:
        conn.close()
    return r.status, body


def worker(args, index, workers, fresh, stop):
    rate = args.rate / workers
    interval = 1.0 / rate
    due = time.monotonic() + index * interval / max(1, workers)
    conn = None
    rng = random.Random(index)
    while not stop.is_set():
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > interval:
            with lock:
                stats["late"] += 1
        due += interval
        path = args.slow_path if rng.random() < args.slow_fraction else "/"
        if conn is None or fresh:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=args.timeout)
        with lock:
            stats["requests"] += 1
        try:
            status, body = one(conn, path, fresh)
        except Exception as e:  # noqa: BLE001 - every failure is counted by kind
            record(classify(e), f"{path}: {type(e).__name__}: {e}")
            conn.close()
            conn = None
            continue
        if fresh:
            conn.close()
        if status == 200:
            record("ok")
            with lock:
                bodies[body] += 1
        elif status >= 500:
            record("5xx", f"{path}: {status} {body[:80]}")
        else:
            record("status", f"{path}: {status} {body[:80]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--rate", type=float, default=40)
    p.add_argument("--keepalive", type=int, default=4)
    p.add_argument("--fresh", type=int, default=4)
    p.add_argument("--slow-fraction", type=float, default=0.0)
    p.add_argument("--slow-path", default="/")
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--max-seconds", type=float, default=120)
    args = p.parse_args()
    stop = threading.Event()
    workers = args.keepalive + args.fresh
    threads = [threading.Thread(target=worker, args=(args, i, workers, i >= args.keepalive, stop), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    print("started", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while not os.path.exists(args.stop_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(args.timeout + 2)
    with lock:
        failures = {k: stats[k] for k in ("connect", "reset", "timeout", "5xx", "status") if stats[k]}
        out = {
            "seconds": round(time.monotonic() - start, 2),
            "requests": stats["requests"],
            "ok": stats["ok"],
            "late": stats["late"],
            "failures": failures,
            "failed": sum(failures.values()),
            "bodies": dict(bodies),
            "samples": samples,
        }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

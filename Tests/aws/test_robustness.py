"""Authentication failures and hostile input: each gets the right ECS-style answer, and the agent
keeps serving afterwards."""
import datetime
import json
import os
import socket
import time

import pytest

from conftest import TARGET


def still_serving(agent):
    assert agent.alive(), agent.log()
    status, _, out = agent.raw("ListClusters", {})
    assert status == 200 and out["clusterArns"], out


def test_auth_failures(agent):
    status, _, out = agent.raw("ListClusters", {}, sign=False)
    assert (status, out["__type"]) == (403, "MissingAuthenticationTokenException")
    status, _, out = agent.raw("ListClusters", {}, secret="not-the-secret")
    assert (status, out["__type"]) == (403, "InvalidSignatureException")
    assert out["message"].startswith("The request signature we calculated does not match")
    skewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, _, out = agent.raw("ListClusters", {}, when=skewed)
    assert (status, out["__type"]) == (403, "InvalidSignatureException") and "Signature expired" in out["message"]
    ok_skew = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    assert agent.raw("ListClusters", {}, when=ok_skew)[0] == 200
    env = agent.env()
    env["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
    import subprocess
    proc = subprocess.run(["aws", "ecs", "list-clusters", "--endpoint-url", agent.endpoint], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "UnrecognizedClientException" in proc.stderr
    env = agent.env()
    env["AWS_DEFAULT_REGION"] = "eu-west-1"
    proc = subprocess.run(["aws", "ecs", "list-clusters", "--endpoint-url", agent.endpoint], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "InvalidSignatureException" in proc.stderr
    still_serving(agent)


@pytest.mark.parametrize("body,expected", [
    (b"{not json", "SerializationException"),
    (b"[]", "SerializationException"),
    (b"\xff\xfe\x00garbage", "SerializationException"),
    (b'{"clusters": "default"}', "SerializationException"),
    (b'{"clusters": [1, 2]}', "SerializationException"),
    (b'{"include": {"a": 1}}', "SerializationException"),
    (b"[" * 5000 + b"]" * 5000, "SerializationException"),
])
def test_malformed_bodies(agent, body, expected):
    status, _, out = agent.raw("DescribeClusters", body)
    assert (status, out["__type"]) == (400, expected), out
    still_serving(agent)


def test_wrong_types_in_operations(agent):
    for op, body in [("RunTask", {"taskDefinition": 5}), ("RunTask", {"taskDefinition": "x", "count": "2"}),
                     ("ListTasks", {"maxResults": 1.5}), ("StopTask", {"task": ["a"]}),
                     ("TagResource", {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/default", "tags": {"k": "v"}}),
                     ("RegisterTaskDefinition", {"family": "x", "containerDefinitions": "nope"})]:
        status, _, out = agent.raw(op, body)
        assert status == 400 and out["__type"] in ("SerializationException", "ClientException", "InvalidParameterException"), (op, out)
    still_serving(agent)


def test_unknown_and_missing_targets(agent):
    status, _, out = agent.raw("AmazonEC2ContainerServiceV20141113.LaunchRockets", {})
    assert (status, out["__type"]) == (400, "UnknownOperationException")
    status, _, out = agent.raw("Other.Service", {})
    assert (status, out["__type"]) == (400, "UnknownOperationException")
    still_serving(agent)


def exchange(agent, data, shutdown_write=False, read_timeout=10):
    s = agent.connect()
    s.settimeout(read_timeout)
    try:
        s.sendall(data)
        if shutdown_write:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def test_huge_body_is_refused_early(agent):
    out = exchange(agent, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11534336\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 413") and b"SerializationException" in out
    # A client that sends the whole oversized body anyway still reads the 413 (lingering close).
    out = exchange(agent, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11534336\r\n\r\n" + b"x" * 11534336)
    assert out.startswith(b"HTTP/1.1 413")
    # Actually sending 11 MiB chunked is refused as soon as the limit is crossed.
    s = agent.connect()
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    answer = b""
    try:
        chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
        for _ in range(12):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        s.settimeout(5)
        answer = s.recv(4096)
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413")
    still_serving(agent)


def test_garbage_and_protocol_violations(agent):
    for data, status in [(os.urandom(2048).replace(b"\r\n\r\n", b"xxxx") + b"\r\n\r\n", b"400"),
                         (b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 100000 + b"\r\n\r\n", b"431"),
                         (b"POST / HTTP/9.9\r\n\r\n", b"505"),
                         (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"400"),
                         (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
                         (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nnothex\r\n", b"400")]:
        out = exchange(agent, data)
        assert out.startswith(b"HTTP/1.1 " + status), (data[:40], out[:80])
    still_serving(agent)


def test_slow_and_half_closed_clients(agent):
    # Slowloris: a partial request then silence is cut off after --request-timeout (2 s here).
    start = time.monotonic()
    out = exchange(agent, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Len", read_timeout=15)
    assert out.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 10
    # Dribbling one byte a second does not extend the deadline.
    s = agent.connect()
    start = time.monotonic()
    closed = False
    for b in b"POST / HTTP/1.1\r\nHost: x\r\n":
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.5)
        if time.monotonic() - start > 6:
            break
    s.close()
    assert closed or time.monotonic() - start > 2
    # Half-closed after a whole (unsigned) request: the answer still comes back.
    out = exchange(agent, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + TARGET.encode() + b"ListClusters\r\nContent-Length: 2\r\n\r\n{}",
                   shutdown_write=True)
    assert out.startswith(b"HTTP/1.1 403")
    # Half-closed mid-request: closed quietly.
    assert exchange(agent, b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{", shutdown_write=True) == b""
    # Many idle connections do not stop others from being served.
    idle = [agent.connect() for _ in range(50)]
    still_serving(agent)
    for c in idle:
        c.close()
    still_serving(agent)


def test_keep_alive_and_pipelining(agent):
    out = exchange(agent, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 404") == 2
    still_serving(agent)


def parse_answer(out):
    """A complete response: (status, headers, JSON body), or None."""
    head, sep, body = out.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 3 or parts[0] != b"HTTP/1.1" or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        headers[name.strip().lower().decode()] = value.strip().decode()
    if int(headers.get("content-length", -1)) != len(body):
        return None
    return int(parts[1]), headers, json.loads(body)


def malformed_requests(count, seed=10):
    """A well-formed request with one defect in its header section (issue 10 item 5), each a 400."""
    import random
    rng = random.Random(seed)
    base = [b"GET /x HTTP/1.1", b"Host: 127.0.0.1", b"X-Amz-Target: " + TARGET.encode() + b"ListClusters",
            b"Content-Type: application/x-amz-json-1.1"]
    controls = [bytes([c]) for c in list(range(0, 9)) + list(range(11, 13)) + list(range(14, 32)) + [127]]
    not_utf8 = [b"\xf3", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xf8\x88\x80\x80\x80"]

    def damage(kind, lines):
        i = rng.randrange(len(lines))
        line = lines[i]
        at = rng.randrange(1, len(line))
        if kind == "control":
            lines[i] = line[:at] + rng.choice(controls) + line[at:]
        elif kind == "utf8":
            lines[i] = line[:at] + rng.choice(not_utf8) + line[at:]
        elif kind == "fold":
            lines.insert(rng.randrange(2, len(lines) + 1), rng.choice([b" ", b"\t"]) + b"folded")
        elif kind == "colon":
            j = rng.randrange(1, len(lines))
            lines[j] = lines[j].replace(b":", rng.choice([b" :", b"\t:", b""]), 1)
        return lines

    out = []
    for n in range(count):
        kind = ["control", "utf8", "fold", "colon", "bare-lf"][n % 5]
        lines = list(base)
        if kind == "bare-lf":
            ends = [rng.choice([b"\r\n", b"\n"]) for _ in lines] + [b"\n"]
            ends[rng.randrange(len(ends))] = b"\n"
            out.append((kind, b"".join(l + e for l, e in zip(lines + [b""], ends))))
        else:
            out.append((kind, b"\r\n".join(damage(kind, lines)) + b"\r\n\r\n"))
    return out


def test_malformed_header_sections_all_get_an_answer(agent):
    """Loopback only, a bounded count: each request with a complete but malformed header section
    gets a complete 400 with an ECS-shaped body before the close, even when the client half-closes."""
    failures = []
    for kind, data in malformed_requests(250):
        answer = parse_answer(exchange(agent, data, shutdown_write=True))
        if answer is None or answer[0] != 400 or answer[1].get("connection") != "close" \
                or "x-amzn-requestid" not in answer[1] or not answer[2].get("__type") or not answer[2].get("message"):
            failures.append((kind, data[:60], answer))
    assert not failures, f"{len(failures)} of 250 not answered with a 400: {failures[:5]}"
    still_serving(agent)


def test_idle_connections_do_not_cost_threads(agent):
    """200 idle keep-alive connections: the agent's thread count stays bounded, others are served."""
    def threads():
        return len(os.listdir(f"/proc/{agent.proc.pid}/task"))
    still_serving(agent)
    before = threads()
    conns = []
    try:
        for _ in range(200):
            s = agent.connect()
            s.settimeout(10)
            s.sendall(b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 404")
            conns.append(s)
        still_serving(agent)
        assert threads() - before <= 20, (before, threads())
    finally:
        for s in conns:
            s.close()
    still_serving(agent)

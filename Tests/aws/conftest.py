"""Fixtures for driving `berth agent --engine fake` with the real aws CLI and boto3.

The agent is the built debug binary (.build/debug/berth; Scripts/test.sh builds it first), on a
random loopback port, with a temporary state dir and unix socket. No root needed.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest.mock
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BERTH = os.path.join(REPO, ".build", "debug", "berth")
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
REGION = "us-east-1"
TARGET = "AmazonEC2ContainerServiceV20141113."


class Agent:
    """One running `berth agent` process that this test session started."""

    def __init__(self, state_dir, extra_args=()):
        if not os.access(BERTH, os.X_OK):
            raise RuntimeError(f"{BERTH} is missing: run `swift build` first")
        self.state_dir = state_dir
        self.socket_path = os.path.join(state_dir, "agent.sock")
        self.extra_args = list(extra_args)
        self.proc = None
        self.start()

    def command(self):
        """The agent's command line; the fake engine unless a subclass says otherwise."""
        return [BERTH, "agent", "--engine", "fake", "--state-dir", self.state_dir, "--socket", self.socket_path,
                "--listen", "127.0.0.1:0", "--region", REGION, *self.extra_args]

    def start(self):
        self.stderr = open(os.path.join(self.state_dir, "agent.log"), "ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=self.stderr, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening "):
            self.proc.kill()
            raise RuntimeError(f"agent did not start: {line!r}; log: {self.log()}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        creds = json.load(open(os.path.join(self.state_dir, "credentials.json")))
        self.access_key = creds["accessKeyId"]
        self.secret_key = creds["secretAccessKey"]

    def log(self):
        with open(os.path.join(self.state_dir, "agent.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def restart(self):
        self.stop()
        self.start()

    def alive(self):
        return self.proc.poll() is None

    # --- clients -------------------------------------------------------------------------

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_PAGER="", AWS_RETRY_MODE="standard", AWS_MAX_ATTEMPTS="1")
        return env

    def aws(self, *args, check=True):
        """`aws ecs ARGS --endpoint-url ...`; parsed JSON, or (rc, stderr) when check is False."""
        proc = subprocess.run(["aws", "ecs", *args, "--endpoint-url", self.endpoint, "--output", "json"],
                              env=self.env(), capture_output=True, text=True, timeout=300)
        if not check:
            return proc
        if proc.returncode != 0:
            raise AssertionError(f"aws ecs {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def boto(self):
        return boto3.client("ecs", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def berth(self, *args, check=True, input=None):
        argv = [*args[:2], "--socket", self.socket_path, *args[2:]]  # before any `--`
        proc = subprocess.run([BERTH, *argv], capture_output=True, text=True, timeout=120,
                              input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"berth {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def raw(self, operation, body, sign=True, secret=None, headers=None, when=None):
        """A signed (or unsigned) JSON 1.1 call: (status, headers, parsed body)."""
        data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
        target = operation if operation.startswith("Berth.") or "." in operation else TARGET + operation
        hdrs = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
        hdrs.update(headers or {})
        req = botocore.awsrequest.AWSRequest(method="POST", url=self.endpoint + "/", data=data, headers=hdrs)
        if sign:
            creds = botocore.credentials.Credentials(self.access_key, secret or self.secret_key)
            signer = botocore.auth.SigV4Auth(creds, "ecs", REGION)
            if when is not None:  # sign as of another time (clock skew tests)
                with unittest.mock.patch("botocore.auth.get_current_datetime", lambda: when.replace(tzinfo=None)):
                    signer.add_auth(req)
            else:
                signer.add_auth(req)
        prepared = req.prepare()
        http_req = urllib.request.Request(prepared.url, data=data, method="POST", headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(http_req, timeout=30) as resp:
                return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read() or b"{}")

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=20)


@pytest.fixture(scope="module")
def agent():
    state = tempfile.mkdtemp(prefix="berth-aws-test-")
    a = Agent(state, extra_args=["--request-timeout", "2"])
    try:
        yield a
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture()
def fresh_agent():
    state = tempfile.mkdtemp(prefix="berth-aws-test-")
    a = Agent(state)
    try:
        yield a
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)


def simple_taskdef(family, command=("sleep", "1000"), **extra):
    td = {"family": family, "containerDefinitions": [
        {"name": "app", "image": "busybox:latest", "memory": 64, "command": list(command), "essential": True}]}
    td.update(extra)
    return td


def corpus_taskdefs():
    folder = os.path.join(CORPUS, "taskdefs")
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".json"))

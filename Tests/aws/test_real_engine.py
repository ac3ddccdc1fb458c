"""The aws CLI and boto3 against `berth agent` with the REAL engine: tasks are real containers.

Needs root (namespaces, mounts, cgroups) and fails without it. Each agent gets a private world:
temp state dir, unix socket, random loopback port, runtime root and image store with
busybox:latest (Scripts/make-busybox-image.sh). Teardown kills the agent and removes every
container, mount, cgroup and netns it made there.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import botocore.exceptions
import pytest

from conftest import BERTH, REGION, REPO, Agent
from shapes import check_output


class RealAgent(Agent):
    """`berth agent` with the real engine in its own runtime root and image store."""

    def __init__(self, root):
        self.root = root
        self.run_root = os.path.join(root, "run")
        self.images = os.path.join(root, "images")
        state = os.path.join(root, "state")
        os.makedirs(state)
        super().__init__(state)

    def command(self):
        return [BERTH, "agent", "--state-dir", self.state_dir, "--socket", self.socket_path, "--listen", "127.0.0.1:0",
                "--region", REGION, "--run-root", self.run_root, "--images", self.images]

    def containers(self):
        """Runtime state directories (one per container) in this agent's runtime root."""
        if not os.path.isdir(self.run_root):
            return []
        return sorted(n for n in os.listdir(self.run_root)
                      if not n.startswith(".") and n not in ("tasks", "netns") and os.path.isdir(os.path.join(self.run_root, n)))

    def mounts(self):
        with open("/proc/self/mountinfo") as f:
            return [line.split()[4] for line in f if line.split()[4].startswith(self.root)]

    def clean_up(self):
        """Kill the agent; SIGKILL and remove whatever containers are left; unmount; remove the tree."""
        self.stop(signal.SIGKILL)
        for name in self.containers():
            try:
                state = json.load(open(os.path.join(self.run_root, name, "state.json")))
            except (OSError, ValueError):
                continue
            cg = state.get("cgroupPath") or ""
            for h in cgroup_hierarchies():
                procs = f"/sys/fs/cgroup/{h}/{cg}/cgroup.procs"
                if cg.startswith("berth/") and os.path.exists(procs):
                    for pid in open(procs).read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
        # A task's port proxy (`berth port-proxy <run root>/netns/...`) is not in the task's cgroup:
        # the agent stops it at teardown, which a killed agent never reaches.
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                except OSError:
                    continue
                if any(a.decode(errors="replace").startswith(self.root + "/") for a in argv[1:]):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        time.sleep(0.5)
        for m in reversed(self.mounts()):
            subprocess.run(["umount", "-l", m], capture_output=True)
        for task in os.listdir(os.path.join(self.run_root, "tasks")) if os.path.isdir(os.path.join(self.run_root, "tasks")) else []:
            for h in cgroup_hierarchies():
                top = f"/sys/fs/cgroup/{h}/berth/task-{task}"
                if os.path.isdir(top):
                    for child in os.listdir(top):
                        if os.path.isdir(os.path.join(top, child)):
                            try:
                                os.rmdir(os.path.join(top, child))
                            except OSError:
                                pass
                    try:
                        os.rmdir(top)
                    except OSError:
                        pass
        shutil.rmtree(self.root, ignore_errors=True)


def agent_world(prefix, make_agent, needs):
    """A private world (temp root, busybox:latest in its image store) with `make_agent(root)`'s
    agent on it; everything is removed afterwards. `needs`: what the tests do, for the root check."""
    assert os.geteuid() == 0, f"{needs} and must run as root"
    root = tempfile.mkdtemp(prefix=prefix)
    made = subprocess.run(["bash", os.path.join(REPO, "Scripts", "make-busybox-image.sh"), "--store",
                           os.path.join(root, "images")], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    try:
        a = make_agent(root)
    except Exception:  # e.g. the metadata port is taken by another agent: leave nothing behind
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield a
    finally:
        a.clean_up()


@pytest.fixture(scope="module")
def real():
    yield from agent_world("berth-aws-real-", RealAgent, "the real-engine tests run containers")


def taskdef(family, command, memory=64, **extra):
    td = {"family": family, "containerDefinitions": [
        {"name": "app", "image": "busybox:latest", "memory": memory, "command": command, "essential": True, "stopTimeout": 2}]}
    td.update(extra)
    return td


def wait_until(what, fn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def cgroup_hierarchies():
    """Every mounted hierarchy (blkio, devices, ... and the v2 tree): a fixed list of names missed
    the ones this host mounts under other names and leaked their groups."""
    return sorted(h for h in os.listdir("/sys/fs/cgroup") if os.path.isdir(os.path.join("/sys/fs/cgroup", h)))


def test_aws_cli_run_task_waiters_and_stop(real):
    td = taskdef("real-cli", ["sh", "-c", "echo up; trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"])
    real.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    out = real.aws("run-task", "--task-definition", "real-cli", "--count", "2")
    assert check_output("RunTask", out) == []
    arns = [t["taskArn"] for t in out["tasks"]]
    assert len(arns) == 2 and not out["failures"]
    waited = subprocess.run(["aws", "ecs", "wait", "tasks-running", "--tasks", *arns, "--endpoint-url", real.endpoint],
                            env=real.env(), capture_output=True, text=True, timeout=120)
    assert waited.returncode == 0, waited.stderr
    described = real.aws("describe-tasks", "--tasks", *arns)
    assert check_output("DescribeTasks", described) == []
    for t in described["tasks"]:
        assert t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
        c = t["containers"][0]
        assert c["lastStatus"] == "RUNNING" and c["runtimeId"] == t["taskArn"].rsplit("/", 1)[1] + "-app"
    assert len(real.containers()) == 2
    # the containers are real: exec in one of them through the berth CLI
    ex = real.berth("task", "exec", arns[0], "--", "sh", "-c", "echo $((40+2))", check=False)
    assert ex.returncode == 0 and ex.stdout == "42\n", ex.stderr
    for arn in arns:
        real.aws("stop-task", "--task", arn, "--reason", "done with it")
    waited = subprocess.run(["aws", "ecs", "wait", "tasks-stopped", "--tasks", *arns, "--endpoint-url", real.endpoint],
                            env=real.env(), capture_output=True, text=True, timeout=120)
    assert waited.returncode == 0, waited.stderr
    for t in real.aws("describe-tasks", "--tasks", *arns)["tasks"]:
        assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "UserInitiated" and t["stoppedReason"] == "done with it"
        assert t["containers"][0]["exitCode"] == 0
        assert t["stoppedAt"] >= t["executionStoppedAt"] >= t["startedAt"]
    logs = real.berth("task", "logs", arns[0]).stdout
    assert "app | up" in logs and "app | bye" in logs
    wait_until("the containers to be removed", lambda: real.containers() == [] and real.mounts() == [])


def test_run_task_overrides_reach_the_container(real):
    """RunTask's typed overrides are applied by the task engine (command, environment), and
    DescribeTasks shows them as given."""
    real.aws("register-task-definition", "--cli-input-json", json.dumps(taskdef("real-over", ["sh", "-c", "echo from-definition"])))
    over = {"containerOverrides": [{"name": "app", "command": ["sh", "-c", "echo A=$A; exit 3"],
                                    "environment": [{"name": "A", "value": "over"}]}]}
    arn = real.aws("run-task", "--task-definition", "real-over", "--overrides", json.dumps(over))["tasks"][0]["taskArn"]
    waited = subprocess.run(["aws", "ecs", "wait", "tasks-stopped", "--tasks", arn, "--endpoint-url", real.endpoint],
                            env=real.env(), capture_output=True, text=True, timeout=120)
    assert waited.returncode == 0, waited.stderr
    t = real.aws("describe-tasks", "--tasks", arn)["tasks"][0]
    assert t["stopCode"] == "EssentialContainerExited" and t["containers"][0]["exitCode"] == 3
    assert t["overrides"]["containerOverrides"] == over["containerOverrides"]
    logs = real.berth("task", "logs", arn).stdout
    assert "app | A=over" in logs and "from-definition" not in logs
    wait_until("the containers to be removed", lambda: real.containers() == [] and real.mounts() == [])


def test_boto3_exit_codes_oom_and_waiters(real):
    ecs = real.boto()
    ecs.register_task_definition(**taskdef("real-exit3", ["sh", "-c", "sleep 1; exit 3"]))
    ecs.register_task_definition(**taskdef("real-oom", ["sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=100M count=1"], memory=32))
    exits = [t["taskArn"] for t in ecs.run_task(taskDefinition="real-exit3", count=3)["tasks"]]
    oom = ecs.run_task(taskDefinition="real-oom")["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_stopped").wait(tasks=exits + [oom], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(tasks=exits + [oom])["tasks"]}
    for arn in exits:
        t = tasks[arn]
        assert t["stopCode"] == "EssentialContainerExited"
        assert t["stoppedReason"] == "Essential container in task exited"
        assert t["containers"][0]["exitCode"] == 3
    o = tasks[oom]["containers"][0]
    assert o["exitCode"] == 137
    assert o["reason"] == "OutOfMemoryError: Container killed due to memory usage"
    # a task that is already STOPPED makes the tasks-running waiter fail, as on ECS
    with pytest.raises(botocore.exceptions.WaiterError):
        ecs.get_waiter("tasks_running").wait(tasks=exits, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    listed = ecs.list_tasks(desiredStatus="STOPPED", family="real-exit3")["taskArns"]
    assert sorted(listed) == sorted(exits)


def test_agent_restart_keeps_real_tasks(real):
    ecs = real.boto()
    ecs.register_task_definition(**taskdef("real-keep", ["sh", "-c", "while true; do sleep 1; done"]))
    arn = ecs.run_task(taskDefinition="real-keep")["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_running").wait(tasks=[arn], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    before = real.containers()
    real.stop(signal.SIGKILL)
    real.start()
    ecs = real.boto()
    t = ecs.describe_tasks(tasks=[arn])["tasks"][0]
    assert t["lastStatus"] == "RUNNING" and real.containers() == before
    ecs.stop_task(task=arn)
    ecs.get_waiter("tasks_stopped").wait(tasks=[arn], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert ecs.describe_tasks(tasks=[arn])["tasks"][0]["containers"][0]["exitCode"] == 137


def test_service_registry_instances_carry_the_real_task_addresses(real):
    """Cloud Map instances of a service of real awsvpc tasks: AWS_INSTANCE_IPV4 is each task's
    own address as DescribeTasks reports it (reaching it from other tasks is the in-task
    resolver's and relay's job), and a scale-in deregisters them."""
    from test_servicediscovery import namespace_id, sd
    ns = namespace_id(real, sd(real, "create-private-dns-namespace", "--name", "real.local", "--vpc", "vpc-berth")["OperationId"])
    registry = sd(real, "create-service", "--name", "web", "--namespace-id", ns, "--dns-config", "DnsRecords=[{Type=A,TTL=5}]")["Service"]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(taskdef("real-sd", ["sleep", "1000"], networkMode="awsvpc")))
    real.aws("create-service", "--service-name", "sd", "--task-definition", "real-sd", "--desired-count", "2",
             "--network-configuration", "awsvpcConfiguration={subnets=[subnet-1]}", "--service-registries", f"registryArn={registry['Arn']}")
    try:
        def registered():
            return {i["Id"]: i["Attributes"]["AWS_INSTANCE_IPV4"] for i in sd(real, "list-instances", "--service-id", registry["Id"])["Instances"]}
        instances = wait_until("two instances", lambda: (lambda r: r if len(r) == 2 else None)(registered()), timeout=60)
        arns = real.aws("list-tasks", "--service-name", "sd")["taskArns"]
        tasks = real.aws("describe-tasks", "--tasks", *arns)["tasks"]
        addresses = {t["taskArn"].rsplit("/", 1)[1]: t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks}
        assert instances == addresses
        assert len(set(addresses.values())) == 2, addresses
    finally:
        real.aws("update-service", "--service", "sd", "--desired-count", "0")
        wait_until("instances deregistered", lambda: registered() == {}, timeout=60)
        real.aws("delete-service", "--service", "sd", "--force")


def test_another_task_resolves_the_discovery_name_to_healthy_tasks_before_and_after_a_deployment(real):
    """Issue 15: a Cloud Map name registered by an ECS service of real awsvpc tasks resolves inside
    ANOTHER task (its resolver at 127.0.0.11) to the service's running tasks only, and their
    addresses answer there (relayed into the client's namespace); after a rolling update to a new
    revision the name resolves to the new tasks only and reaches the new revision."""
    import re
    from test_servicediscovery import namespace_id, sd
    ns = namespace_id(real, sd(real, "create-private-dns-namespace", "--name", "disc.local", "--vpc", "vpc-berth")["OperationId"])
    registry = sd(real, "create-service", "--name", "web", "--namespace-id", ns, "--dns-config", "DnsRecords=[{Type=A,TTL=5}]")["Service"]

    def web(version):
        td = taskdef("real-disc-web", ["sh", "-c", f"mkdir -p /tmp/w && echo {version} > /tmp/w/index.html && exec httpd -f -p 8000 -h /tmp/w"],
                     networkMode="awsvpc")
        td["containerDefinitions"][0]["portMappings"] = [{"containerPort": 8000, "protocol": "tcp"}]
        return real.aws("register-task-definition", "--cli-input-json", json.dumps(td))["taskDefinition"]["taskDefinitionArn"]

    first = web("v1")
    real.aws("register-task-definition", "--cli-input-json", json.dumps(taskdef("real-disc-client", ["sleep", "1000"], networkMode="awsvpc")))
    client = real.aws("run-task", "--task-definition", "real-disc-client", "--network-configuration",
                      "awsvpcConfiguration={subnets=[subnet-1]}")["tasks"][0]["taskArn"]
    real.aws("create-service", "--service-name", "disc", "--task-definition", first, "--desired-count", "2",
             "--deployment-configuration", "minimumHealthyPercent=100,maximumPercent=200",
             "--network-configuration", "awsvpcConfiguration={subnets=[subnet-1]}", "--service-registries", f"registryArn={registry['Arn']}")

    def registered():
        return {i["Id"]: i["Attributes"]["AWS_INSTANCE_IPV4"] for i in sd(real, "list-instances", "--service-id", registry["Id"])["Instances"]}

    def in_client(*command):
        return real.berth("task", "exec", client, "--", *command, check=False)

    def resolved():
        out = in_client("nslookup", "web.disc.local", "127.0.0.11")
        if out.returncode != 0:
            return set()
        answer = out.stdout.split("web.disc.local", 1)[-1]
        return set(re.findall(r"Address:\s*(\d+\.\d+\.\d+\.\d+)", answer))

    def fetch():
        out = in_client("wget", "-qO-", "http://web.disc.local:8000/")  # (busybox 1.35's wget -T crashes)
        return out.stdout.strip() if out.returncode == 0 else f"failed ({out.returncode}): {out.stdout.strip()} {out.stderr.strip()}"

    try:
        wait_until("the client task running", lambda: real.aws("describe-tasks", "--tasks", client)["tasks"][0]["lastStatus"] == "RUNNING", timeout=60)
        before = wait_until("two instances", lambda: (lambda r: r if len(r) == 2 else None)(registered()), timeout=90)
        wait_until("the name resolving in the client task to both tasks", lambda: resolved() == set(before.values()), timeout=30)
        assert fetch() == "v1"
        assert in_client("nslookup", "nothing.disc.local", "127.0.0.11").returncode != 0, "an unknown name of the namespace must not resolve"

        real.aws("update-service", "--service", "disc", "--task-definition", web("v2"))

        def replaced():
            now = registered()
            return now if len(now) == 2 and not set(now) & set(before) else None
        after = wait_until("the new revision's two tasks registered and the old ones gone", replaced, timeout=180)
        wait_until("the name resolving to the new tasks only", lambda: resolved() == set(after.values()), timeout=30)
        assert not resolved() & set(before.values())
        wait_until("the new revision answering through the name", lambda: fetch() == "v2", timeout=30)
    finally:
        real.aws("update-service", "--service", "disc", "--desired-count", "0")
        wait_until("instances deregistered", lambda: registered() == {}, timeout=90)
        real.aws("delete-service", "--service", "disc", "--force")
        real.aws("stop-task", "--task", client)


def test_service_connect_client_alias_reaches_the_service_from_a_client_service(real):
    """Service Connect with real tasks: the cluster's default namespace, a server service that
    publishes its `http` port as `api` with the client alias `api:80` (without `dnsName` ECS
    would name it `api.scr-apps`, discoveryName.namespace), and a client-only service
    (Service Connect enabled, no services of its own): inside the client's task `api` resolves to
    an address of the client's own and port 80 there reaches the server's httpd; a standalone
    task, not a client of the namespace, has no such name."""
    from test_servicediscovery import sd
    real.aws("create-cluster", "--cluster-name", "scr", "--service-connect-defaults", "namespace=scr-apps")
    server = taskdef("real-sc-api", ["sh", "-c", "mkdir -p /tmp/w && echo api-here > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w"],
                     networkMode="awsvpc")
    server["containerDefinitions"][0]["portMappings"] = [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(server))
    real.aws("register-task-definition", "--cli-input-json", json.dumps(taskdef("real-sc-client", ["sleep", "1000"], networkMode="awsvpc")))
    network = "awsvpcConfiguration={subnets=[subnet-1]}"
    real.aws("create-service", "--cluster", "scr", "--service-name", "api", "--task-definition", "real-sc-api", "--desired-count", "1",
             "--network-configuration", network, "--service-connect-configuration",
             json.dumps({"enabled": True, "services": [{"portName": "http", "discoveryName": "api", "clientAliases": [{"port": 80, "dnsName": "api"}]}]}))
    real.aws("create-service", "--cluster", "scr", "--service-name", "front", "--task-definition", "real-sc-client", "--desired-count", "1",
             "--network-configuration", network, "--service-connect-configuration", json.dumps({"enabled": True}))
    lone = real.aws("run-task", "--cluster", "scr", "--task-definition", "real-sc-client", "--network-configuration", network)["tasks"][0]["taskArn"]
    try:
        def running(service):
            arns = real.aws("list-tasks", "--cluster", "scr", "--service-name", service)["taskArns"]
            ts = real.aws("describe-tasks", "--cluster", "scr", "--tasks", *arns)["tasks"] if arns else []
            return [t["taskArn"] for t in ts if t["lastStatus"] == "RUNNING"] or None
        wait_until("the server task running", lambda: running("api"), timeout=90)
        front = wait_until("the client task running", lambda: running("front"), timeout=90)[0]
        wait_until("the server registered", lambda: len(sd(real, "discover-instances", "--namespace-name", "scr-apps", "--service-name", "api")["Instances"]) == 1, timeout=60)

        def get(task, url):
            out = real.berth("task", "exec", task, "--cluster", "scr", "--", "wget", "-qO-", url, check=False)
            return out.stdout.strip() if out.returncode == 0 else None
        assert wait_until("the alias answering in the client task", lambda: get(front, "http://api/") == "api-here", timeout=30)
        assert get(lone, "http://api/") is None, "a task that is not a Service Connect client must not have the alias"
    finally:
        for service in ("front", "api"):
            real.aws("update-service", "--cluster", "scr", "--service", service, "--desired-count", "0")
            real.aws("delete-service", "--cluster", "scr", "--service", service, "--force")
        real.aws("stop-task", "--cluster", "scr", "--task", lone)

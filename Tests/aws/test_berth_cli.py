"""`berth task|taskdef|cluster` over the unix socket, and agent restarts with the same state."""
import json
import os
import signal
import time

from conftest import CORPUS, simple_taskdef


def test_cluster_commands(agent):
    assert agent.berth("cluster", "create", "cli-c1", "--tag", "a=b").stdout.strip().endswith("cluster/cli-c1")
    table = agent.berth("cluster", "ls").stdout
    assert table.splitlines()[0].split()[:2] == ["NAME", "STATUS"] and "cli-c1" in table
    described = json.loads(agent.berth("cluster", "describe", "cli-c1", "--output", "json").stdout)
    assert described["clusters"][0]["tags"] == [{"key": "a", "value": "b"}]
    missing = agent.berth("cluster", "describe", "nope", check=False)
    assert missing.returncode == 1 and "MISSING" in missing.stderr
    agent.berth("cluster", "rm", "cli-c1")
    again = agent.berth("cluster", "rm", "cli-c1", check=False)
    assert again.returncode == 1 and "ClusterNotFoundException" in again.stderr


def test_taskdef_commands(agent, tmp_path):
    path = os.path.join(CORPUS, "taskdefs", "03-dg-alpine-ping-readonly.json")
    arn = agent.berth("taskdef", "register", path).stdout.strip()
    family = arn.rsplit("/", 1)[1].split(":")[0]
    assert arn.startswith("arn:aws:ecs:us-east-1:000000000000:task-definition/")
    # A describe output (wrapper and read-only members) registers again as the next revision.
    out = agent.berth("taskdef", "describe", family, "--output", "json").stdout
    again = agent.berth("taskdef", "register", "-", input=out).stdout.strip()
    assert again.endswith(":%d" % (int(arn.rsplit(":", 1)[1]) + 1))
    human = agent.berth("taskdef", "describe", family).stdout
    assert "CONTAINER" in human and "IMAGE" in human
    assert family in agent.berth("taskdef", "ls", "--family", family).stdout
    assert "INACTIVE" in agent.berth("taskdef", "deregister", arn).stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"family": "x",\n  "containerDefinitions": [}')
    proc = agent.berth("taskdef", "register", str(bad), check=False)
    assert proc.returncode == 1 and "line 2, column" in proc.stderr
    proc = agent.berth("taskdef", "register", str(tmp_path / "absent.json"), check=False)
    assert proc.returncode == 1 and "absent.json" in proc.stderr


def test_task_commands(agent, tmp_path):
    td = tmp_path / "td.json"
    td.write_text(json.dumps(simple_taskdef("cli-task")))
    agent.berth("taskdef", "register", str(td))
    arn = agent.berth("task", "run", "cli-task", "--wait", "--container", "app", "--env", "A=1").stdout.strip()
    task_id = arn.rsplit("/", 1)[1]
    assert len(task_id) == 32
    ls = agent.berth("task", "ls").stdout
    assert task_id in ls and "RUNNING" in ls
    desc = json.loads(agent.berth("task", "describe", task_id, "--output", "json").stdout)
    assert desc["tasks"][0]["overrides"]["containerOverrides"][0]["environment"] == [{"name": "A", "value": "1"}]
    assert "app" in agent.berth("task", "describe", task_id).stdout
    logs = agent.berth("task", "logs", task_id).stdout
    assert "container app started" in logs
    ex = agent.berth("task", "exec", task_id, "--", "echo", "hi")
    assert ex.returncode == 0 and ex.stdout.strip() == "echo hi"
    assert "CONTAINER" in agent.berth("task", "stats", task_id, "--no-stream").stdout
    # Without a task: every running task of the cluster, one row per container (docker stats).
    every = agent.berth("task", "stats", "--no-stream")
    assert every.returncode == 0 and task_id in every.stdout, every.stdout
    assert any(line.split()[1:2] == ["app"] for line in every.stdout.splitlines()[1:]), every.stdout
    listed = json.loads(agent.berth("task", "stats", "--output", "json").stdout)["tasks"]
    assert [t["task"] for t in listed if t["task"].endswith(task_id)], listed
    agent.berth("task", "stop", task_id, "--reason", "bye")
    deadline = time.time() + 10
    while time.time() < deadline:
        t = json.loads(agent.berth("task", "describe", task_id, "--output", "json").stdout)["tasks"][0]
        if t["lastStatus"] == "STOPPED":
            break
        time.sleep(0.2)
    assert t["lastStatus"] == "STOPPED" and t["stoppedReason"] == "bye"
    assert task_id in agent.berth("task", "ls", "--desired-status", "STOPPED").stdout
    usage = agent.berth("task", "run", check=False)
    assert usage.returncode == 2 and "missing task definition" in usage.stderr
    wrong = agent.berth("task", "run", "no-such-family", check=False)
    assert wrong.returncode == 1 and "ClientException" in wrong.stderr


def test_restart_keeps_state_and_reports_lost_tasks(fresh_agent):
    a = fresh_agent
    a.aws("create-cluster", "--cluster-name", "keep")
    a.aws("register-task-definition", "--family", "keep", "--container-definitions",
          json.dumps(simple_taskdef("x")["containerDefinitions"]))
    arn = a.aws("run-task", "--cluster", "keep", "--task-definition", "keep")["tasks"][0]["taskArn"]
    a.aws("wait", "tasks-running", "--cluster", "keep", "--tasks", arn)
    creds = (a.access_key, a.secret_key)
    a.stop(signal.SIGKILL)
    # Corrupt one state file on the way: it is moved aside, the agent starts anyway.
    tdir = os.path.join(a.state_dir, "state", "taskdefs")
    with open(os.path.join(tdir, "junk@1.json"), "w") as f:
        f.write('{"taskDefinition": {"family": ')
    a.start()
    assert (a.access_key, a.secret_key) == creds
    assert any(n.startswith("junk@1.json.corrupt-") for n in os.listdir(tdir))
    assert "is unreadable" in a.log()
    assert "arn:aws:ecs:us-east-1:000000000000:cluster/keep" in a.aws("list-clusters")["clusterArns"]
    assert a.aws("describe-task-definition", "--task-definition", "keep")["taskDefinition"]["revision"] == 1
    t = a.aws("describe-tasks", "--cluster", "keep", "--tasks", arn)["tasks"][0]
    # The fake engine keeps nothing across restarts: the task is reported lost, not running.
    assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "TerminationNotice"
    assert a.aws("register-task-definition", "--family", "keep", "--container-definitions",
                 json.dumps(simple_taskdef("x")["containerDefinitions"]))["taskDefinition"]["revision"] == 2


def test_credentials_command(fresh_agent):
    import subprocess
    from conftest import BERTH
    proc = subprocess.run([BERTH, "agent", "credentials", "--state-dir", fresh_agent.state_dir], capture_output=True, text=True)
    assert proc.returncode == 0
    assert f"export AWS_ACCESS_KEY_ID={fresh_agent.access_key}" in proc.stdout
    assert f"aws_secret_access_key = {fresh_agent.secret_key}" in proc.stdout
    assert "#   [profile berth]" in proc.stdout
    # The whole output is valid shell: `eval "$(berth agent credentials)"` sets the variables.
    sh = subprocess.run(["sh", "-ec", 'eval "$1"; echo "$AWS_ACCESS_KEY_ID"', "sh", proc.stdout], capture_output=True, text=True)
    assert sh.returncode == 0 and sh.stderr == "" and sh.stdout.strip() == fresh_agent.access_key
    st = os.stat(os.path.join(fresh_agent.state_dir, "credentials.json"))
    assert st.st_mode & 0o777 == 0o600


def test_second_agent_on_same_state_dir_is_refused(fresh_agent):
    import subprocess
    from conftest import BERTH
    proc = subprocess.run([BERTH, "agent", "--engine", "fake", "--state-dir", fresh_agent.state_dir, "--socket",
                           fresh_agent.socket_path + "2", "--listen", "none"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "already using the state directory" in proc.stderr
    # The running agent is unaffected.
    assert fresh_agent.aws("list-clusters")["clusterArns"]


def test_logs_follow_ends_when_the_task_stops(agent, tmp_path):
    import subprocess
    from conftest import BERTH
    td = tmp_path / "td.json"
    td.write_text(json.dumps(simple_taskdef("cli-follow")))
    agent.berth("taskdef", "register", str(td))
    arn = agent.berth("task", "run", "cli-follow", "--wait", "--container", "app", "--command-json", '["sleep","500"]').stdout.strip()
    desc = json.loads(agent.berth("task", "describe", arn, "--output", "json").stdout)["tasks"][0]
    assert desc["overrides"]["containerOverrides"][0]["command"] == ["sleep", "500"]
    follow = subprocess.Popen([BERTH, "task", "logs", "--socket", agent.socket_path, "-f", arn], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    assert follow.poll() is None
    agent.berth("task", "stop", arn)
    out, _ = follow.communicate(timeout=20)
    assert follow.returncode == 0 and "container app started" in out
    bad = agent.berth("task", "run", "cli-follow", "--container", "app", "--command-json", "not json", check=False)
    assert bad.returncode == 2 and "--command-json" in bad.stderr

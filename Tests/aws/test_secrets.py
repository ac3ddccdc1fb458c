"""The local Secrets Manager and SSM Parameter Store through the real aws CLI, and task secrets.

The API tests use the fake-engine agent (no root). The task tests use the real engine (root):
a task definition takes a whole secret, a json key of one and a SecureString parameter, and the
container sees the values; a missing secret stops the task with ECS's ResourceInitializationError
text; the values appear neither in describe-tasks nor in the agent's log.
"""
import json
import signal
import os
import stat
import subprocess

import pytest

from conftest import BERTH
from shapes import check_output, model
from test_real_engine import real, taskdef  # noqa: F401  (the real-engine agent fixture)


def cli(agent, service, *args, check=True):
    proc = subprocess.run(["aws", service, *args, "--endpoint-url", agent.endpoint, "--output", "json"],
                          env=agent.env(), capture_output=True, text=True, timeout=120)
    if not check:
        return proc
    assert proc.returncode == 0, f"aws {service} {' '.join(args)}: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def error_of(proc):
    assert proc.returncode != 0
    return proc.stderr


def test_secretsmanager_with_the_aws_cli(agent):
    made = cli(agent, "secretsmanager", "create-secret", "--name", "cli/db", "--secret-string", '{"user":"u","pw":"p1"}',
               "--description", "db login", "--tags", "Key=team,Value=x")
    assert made["Name"] == "cli/db" and made["ARN"].startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:cli/db-")
    assert "ResourceExistsException" in error_of(cli(agent, "secretsmanager", "create-secret", "--name", "cli/db",
                                                     "--secret-string", "x", check=False))
    put = cli(agent, "secretsmanager", "put-secret-value", "--secret-id", made["ARN"], "--secret-string", '{"user":"u","pw":"p2"}')
    assert put["VersionStages"] == ["AWSCURRENT"]
    got = cli(agent, "secretsmanager", "get-secret-value", "--secret-id", "cli/db")
    assert json.loads(got["SecretString"])["pw"] == "p2" and got["VersionId"] == put["VersionId"]
    prev = cli(agent, "secretsmanager", "get-secret-value", "--secret-id", "cli/db", "--version-stage", "AWSPREVIOUS")
    assert json.loads(prev["SecretString"])["pw"] == "p1"
    described = cli(agent, "secretsmanager", "describe-secret", "--secret-id", "cli/db")
    assert described["Description"] == "db login" and described["Tags"] == [{"Key": "team", "Value": "x"}]
    assert sorted(s for stages in described["VersionIdsToStages"].values() for s in stages) == ["AWSCURRENT", "AWSPREVIOUS"]
    for i in range(3):
        cli(agent, "secretsmanager", "create-secret", "--name", f"cli/page{i}", "--secret-string", "v")
    # The CLI follows NextToken itself with --page-size.
    listed = cli(agent, "secretsmanager", "list-secrets", "--page-size", "1")
    names = [s["Name"] for s in listed["SecretList"]]
    assert {"cli/db", "cli/page0", "cli/page1", "cli/page2"} <= set(names) and len(names) == len(set(names))
    assert all("SecretString" not in s for s in listed["SecretList"])
    deleted = cli(agent, "secretsmanager", "delete-secret", "--secret-id", "cli/page0", "--recovery-window-in-days", "7")
    assert deleted["DeletionDate"] > 0
    assert "InvalidRequestException" in error_of(cli(agent, "secretsmanager", "get-secret-value", "--secret-id", "cli/page0", check=False))
    cli(agent, "secretsmanager", "restore-secret", "--secret-id", "cli/page0")
    cli(agent, "secretsmanager", "delete-secret", "--secret-id", "cli/page1", "--force-delete-without-recovery")
    assert "ResourceNotFoundException" in error_of(cli(agent, "secretsmanager", "get-secret-value", "--secret-id", "cli/page1", check=False))
    # Stored owner-only under the state dir.
    root = os.path.join(agent.state_dir, "secrets")
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    for name in os.listdir(os.path.join(root, "secretsmanager")):
        assert stat.S_IMODE(os.stat(os.path.join(root, "secretsmanager", name)).st_mode) == 0o600


def test_parameter_store_with_the_aws_cli(agent):
    assert cli(agent, "ssm", "put-parameter", "--name", "/cli/db/password", "--value", "s3cret", "--type", "SecureString")["Version"] == 1
    assert "ParameterAlreadyExists" in error_of(cli(agent, "ssm", "put-parameter", "--name", "/cli/db/password", "--value", "x",
                                                    "--type", "SecureString", check=False))
    assert cli(agent, "ssm", "put-parameter", "--name", "/cli/db/password", "--value", "s3cret2", "--overwrite")["Version"] == 2
    hidden = cli(agent, "ssm", "get-parameter", "--name", "/cli/db/password")["Parameter"]
    assert hidden["Type"] == "SecureString" and "s3cret" not in hidden["Value"]
    shown = cli(agent, "ssm", "get-parameter", "--name", "/cli/db/password", "--with-decryption")["Parameter"]
    assert shown["Value"] == "s3cret2" and shown["Version"] == 2
    assert shown["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/cli/db/password"
    cli(agent, "ssm", "put-parameter", "--name", "/cli/db/host", "--value", "db.local", "--type", "String")
    cli(agent, "ssm", "put-parameter", "--name", "/cli/other", "--value", "a,b", "--type", "StringList")
    many = cli(agent, "ssm", "get-parameters", "--names", "/cli/db/host", "/cli/nope", "--with-decryption")
    assert [p["Value"] for p in many["Parameters"]] == ["db.local"] and many["InvalidParameters"] == ["/cli/nope"]
    one_level = cli(agent, "ssm", "get-parameters-by-path", "--path", "/cli")
    assert [p["Name"] for p in one_level["Parameters"]] == ["/cli/other"]
    deep = cli(agent, "ssm", "get-parameters-by-path", "--path", "/cli", "--recursive", "--with-decryption", "--page-size", "1")
    assert sorted(p["Name"] for p in deep["Parameters"]) == ["/cli/db/host", "/cli/db/password", "/cli/other"]
    assert {p["Name"]: p["Value"] for p in deep["Parameters"]}["/cli/db/password"] == "s3cret2"
    described = cli(agent, "ssm", "describe-parameters")
    assert {"/cli/db/host", "/cli/db/password", "/cli/other"} <= {p["Name"] for p in described["Parameters"]}
    cli(agent, "ssm", "delete-parameter", "--name", "/cli/other")
    assert "ParameterNotFound" in error_of(cli(agent, "ssm", "get-parameter", "--name", "/cli/other", check=False))
    assert "ParameterNotFound" in error_of(cli(agent, "ssm", "delete-parameter", "--name", "/cli/other", check=False))


def wait_stopped(agent, arn):
    waited = subprocess.run(["aws", "ecs", "wait", "tasks-stopped", "--tasks", arn, "--endpoint-url", agent.endpoint],
                            env=agent.env(), capture_output=True, text=True, timeout=120)
    assert waited.returncode == 0, waited.stderr
    return agent.aws("describe-tasks", "--tasks", arn)["tasks"][0]


def test_task_secrets_reach_the_container_and_nowhere_else(real):  # noqa: F811
    secret = cli(real, "secretsmanager", "create-secret", "--name", "app/whole", "--secret-string", "WholeValue-7f3a")
    cli(real, "secretsmanager", "create-secret", "--name", "app/login",
                "--secret-string", '{"username":"admin","password":"JsonKeyValue-91c2"}')
    cli(real, "ssm", "put-parameter", "--name", "/app/token", "--value", "ParamValue-5e8d", "--type", "SecureString")
    td = taskdef("real-secrets", ["sh", "-c", "echo WHOLE=$WHOLE; echo PW=$PW; echo TOKEN=$TOKEN; echo PREV=$PLAIN"],
                 executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
    td["containerDefinitions"][0]["secrets"] = [
        {"name": "WHOLE", "valueFrom": secret["ARN"]},
        # Written for AWS: another region, account and random suffix; the name finds it.
        {"name": "PW", "valueFrom": "arn:aws:secretsmanager:eu-central-1:147882094138:secret:app/login-MzD5WF:password::"},
        {"name": "TOKEN", "valueFrom": "/app/token"},
        {"name": "PLAIN", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/app/token"},
    ]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    arn = real.aws("run-task", "--task-definition", "real-secrets")["tasks"][0]["taskArn"]
    t = wait_stopped(real, arn)
    assert t["stopCode"] == "EssentialContainerExited" and t["containers"][0]["exitCode"] == 0, t
    logs = real.berth("task", "logs", arn).stdout
    for line in ["WHOLE=WholeValue-7f3a", "PW=JsonKeyValue-91c2", "TOKEN=ParamValue-5e8d", "PREV=ParamValue-5e8d"]:
        assert f"app | {line}" in logs, logs
    shown = json.dumps(real.aws("describe-tasks", "--tasks", arn)) + json.dumps(
        real.aws("describe-task-definition", "--task-definition", "real-secrets"))
    assert secret["ARN"] in shown
    for value in ["WholeValue-7f3a", "JsonKeyValue-91c2", "ParamValue-5e8d"]:
        assert value not in shown and value not in real.log()


def test_a_missing_secret_stops_the_task_with_ecs_text(real):  # noqa: F811
    missing = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/gone-AbCdEf"
    td = taskdef("real-secret-missing", ["sh", "-c", "echo should-not-run"],
                 executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
    td["containerDefinitions"][0]["secrets"] = [{"name": "GONE", "valueFrom": missing}]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    arn = real.aws("run-task", "--task-definition", "real-secret-missing")["tasks"][0]["taskArn"]
    t = wait_stopped(real, arn)
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"].startswith(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
        f"unable to retrieve secret from asm: failed to fetch secret {missing} from secrets manager: "
        "ResourceNotFoundException: Secrets Manager can't find the specified secret."), t["stoppedReason"]
    # An SSM parameter that does not exist, likewise.
    td["family"] = "real-param-missing"
    td["containerDefinitions"][0]["secrets"] = [{"name": "GONE", "valueFrom": "/app/not-there"}]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    arn = real.aws("run-task", "--task-definition", "real-param-missing")["tasks"][0]["taskArn"]
    t = wait_stopped(real, arn)
    assert t["stopCode"] == "TaskFailedToStart"
    assert "unable to retrieve secrets from ssm: invalid ssm parameters: /app/not-there" in t["stoppedReason"]


def test_berth_run_resolves_secrets_from_the_agents_store(real, tmp_path):  # noqa: F811
    """`berth run --secrets-dir` reads the store the agent filled; --explain shows where each
    secret comes from, never its value."""
    cli(real, "secretsmanager", "create-secret", "--name", "run/pw", "--secret-string", '{"pw":"RunValue-4b1e"}')
    cli(real, "ssm", "put-parameter", "--name", "/run/param", "--value", "RunParam-0c7d", "--type", "SecureString")
    td = taskdef("run-secrets", ["sh", "-c", "echo PW=$PW PARAM=$PARAM"],
                 executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
    td["containerDefinitions"][0]["secrets"] = [
        {"name": "PW", "valueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:run/pw:pw::"},
        {"name": "PARAM", "valueFrom": "/run/param"},
    ]
    path = tmp_path / "td.json"
    path.write_text(json.dumps(td))
    base = [BERTH, "run", "--images", real.images, "--secrets-dir", os.path.join(real.state_dir, "secrets"),
            "--run-root", str(tmp_path / "run"), "--data-dir", str(tmp_path / "data")]
    out = subprocess.run([*base, "--explain", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "app | PW=RunValue-4b1e PARAM=RunParam-0c7d" in out.stdout, out.stdout + out.stderr
    explained = out.stdout.split("app | ")[0]
    assert "PW=<secret PW from arn:aws:secretsmanager:" in explained and "PARAM=<secret PARAM from /run/param>" in explained
    assert "RunValue-4b1e" not in explained + out.stderr and "RunParam-0c7d" not in explained + out.stderr
    td["containerDefinitions"][0]["secrets"] = [{"name": "X", "valueFrom": "/run/absent"}]
    path.write_text(json.dumps(td))
    failed = subprocess.run([*base, str(path)], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "ResourceInitializationError: unable to pull secrets or registry auth" in failed.stderr, failed.stderr


def files_containing(top, needle, skip=()):
    found = []
    for dirpath, _, files in os.walk(top):
        for name in files:
            path = os.path.join(dirpath, name)
            if any(s in path for s in skip) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    if needle.encode() in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_a_running_tasks_secret_is_on_disk_only_in_its_init_config(real):  # noqa: F811
    """While the container runs, the value is in its init.json (0600, runtime directory) and in
    the store; nowhere else under the agent's state or runtime directories."""
    cli(real, "secretsmanager", "create-secret", "--name", "disk/pw", "--secret-string", "DiskValue-2d9f")
    td = taskdef("real-secret-disk", ["sleep", "60"], executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
    td["containerDefinitions"][0]["secrets"] = [{"name": "PW", "valueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:disk/pw"}]
    real.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    arn = real.aws("run-task", "--task-definition", "real-secret-disk")["tasks"][0]["taskArn"]
    try:
        waited = subprocess.run(["aws", "ecs", "wait", "tasks-running", "--tasks", arn, "--endpoint-url", real.endpoint],
                                env=real.env(), capture_output=True, text=True, timeout=120)
        assert waited.returncode == 0, waited.stderr
        in_run = files_containing(real.run_root, "DiskValue-2d9f")
        assert [os.path.basename(p) for p in in_run] == ["init.json"], in_run
        assert stat.S_IMODE(os.stat(in_run[0]).st_mode) == 0o600
        assert files_containing(real.state_dir, "DiskValue-2d9f", skip=[os.path.join(real.state_dir, "secrets")]) == []
    finally:
        real.aws("stop-task", "--task", arn)
    wait_stopped(real, arn)
    assert files_containing(real.run_root, "DiskValue-2d9f") == []


def signed(agent, service, target, body):
    """A raw JSON 1.1 call signed for `service`: (status, parsed body)."""
    import urllib.error
    import urllib.request

    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    data = json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(method="POST", url=agent.endpoint + "/", data=data,
                                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(agent.access_key, agent.secret_key), service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    http_req = urllib.request.Request(prepared.url, data=data, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http_req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_raw_answers_fit_botocores_models(agent):
    """Every member of every answer is a member of botocore's output shape, of its type
    (timestamps as epoch numbers); errors carry the model's exception names."""
    calls = [
        ("secretsmanager", "CreateSecret", {"Name": "shape/s", "SecretString": "v", "Tags": [{"Key": "k", "Value": "v"}], "Description": "d"}),
        ("secretsmanager", "PutSecretValue", {"SecretId": "shape/s", "SecretString": "w"}),
        ("secretsmanager", "GetSecretValue", {"SecretId": "shape/s"}),
        ("secretsmanager", "DescribeSecret", {"SecretId": "shape/s"}),
        ("secretsmanager", "ListSecrets", {"MaxResults": 1}),
        ("secretsmanager", "ListSecretVersionIds", {"SecretId": "shape/s"}),
        ("secretsmanager", "UpdateSecret", {"SecretId": "shape/s", "Description": "e"}),
        ("secretsmanager", "DeleteSecret", {"SecretId": "shape/s"}),
        ("secretsmanager", "RestoreSecret", {"SecretId": "shape/s"}),
        ("ssm", "PutParameter", {"Name": "/shape/p", "Value": "v", "Type": "SecureString"}),
        ("ssm", "GetParameter", {"Name": "/shape/p"}),
        ("ssm", "GetParameters", {"Names": ["/shape/p", "/shape/none"], "WithDecryption": True}),
        ("ssm", "GetParametersByPath", {"Path": "/shape", "MaxResults": 1}),
        ("ssm", "DescribeParameters", {}),
        ("ssm", "GetParameterHistory", {"Name": "/shape/p"}),
        ("ssm", "DeleteParameters", {"Names": ["/shape/p"]}),
    ]
    prefix = {"secretsmanager": "secretsmanager.", "ssm": "AmazonSSM."}
    for service, op, body in calls:
        status, out = signed(agent, service, prefix[service] + op, body)
        assert status == 200, (op, out)
        assert check_output(op, out, service=service) == [], (op, check_output(op, out, service=service))
    errors = {
        ("secretsmanager", "GetSecretValue", '{"SecretId": "shape/none"}'): "ResourceNotFoundException",
        ("ssm", "GetParameter", '{"Name": "/shape/none"}'): "ParameterNotFound",
        ("ssm", "PutParameter", '{"Name": "/shape/q", "Value": "v", "Type": "Bogus"}'): "ValidationException",
    }
    for (service, op, body), expected in errors.items():
        status, out = signed(agent, service, prefix[service] + op, json.loads(body))
        assert status == 400 and out["__type"] == expected, (op, out)
        assert expected in {s.name for s in model(service).error_shapes} or expected == "ValidationException", expected
    # Signed for ecs, a Secrets Manager call is refused: the signature names the wrong service.
    status, out = signed(agent, "ecs", "secretsmanager.ListSecrets", {})
    assert status in (400, 403) and "Signature" in out.get("__type", "") + out.get("message", ""), out


def test_the_store_survives_a_killed_agent(fresh_agent):
    cli(fresh_agent, "secretsmanager", "create-secret", "--name", "durable", "--secret-string", "kept")
    cli(fresh_agent, "ssm", "put-parameter", "--name", "durable", "--value", "kept-too", "--type", "SecureString")
    fresh_agent.stop(signal.SIGKILL)
    fresh_agent.start()
    assert cli(fresh_agent, "secretsmanager", "get-secret-value", "--secret-id", "durable")["SecretString"] == "kept"
    assert cli(fresh_agent, "ssm", "get-parameter", "--name", "durable", "--with-decryption")["Parameter"]["Value"] == "kept-too"

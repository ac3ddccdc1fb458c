"""boto3 and the aws CLI against the agent's CloudWatch Logs (`Logs_20140328.`, SigV4 service
`logs`): paginators, GetLogEvents tokens, strict response shapes against botocore's logs model,
errors, and that the store outlives an agent restart. Tasks writing awslogs are in
Tests/IntegrationTests/AWSLogsTests.swift (real containers)."""
import json
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import pytest

from conftest import REGION
from shapes import _walk


def logs_client(agent):
    return boto3.client("logs", endpoint_url=agent.endpoint, region_name=REGION, aws_access_key_id=agent.access_key,
                        aws_secret_access_key=agent.secret_key, config=botocore.config.Config(retries={"max_attempts": 1}))


def raw_logs(agent, operation, body):
    """A JSON 1.1 call signed for service `logs`: (status, parsed body)."""
    data = json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(method="POST", url=agent.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328." + operation})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(agent.access_key, agent.secret_key), "logs", REGION).add_auth(req)
    prepared = req.prepare()
    http_req = urllib.request.Request(prepared.url, data=data, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http_req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def check_logs_output(operation, body):
    shape = botocore.session.get_session().get_service_model("logs").operation_model(operation).output_shape
    problems = []
    if shape is not None:
        _walk(shape, body, operation, problems)
    return problems


def test_groups_streams_events_and_tokens(fresh_agent):
    logs = logs_client(fresh_agent)
    for name in ["/ecs/a", "/ecs/b", "/other"]:
        logs.create_log_group(logGroupName=name)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        logs.create_log_group(logGroupName="/ecs/a")
    assert info.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/ecs/", PaginationConfig={"PageSize": 1}))
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == ["/ecs/a", "/ecs/b"]

    logs.create_log_stream(logGroupName="/ecs/a", logStreamName="ecs/app/1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/ecs/a", logStreamName="ecs/app/1",
                        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(25)])
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {}
        out = logs.get_log_events(logGroupName="/ecs/a", logStreamName="ecs/app/1", startFromHead=True, limit=10, **kwargs)
        seen += [e["message"] for e in out["events"]]
        if out["nextForwardToken"] == token:
            assert out["events"] == []
            break
        token = out["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(25)]

    filtered = [e["message"] for p in logs.get_paginator("filter_log_events").paginate(
        logGroupName="/ecs/a", filterPattern='"line 2"', PaginationConfig={"PageSize": 2}) for e in p["events"]]
    assert filtered == ["line 2"] + [f"line {i}" for i in range(20, 25)]

    for op, body in [("DescribeLogGroups", {}), ("DescribeLogStreams", {"logGroupName": "/ecs/a"}),
                     ("GetLogEvents", {"logGroupName": "/ecs/a", "logStreamName": "ecs/app/1", "limit": 3}),
                     ("FilterLogEvents", {"logGroupName": "/ecs/a", "limit": 3})]:
        status, answer = raw_logs(fresh_agent, op, body)
        assert status == 200, answer
        assert check_logs_output(op, answer) == [], (op, answer)

    # Durable: the same after a restart; gone after delete-log-group.
    fresh_agent.restart()
    logs = logs_client(fresh_agent)
    assert len(logs.get_log_events(logGroupName="/ecs/a", logStreamName="ecs/app/1", startFromHead=True)["events"]) == 25
    logs.delete_log_group(logGroupName="/ecs/a")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        logs.get_log_events(logGroupName="/ecs/a", logStreamName="ecs/app/1")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_aws_cli_reads_logs_and_refuses_what_it_cannot_do(fresh_agent):
    def aws(*args, check=True):
        proc = subprocess.run(["aws", "logs", *args, "--endpoint-url", fresh_agent.endpoint, "--output", "json"],
                              env=fresh_agent.env(), capture_output=True, text=True, timeout=120)
        if check:
            assert proc.returncode == 0, proc.stderr
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc

    aws("create-log-group", "--log-group-name", "g")
    aws("create-log-stream", "--log-group-name", "g", "--log-stream-name", "s")
    assert [s["logStreamName"] for s in aws("describe-log-streams", "--log-group-name", "g")["logStreams"]] == ["s"]
    refused = aws("filter-log-events", "--log-group-name", "g", "--filter-pattern", '{ $.level = "error" }', check=False)
    assert refused.returncode != 0 and "InvalidParameterException" in refused.stderr and "simple term" in refused.stderr
    bad = aws("put-retention-policy", "--log-group-name", "g", "--retention-in-days", "2", check=False)
    assert bad.returncode != 0 and "retentionInDays" in bad.stderr
    aws("put-retention-policy", "--log-group-name", "g", "--retention-in-days", "7")
    assert aws("describe-log-groups")["logGroups"][0]["retentionInDays"] == 7

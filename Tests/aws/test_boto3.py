"""boto3 against `berth agent`: waiters, paginators, error codes, and strict response shapes."""
import json
import os

import botocore.exceptions
import pytest

from conftest import corpus_taskdefs, simple_taskdef
from shapes import check_output


def error_of(fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fn(**kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_waiters_and_paginators(agent):
    ecs = agent.boto()
    ecs.register_task_definition(**simple_taskdef("boto-run"))
    tasks = ecs.run_task(taskDefinition="boto-run", count=3)["tasks"]
    arns = [t["taskArn"] for t in tasks]
    ecs.get_waiter("tasks_running").wait(tasks=arns, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    pages = list(ecs.get_paginator("list_tasks").paginate(family="boto-run", PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3 and sorted(a for p in pages for a in p["taskArns"]) == sorted(arns)
    for arn in arns:
        ecs.stop_task(task=arn)
    ecs.get_waiter("tasks_stopped").wait(tasks=arns, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    described = ecs.describe_tasks(tasks=arns)["tasks"]
    assert {t["lastStatus"] for t in described} == {"STOPPED"}
    assert all(t["stoppedAt"] >= t["stoppingAt"] >= t["startedAt"] >= t["createdAt"] for t in described)
    for i in range(5):
        ecs.register_task_definition(**simple_taskdef(f"boto-page-{i}"))
    fams = [f for p in ecs.get_paginator("list_task_definition_families").paginate(
        familyPrefix="boto-page-", PaginationConfig={"PageSize": 2}) for f in p["families"]]
    assert fams == [f"boto-page-{i}" for i in range(5)]


def test_error_codes(agent):
    ecs = agent.boto()
    assert error_of(ecs.describe_tasks, cluster="no-such-cluster", tasks=["x"])[:2] == ("ClusterNotFoundException", 400)
    assert error_of(ecs.run_task, taskDefinition="no-such-family")[:2] == ("ClientException", 400)
    assert error_of(ecs.stop_task, task="0" * 32)[:2] == ("InvalidParameterException", 400)
    assert error_of(ecs.list_tasks, maxResults=1, nextToken="not-a-token")[:2] == ("InvalidParameterException", 400)
    code, status, msg = error_of(ecs.register_task_definition, family="bad",
                                 containerDefinitions=[{"name": "a", "image": "b"}])
    assert (code, status) == ("ClientException", 400) and "'memory' or 'memoryReservation'" in msg
    ecs.register_task_definition(**simple_taskdef("boto-err"))
    arn = ecs.run_task(taskDefinition="boto-err")["tasks"][0]["taskArn"]
    code, _, _ = error_of(ecs.delete_cluster, cluster="default")
    assert code == "InvalidParameterException"
    ecs.create_cluster(clusterName="boto-busy")
    busy = ecs.run_task(cluster="boto-busy", taskDefinition="boto-err")["tasks"][0]["taskArn"]
    assert error_of(ecs.delete_cluster, cluster="boto-busy")[0] == "ClusterContainsTasksException"
    ecs.stop_task(cluster="boto-busy", task=busy)
    ecs.get_waiter("tasks_stopped").wait(cluster="boto-busy", tasks=[busy], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert ecs.delete_cluster(cluster="boto-busy")["cluster"]["status"] == "INACTIVE"
    ecs.stop_task(task=arn)


def test_execute_command_points_to_berth_task_exec(agent):
    ecs = agent.boto()
    ecs.register_task_definition(**simple_taskdef("boto-exec"))
    arn = ecs.run_task(taskDefinition="boto-exec")["tasks"][0]["taskArn"]
    code, status, msg = error_of(ecs.execute_command, task=arn, container="app", interactive=True, command="sh")
    assert (code, status) == ("TargetNotConnectedException", 400)
    assert "berth task exec -it TASK" in msg, msg
    ecs.stop_task(task=arn)


def test_response_shapes_match_the_model(agent):
    """Raw responses of every operation, walked against service-2.json member by member."""
    def call(op, body, expect=200):
        status, headers, out = agent.raw(op, body)
        assert status == expect, (op, status, out)
        assert headers.get("x-amzn-RequestId") and headers.get("Content-Type") == "application/x-amz-json-1.1"
        if status == 200:
            assert check_output(op, out) == [], (op, check_output(op, out))
        return out

    call("CreateCluster", {"clusterName": "shape", "tags": [{"key": "a", "value": "b"}]})
    call("DescribeClusters", {"clusters": ["shape", "missing"], "include": ["TAGS", "SETTINGS", "STATISTICS"]})
    call("ListClusters", {"maxResults": 1})
    reg = call("RegisterTaskDefinition", simple_taskdef("shape", tags=[{"key": "t", "value": "1"}],
                                                       networkMode="awsvpc", cpu="256", memory="0.5GB",
                                                       requiresCompatibilities=["FARGATE"]))
    assert reg["taskDefinition"]["memory"] == "512" and "FARGATE" in reg["taskDefinition"]["compatibilities"]
    call("DescribeTaskDefinition", {"taskDefinition": "shape", "include": ["TAGS"]})
    call("ListTaskDefinitions", {"familyPrefix": "shape"})
    call("ListTaskDefinitionFamilies", {"familyPrefix": "sha"})
    run = call("RunTask", {"cluster": "shape", "taskDefinition": "shape", "launchType": "FARGATE", "tags": [{"key": "x", "value": "y"}],
                           "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
                           "overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "A", "value": "1"}]}]}})
    task = run["tasks"][0]
    assert task["launchType"] == "FARGATE" and task["cpu"] == "256" and task["memory"] == "512"
    import time
    time.sleep(0.5)
    call("DescribeTasks", {"cluster": "shape", "tasks": [task["taskArn"], "missing"], "include": ["TAGS"]})
    call("ListTasks", {"cluster": "shape"})
    call("TagResource", {"resourceArn": task["taskArn"], "tags": [{"key": "k", "value": "v"}]})
    call("ListTagsForResource", {"resourceArn": task["taskArn"]})
    call("UntagResource", {"resourceArn": task["taskArn"], "tagKeys": ["k"]})
    call("StopTask", {"cluster": "shape", "task": task["taskArn"]})
    time.sleep(0.6)
    call("DescribeTasks", {"cluster": "shape", "tasks": [task["taskArn"]]})
    call("DeregisterTaskDefinition", {"taskDefinition": "shape:1"})
    call("DeleteTaskDefinitions", {"taskDefinitions": ["shape:1", "shape:7"]})
    err = call("DescribeClusters", {"clusters": "not-a-list"}, expect=400)
    assert err["__type"] == "SerializationException" and "clusters" in err["message"]


def test_corpus_registers_or_fails_with_a_client_error(agent):
    """Every corpus task definition is either registered (shape-valid) or refused with a 4xx ECS
    error naming the problem; none crashes the agent or yields a 5xx."""
    registered = 0
    for path in corpus_taskdefs():
        raw = open(path, "rb").read()
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict):
            doc = doc["taskDefinition"]
        if isinstance(doc, dict):
            for k in ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
                      "registeredAt", "registeredBy", "deregisteredAt"]:
                doc.pop(k, None)
        status, _, out = agent.raw("RegisterTaskDefinition", doc)
        name = os.path.basename(path)
        if status == 200:
            registered += 1
            assert check_output("RegisterTaskDefinition", out) == [], name
        else:
            assert status == 400 and out["__type"] in ("ClientException", "InvalidParameterException", "SerializationException"), (name, out)
            assert out["message"], name
    assert registered >= 20
    assert agent.alive()
    # Files that are not even JSON are refused as SerializationException.
    invalid = os.path.join(os.path.dirname(corpus_taskdefs()[0]), "invalid")
    for f in sorted(os.listdir(invalid)) if os.path.isdir(invalid) else []:
        status, _, out = agent.raw("RegisterTaskDefinition", open(os.path.join(invalid, f), "rb").read())
        assert status == 400 and out["__type"] == "SerializationException", (f, out)

"""Services through the agent and the BerthController: create, the services-stable waiter,
rolling update to a new task definition, scale, delete with the services-inactive waiter."""
import json

import botocore.exceptions
import pytest

from conftest import simple_taskdef
from shapes import check_output


def test_service_lifecycle_with_aws_cli(agent):
    agent.aws("register-task-definition", "--family", "svc-web", "--container-definitions",
              json.dumps(simple_taskdef("x")["containerDefinitions"]))
    svc = agent.aws("create-service", "--service-name", "web", "--task-definition", "svc-web", "--desired-count", "2",
                    "--deployment-configuration", "minimumHealthyPercent=50,maximumPercent=200")["service"]
    assert svc["status"] == "ACTIVE" and svc["desiredCount"] == 2 and svc["schedulingStrategy"] == "REPLICA"
    first = svc["deployments"][0]["id"]
    assert first.startswith("ecs-svc/") and len(first) == len("ecs-svc/") + 19
    agent.aws("wait", "services-stable", "--services", "web")
    tasks = agent.aws("list-tasks", "--service-name", "web")["taskArns"]
    assert len(tasks) == 2
    described = agent.aws("describe-tasks", "--tasks", *tasks)["tasks"]
    assert {t["startedBy"] for t in described} == {first} and {t["group"] for t in described} == {"service:web"}
    # New revision: a new PRIMARY deployment replaces the tasks.
    agent.aws("register-task-definition", "--family", "svc-web", "--container-definitions",
              json.dumps(simple_taskdef("x", command=["sleep", "2000"])["containerDefinitions"]))
    updated = agent.aws("update-service", "--service", "web", "--task-definition", "svc-web")["service"]
    assert updated["taskDefinition"].endswith("svc-web:2") and len(updated["deployments"]) == 2
    agent.aws("wait", "services-stable", "--services", "web")
    after = agent.aws("describe-services", "--services", "web", "missing")
    assert after["failures"][0]["reason"] == "MISSING"
    s = after["services"][0]
    assert len(s["deployments"]) == 1 and s["deployments"][0]["id"] != first and s["runningCount"] == 2
    assert any("has started 2 tasks" in e["message"] for e in s["events"])
    new_tasks = agent.aws("list-tasks", "--service-name", "web")["taskArns"]
    assert set(new_tasks).isdisjoint(tasks)
    old = agent.aws("describe-tasks", "--tasks", *tasks)["tasks"]
    assert {t["stopCode"] for t in old} == {"ServiceSchedulerInitiated"}
    # Scale, then delete.
    agent.aws("update-service", "--service", "web", "--desired-count", "3")
    agent.aws("wait", "services-stable", "--services", "web")
    assert len(agent.aws("list-tasks", "--service-name", "web")["taskArns"]) == 3
    assert "arn:aws:ecs:us-east-1:000000000000:service/default/web" in agent.aws("list-services")["serviceArns"]
    proc = agent.aws("delete-service", "--service", "web", check=False)
    assert proc.returncode != 0 and "InvalidParameterException" in proc.stderr
    assert agent.aws("delete-service", "--service", "web", "--force")["service"]["status"] == "DRAINING"
    agent.aws("wait", "services-inactive", "--services", "web")
    assert agent.aws("list-tasks", "--service-name", "web")["taskArns"] == []
    proc = agent.aws("update-service", "--service", "web", "--desired-count", "1", check=False)
    assert proc.returncode != 0 and "ServiceNotFoundException" in proc.stderr


def test_service_shapes_and_errors(agent):
    ecs = agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-shape"))
    status, _, out = agent.raw("CreateService", {"serviceName": "shape", "taskDefinition": "svc-shape", "desiredCount": 1,
                                                 "tags": [{"key": "a", "value": "b"}], "propagateTags": "SERVICE",
                                                 "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}})
    assert status == 200 and check_output("CreateService", out) == []
    ecs.get_waiter("services_stable").wait(services=["shape"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    for op, body in [("DescribeServices", {"services": ["shape"], "include": ["TAGS"]}), ("ListServices", {"maxResults": 1}),
                     ("UpdateService", {"service": "shape", "desiredCount": 0}), ("DescribeClusters", {})]:
        status, _, out = agent.raw(op, body)
        assert status == 200 and check_output(op, out) == [], (op, out)
    task_tags = ecs.list_tasks(serviceName="shape", desiredStatus="STOPPED")["taskArns"]
    assert task_tags
    assert ecs.describe_tasks(tasks=task_tags, include=["TAGS"])["tasks"][0]["tags"] == [{"key": "a", "value": "b"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.create_service(serviceName="shape", taskDefinition="svc-shape", desiredCount=1)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.update_service(service="nope", desiredCount=1)
    assert e.value.response["Error"]["Code"] == "ServiceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.create_service(serviceName="bad", taskDefinition="svc-shape", desiredCount=-1)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    ecs.create_cluster(clusterName="svc-busy")
    ecs.create_service(cluster="svc-busy", serviceName="s", taskDefinition="svc-shape", desiredCount=0)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.delete_cluster(cluster="svc-busy")
    assert e.value.response["Error"]["Code"] == "ClusterContainsServicesException"
    ecs.delete_service(cluster="svc-busy", service="s")
    ecs.get_waiter("services_inactive").wait(cluster="svc-busy", services=["s"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert ecs.delete_cluster(cluster="svc-busy")["cluster"]["status"] == "INACTIVE"
